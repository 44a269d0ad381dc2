package dev.cloudproxy.tao.samples.whoami;

import dev.cloudproxy.tao.Tao;

/**
 * Prints the Tao name its host gave it, then exits with the status given as its argument (0 by
 * default): {@code java -jar tao-launcher.jar sample-apps/target/tao-samples.jar [status]}. It is
 * compiled against {@code tao-api} only and bundles nothing: the agent provides the API.
 */
public final class WhoAmI {
    private WhoAmI() {}

    public static void main(String[] args) throws Exception {
        System.out.println("Hello from a measured JVM. My Tao name is:");
        System.out.println(Tao.parent().getTaoName());
        System.exit(args.length > 0 ? Integer.parseInt(args[0]) : 0);
    }
}
