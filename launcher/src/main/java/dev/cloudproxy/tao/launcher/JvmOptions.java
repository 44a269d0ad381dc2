package dev.cloudproxy.tao.launcher;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The JVM options of the app: the user's, checked, then the launcher's hardening flags last (so
 * that they win over anything before them). All of them are measured.
 */
final class JvmOptions {
    /**
     * Always added, in this order: no attach (jcmd, jstack, dynamic agents), no perf data file,
     * no heap dump on OOM, no core dump on a crash, no self-attach. Debugging (JDWP) is off unless
     * asked for, and asking is refused below.
     */
    static final List<String> HARDENING = List.of(
            "-XX:+DisableAttachMechanism",
            "-XX:-UsePerfData",
            "-XX:-HeapDumpOnOutOfMemoryError",
            "-XX:-CreateCoredumpOnCrash",
            "-Djdk.attach.allowAttachSelf=false");

    /**
     * Refused: options that load code the measurement does not see (agents, boot class path,
     * native agents, {@code -Xrun}), turn on debugging, or undo the hardening. Prefix matches,
     * case-sensitive as the JVM is (plus a lower-case check for the {@code -XX} flag names).
     */
    private static final List<String> REFUSED_PREFIXES = List.of(
            "-javaagent", "-agentlib", "-agentpath", "-Xbootclasspath", "-Xrun", "-Xdebug", "-Xnoagent",
            "-XX:+EnableDynamicAgentLoading", "-XX:+StartAttachListener", "-XX:-DisableAttachMechanism",
            "-XX:+UsePerfData", "-XX:+HeapDumpOnOutOfMemoryError", "-XX:+HeapDumpBeforeFullGC",
            "-XX:+HeapDumpAfterFullGC", "-XX:HeapDumpPath", "-XX:+CreateCoredumpOnCrash",
            "-XX:OnError", "-XX:OnOutOfMemoryError", "-XX:StartFlightRecording", "-XX:+FlightRecorder",
            "-XX:FlightRecorderOptions", "-Djdk.attach.allowAttachSelf", "-XX:+EnableJVMCI", "-XX:JVMCILibPath",
            "-XX:+EnableJVMCIProduct", "-Xcheck:jni");

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

    static void check(String option) throws LauncherException {
        if (option.isEmpty() || option.charAt(0) != '-') {
            throw new LauncherException("JVM option " + LauncherOptions.quote(option) + " does not start with '-'");
        }
        for (String p : REFUSED_PREFIXES) {
            if (option.startsWith(p) || option.toLowerCase(Locale.ROOT).startsWith(p.toLowerCase(Locale.ROOT))) {
                throw new LauncherException("JVM option " + LauncherOptions.quote(option)
                        + " is refused: it would load unmeasured code, allow debugging or dumps, or undo the"
                        + " launcher's hardening");
            }
        }
    }
}
