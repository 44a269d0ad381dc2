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

    /** Whether the variable named {@code name} makes the JVM or the dynamic linker load code or options. */
    static boolean injects(String name) {
        return JVM_INJECTION.contains(name) || name.startsWith("LD_");
    }

    /**
     * Removes from {@code env}: the JVM's option variables, every {@code LD_*} variable (the dynamic
     * linker's preload, audit and search path would load native code into the JVM) and every
     * {@code TAO_*} variable (the launcher's own host, password and agent settings), telling
     * {@code err} about the ones that could inject code.
     */
    static void scrub(Map<String, String> env, PrintStream err) {
        scrubInjection(env, err);
        env.keySet().removeIf(name -> name.startsWith("TAO_"));
    }

    /**
     * Removes the variables that could inject code ({@link #injects}), telling {@code err} about
     * each. The launcher does this to its own environment before anything else ({@link HardenedJvm}),
     * so that nothing it starts, {@code jspawnhelper} included, ever has them.
     */
    static void scrubInjection(Map<String, String> env, PrintStream err) {
        TreeSet<String> removed = new TreeSet<>();
        for (String name : List.copyOf(env.keySet())) {
            if (injects(name)) {
                env.remove(name);
                removed.add(name);
            }
        }
        for (String name : removed) {
            err.println("tao-launcher: removed " + name + " from the app's environment (it could load code or"
                    + " options that are not measured)");
        }
    }
}
