package dev.cloudproxy.tao.launcher;

import java.io.PrintStream;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The app's environment: the launcher's, without what could put unmeasured code or options into
 * the JVM or leak the launcher's own secrets, plus the variables the agent needs.
 */
final class ChildEnvironment {
    /** Read by the JVM or its launcher as extra options, agents included. */
    static final List<String> JVM_INJECTION = List.of(
            "JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS", "JDK_AOT_VM_OPTIONS", "CLASSPATH",
            "_JAVA_LAUNCHER_DEBUG");

    private ChildEnvironment() {}

    /**
     * Removes from {@code env}: the JVM's option variables, every {@code LD_*} variable (the dynamic
     * linker's preload, audit and search path would load native code into the JVM) and every
     * {@code TAO_*} variable (the launcher's own host, password and agent settings), telling
     * {@code err} about the ones that could inject code.
     */
    static void scrub(Map<String, String> env, PrintStream err) {
        TreeSet<String> removedInjection = new TreeSet<>();
        for (String name : List.copyOf(env.keySet())) {
            boolean injection = JVM_INJECTION.contains(name) || name.startsWith("LD_");
            if (injection || name.startsWith("TAO_")) {
                env.remove(name);
                if (injection) {
                    removedInjection.add(name);
                }
            }
        }
        for (String name : removedInjection) {
            err.println("tao-launcher: removed " + name + " from the app's environment (it could load code or"
                    + " options that are not measured)");
        }
    }
}
