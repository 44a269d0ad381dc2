package dev.cloudproxy.tao.launcher;

import dev.cloudproxy.tao.host.CodeLoadingVariables;
import java.io.PrintStream;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The app's environment: the launcher's, without what could put unmeasured code or options into
 * the JVM or leak the launcher's own secrets, plus the variables the agent needs.
 */
final class ChildEnvironment {
    private ChildEnvironment() {}

    /**
     * Whether the variable named {@code name} makes the JVM, the dynamic linker or the C library
     * load code, options or files ({@link CodeLoadingVariables#reachesTheJvm}, the host's list).
     */
    static boolean injects(String name) {
        return CodeLoadingVariables.reachesTheJvm(name);
    }

    /**
     * Removes from {@code env}: the JVM's option variables, every {@code LD_*} variable (the dynamic
     * linker's preload, audit and search path would load native code into the JVM), the C
     * library's ({@code GCONV_PATH}, {@code GLIBC_TUNABLES}, ...) and every
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
