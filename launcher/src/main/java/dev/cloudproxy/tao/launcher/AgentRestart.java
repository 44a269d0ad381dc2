package dev.cloudproxy.tao.launcher;

import dev.cloudproxy.tao.io.AtomicFiles;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The work of {@link LauncherAgent}, in the launcher's isolated class loader: read this JVM's
 * command line, map it to the launcher's ({@link JavaCommandLine}) and {@code execve} the
 * launcher's hardened JVM with it ({@link HardenedJvm#restartAsLauncher}).
 *
 * <p><b>What it trusts.</b> {@code /proc/self/cmdline} and the environment as the kernel gave
 * them to this process: in {@code premain} nothing of the app has run yet (its main class is not
 * even loaded), so the app had no chance to change them. What can run before {@code premain} is
 * named by the command line itself (another agent before this one, a system class loader, an
 * {@code LD_PRELOAD} library): the launcher refuses every such option for the app and scrubs every
 * such variable, so the command line is refused or that code is left behind in the replaced
 * process; either way none of it reaches the app's JVM.
 *
 * <p><b>No loop.</b> The launcher's JVM is started with a command line without {@code -javaagent}
 * and an environment without {@code JAVA_TOOL_OPTIONS}, {@code JDK_JAVA_OPTIONS} and
 * {@code _JAVA_OPTIONS} (their contents are on the launcher's command line); the app's JVM gets
 * only options the launcher's allowlist accepts (never an agent) and an environment scrubbed of
 * the same variables. So this code runs once. Should it run in the launcher's own JVM or its app
 * all the same (the hardened marker, or {@code TAO_AGENT_GATE} that only the launcher's app has),
 * it refuses rather than start another launcher.
 */
public final class AgentRestart {
    /** Longer than any command line Linux takes (ARG_MAX is 2 MiB by default). */
    private static final int MAX_CMDLINE = 8 << 20;

    private AgentRestart() {}

    /** Replaces this process by the launcher, returns if it is the launcher, or halts with status 125. */
    public static void restart(String agentOptions) {
        PrintStream err = System.err;
        try {
            Map<String, String> env = System.getenv();
            if (env.containsKey(Launch.GATE_ENV) || Boolean.getBoolean(HardenedJvm.MARKER)) {
                throw new LauncherException("-javaagent:tao-launcher.jar in a JVM the launcher started (its app or"
                        + " itself): refusing to start the launcher again");
            }
            Path ownJar = Path.of(AgentRestart.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            byte[] raw = AtomicFiles.readAtMost(Path.of("/proc/self/cmdline"), MAX_CMDLINE + 1);
            if (raw.length > MAX_CMDLINE) {
                throw new LauncherException("this JVM's command line is longer than " + MAX_CMDLINE + " bytes");
            }
            List<String> cmdline = JavaCommandLine.splitCmdline(raw);
            if (JavaCommandLine.startsTheLauncher(cmdline, env, ownJar)) {
                if (!agentOptions.isEmpty()) {
                    throw new LauncherException("-javaagent:tao-launcher.jar=OPTIONS on the launcher itself: give the"
                            + " options on its command line");
                }
                return;
            }
            List<String> args = JavaCommandLine.launcherArgs(cmdline, env, ownJar);
            Map<String, String> launcherEnv = new TreeMap<>(env);
            // Their contents are in args now; left in, the launcher would report them as removed.
            launcherEnv.keySet().removeAll(List.of(JavaCommandLine.TOOL_OPTIONS, JavaCommandLine.JDK_OPTIONS,
                    JavaCommandLine.LATE_OPTIONS, JavaCommandLine.CLASSPATH));
            HardenedJvm.restartAsLauncher(ownJar, args, launcherEnv, err);
        } catch (LauncherException e) {
            halt(err, e.getMessage());
        } catch (IOException | URISyntaxException | RuntimeException e) {
            halt(err, "cannot restart this JVM as the launcher: " + e.getClass().getName());
        }
    }

    private static void halt(PrintStream err, String message) {
        err.println("tao-launcher: " + message);
        err.flush();
        Runtime.getRuntime().halt(Main.LAUNCHER_FAILED);
    }
}
