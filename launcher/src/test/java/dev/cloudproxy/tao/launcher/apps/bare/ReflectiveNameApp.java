package dev.cloudproxy.tao.launcher.apps.bare;

/**
 * An app compiled against nothing of the Tao: it finds {@code dev.cloudproxy.tao.Tao} at run time
 * (the agent provides it) and prints {@code name: <its Tao name>}. Its jar holds only this class.
 */
public final class ReflectiveNameApp {
    private ReflectiveNameApp() {}

    public static void main(String[] args) throws Exception {
        Class<?> tao = Class.forName("dev.cloudproxy.tao.Tao");
        Object parent = tao.getMethod("parent").invoke(null);
        System.out.println("name: " + tao.getMethod("getTaoName").invoke(parent));
    }
}
