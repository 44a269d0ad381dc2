package dev.cloudproxy.tao.launcher;

import dev.cloudproxy.tao.host.JvmOptionPolicy;
import dev.cloudproxy.tao.host.RefusedJvmOptionException;
import java.util.ArrayList;
import java.util.List;

/**
 * The JVM options of the app: the user's, each accepted by {@link JvmOptionPolicy}, then the
 * launcher's hardening flags last (so that they win over anything before them). All of them are
 * measured.
 */
final class JvmOptions {
    /**
     * Always added, in this order: no attach (jcmd, jstack, dynamic agents), no perf data file,
     * no heap dump on OOM, no core dump on a crash, no self-attach. Debugging (JDWP) is off unless
     * asked for, and asking is refused by the policy.
     */
    static final List<String> HARDENING = List.of(
            "-XX:+DisableAttachMechanism",
            "-XX:-UsePerfData",
            "-XX:-HeapDumpOnOutOfMemoryError",
            "-XX:-CreateCoredumpOnCrash",
            "-Djdk.attach.allowAttachSelf=false");

    private JvmOptions() {}

    /** The options to measure and run with. */
    static List<String> of(List<String> user, int runtimeFeature, boolean networkHooks) throws LauncherException {
        List<String> out = new ArrayList<>();
        for (String o : user) {
            check(o);
            out.add(o);
        }
        if (runtimeFeature >= 22) {
            // The agent calls prctl through JNA: say so, or JDK 24+ prints a warning on the app's stderr.
            out.add("--enable-native-access=ALL-UNNAMED");
        }
        if (networkHooks) {
            // The agent then appends its hooks to the bootstrap class path, which ends class data
            // sharing for application classes and makes the JVM print a warning on the app's
            // standard error; without sharing there is nothing to warn about.
            out.add("-Xshare:off");
        }
        out.addAll(HARDENING);
        return out;
    }

    /** Accepts {@code option} if {@link JvmOptionPolicy} (the project's one allowlist) does. */
    static void check(String option) throws LauncherException {
        try {
            JvmOptionPolicy.check(option);
        } catch (RefusedJvmOptionException e) {
            throw new LauncherException(e.getMessage());
        }
    }
}
