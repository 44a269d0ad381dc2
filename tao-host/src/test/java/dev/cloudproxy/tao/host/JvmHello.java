package dev.cloudproxy.tao.host;

/** A JDK-only program for the JVM factory's tests: prints its arguments and one environment variable. */
public final class JvmHello {
    private JvmHello() {}

    public static void main(String[] args) {
        System.out.println("hello " + String.join(" ", args) + " socket=" + (System.getenv("TAO_HOST_SOCKET") != null));
    }
}
