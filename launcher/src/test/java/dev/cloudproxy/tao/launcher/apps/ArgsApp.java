package dev.cloudproxy.tao.launcher.apps;

import dev.cloudproxy.tao.Tao;
import java.lang.management.ManagementFactory;

/**
 * {@code ArgsApp STATUS [ARGS...]}: prints its Tao name, its arguments, whether its JVM still has
 * the launcher's agent (a loop), then exits with STATUS.
 */
public final class ArgsApp {
    private ArgsApp() {}

    public static void main(String[] args) throws Exception {
        System.out.println("name: " + Tao.parent().getTaoName());
        System.out.println("args: " + String.join(" ", args));
        System.out.println("JAVA_TOOL_OPTIONS=" + System.getenv("JAVA_TOOL_OPTIONS"));
        System.out.println("launcher agent: " + ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .anyMatch(a -> a.contains("tao-launcher")));
        System.exit(Integer.parseInt(args[0]));
    }
}
