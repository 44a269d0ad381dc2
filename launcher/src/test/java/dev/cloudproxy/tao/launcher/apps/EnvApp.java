package dev.cloudproxy.tao.launcher.apps;

import java.lang.management.ManagementFactory;

/** Prints what an injected agent or option would change: variables, a property, the JVM's arguments. */
public final class EnvApp {
    private EnvApp() {}

    public static void main(String[] args) {
        for (String v : new String[] {"JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS", "LD_PRELOAD",
                "CLASSPATH", "TAO_PASSWORD", "KEEP_ME"}) {
            System.out.println("env " + v + "=" + System.getenv(v));
        }
        System.out.println("property injected=" + System.getProperty("injected"));
        System.out.println("args " + ManagementFactory.getRuntimeMXBean().getInputArguments());
    }
}
