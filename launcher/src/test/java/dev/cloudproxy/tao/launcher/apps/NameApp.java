package dev.cloudproxy.tao.launcher.apps;

import dev.cloudproxy.tao.CoreTao;

/** Prints {@code name: <its Tao name>} and exits with the status in args[0] (default 0). */
public final class NameApp {
    private NameApp() {}

    public static void main(String[] args) throws Exception {
        System.out.println("name: " + CoreTao.parent().getTaoName());
        System.exit(args.length > 0 ? Integer.parseInt(args[0]) : 0);
    }
}
