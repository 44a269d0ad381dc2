package dev.cloudproxy.tao.launcher;

import com.sun.jna.LastErrorException;
import com.sun.jna.StringArray;
import dev.cloudproxy.tao.host.JvmOptionPolicy;
import dev.cloudproxy.tao.host.PrivateJava;
import dev.cloudproxy.tao.host.RefusedJvmOptionException;
import dev.cloudproxy.tao.io.AtomicFiles;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The launcher's own JVM, made as hard to read as the app's before it opens any key (it holds the
 * development root's keys, and a stacked host's).
 *
 * <p>A running JVM cannot turn off its attach listener or its perf data, and the dynamic linker
 * has already loaded whatever {@code LD_PRELOAD} named, which {@code jspawnhelper} would pass on
 * to the app's process before its {@code execve}. So the first thing {@code main} does is replace
 * this process, same pid and same standard streams, by {@code execve} of:
 * <pre>
 * $TAO_HOME/launcher/jvm/ID/bin/java   (an execute-only copy: non-dumpable from the first instruction)
 *     -XX:+DisableAttachMechanism -XX:-UsePerfData -XX:-HeapDumpOnOutOfMemoryError
 *     -XX:-CreateCoredumpOnCrash -Djdk.attach.allowAttachSelf=false [--enable-native-access=ALL-UNNAMED]
 *     [the JVM options it was given that JvmOptionPolicy accepts] -Dtao.launcher.hardened=true
 *     -cp CLASSPATH dev.cloudproxy.tao.launcher.Main ARGS
 * </pre>
 * with the environment minus the dynamic linker's and C library's variables ({@code LD_*},
 * {@code GCONV_PATH}, ...) and the JVM's option variables, each removal reported. The new JVM recognizes itself by its actual command line and
 * environment (not by the marker alone, which only stops a loop), makes itself non-dumpable for
 * root too ({@code prctl}), and removes the copy. A JVM started so by a host (stacked mode: the
 * host passes the same flags and a clean environment) is already hardened and is not replaced.
 *
 * <p>Cost: one more JVM start, about 0.25 s of CPU on this project's machines (docs/performance.md).
 */
final class HardenedJvm {
    static final String MARKER = "tao.launcher.hardened";

    private HardenedJvm() {}

    /**
     * Returns if this JVM is already hardened; otherwise replaces the process and never returns.
     *
     * @throws LauncherException if it cannot be hardened (then the launcher must not go on)
     */
    static void ensure(String[] args, Map<String, String> env, PrintStream err) throws LauncherException {
        configureJna(TaoHome.from(env));
        boolean cleanEnv = env.keySet().stream().noneMatch(ChildEnvironment::injects);
        if (jvmOptions().containsAll(JvmOptions.HARDENING) && cleanEnv) {
            removeOwnCopy(TaoHome.from(env));
            String failure = ProcessHardening.apply();
            if (failure != null) {
                throw new LauncherException("cannot make the launcher non-dumpable (" + failure + ")");
            }
            return;
        }
        if (Boolean.getBoolean(MARKER)) {
            throw new LauncherException("the launcher was restarted hardened but is not: its command line lacks the"
                    + " hardening flags or its environment still has LD_* or JVM option variables");
        }
        exec(args, env, err);
    }

    /**
     * This JVM's options as its command line has them: the arguments before the class path, the
     * jar or the main class (the app's arguments after them could say anything). An option
     * whose value is a separate argument ({@code --add-modules M}) ends the list early; such
     * options are refused anyway.
     */
    private static List<String> jvmOptions() {
        List<String> all = ProcessHandle.current().info().arguments().map(List::of).orElse(List.of());
        List<String> out = new ArrayList<>();
        for (String a : all) {
            if (a.equals("-cp") || a.equals("-classpath") || a.equals("--class-path") || a.equals("-jar")
                    || !a.startsWith("-")) {
                break;
            }
            out.add(a);
        }
        return out;
    }

    /** JNA (for prctl, execve, the host's Unix socket) unpacks into a private directory. */
    private static void configureJna(TaoHome home) throws LauncherException {
        try {
            Path jna = home.launcher().resolve("jna");
            AtomicFiles.createPrivateDirectories(jna);
            if (System.getProperty("jna.tmpdir") == null) {
                System.setProperty("jna.tmpdir", jna.toString());
            }
        } catch (IOException e) {
            throw new LauncherException("cannot create " + home.launcher() + ": " + e.getMessage());
        }
    }

    private static void exec(String[] args, Map<String, String> env, PrintStream err) throws LauncherException {
        // From the command line, not from JAVA_TOOL_OPTIONS and the like, which are dropped.
        List<String> own = new ArrayList<>();
        for (String o : jvmOptions()) {
            try {
                JvmOptionPolicy.check(o);
                own.add(o);
            } catch (RefusedJvmOptionException e) {
                err.println("tao-launcher: ignoring an option of the launcher's own JVM: " + e.getMessage());
            }
        }
        exec(System.getProperty("java.class.path"), own, List.of(args), env, err);
    }

    /**
     * Replaces this process (a JVM started with {@code -javaagent:tao-launcher.jar}, see
     * {@link AgentRestart}) by the launcher's hardened JVM running {@code launcherJar} with
     * {@code args}, with none of this JVM's options; never returns normally.
     */
    static void restartAsLauncher(Path launcherJar, List<String> args, Map<String, String> env, PrintStream err)
            throws LauncherException {
        configureJna(TaoHome.from(env));
        exec(launcherJar.toString(), List.of(), args, env, err);
    }

    private static void exec(String classPath, List<String> ownOptions, List<String> args, Map<String, String> env,
            PrintStream err) throws LauncherException {
        TaoHome home = TaoHome.from(env);
        Map<String, String> newEnv = new TreeMap<>(env);
        ChildEnvironment.scrubInjection(newEnv, err);

        Path java;
        try {
            Path dir = home.launcher().resolve("jvm");
            AtomicFiles.createPrivateDirectories(dir);
            byte[] id = new byte[8];
            new SecureRandom().nextBytes(id);
            java = PrivateJava.create(Path.of(System.getProperty("java.home")), dir.resolve(HexFormat.of().formatHex(id)));
        } catch (IOException e) {
            throw new LauncherException("cannot prepare the launcher's own JVM in " + home.launcher() + ": "
                    + e.getMessage());
        }
        List<String> cmd = new ArrayList<>();
        cmd.add(java.toString());
        cmd.addAll(JvmOptions.HARDENING);
        if (Runtime.version().feature() >= 22) {
            cmd.add("--enable-native-access=ALL-UNNAMED");
        }
        cmd.addAll(ownOptions);
        cmd.add("-D" + MARKER + "=true");
        cmd.add("-cp");
        cmd.add(classPath);
        cmd.add(Main.class.getName());
        cmd.addAll(args);

        List<String> envp = new ArrayList<>();
        newEnv.forEach((k, v) -> envp.add(k + "=" + v));
        err.flush();
        System.out.flush();
        try {
            ProcessHardening.LibC.load();
            closeOnExec();
            forgetPerfData();
            ProcessHardening.LibC.execve(cmd.get(0), new StringArray(cmd.toArray(new String[0])),
                    new StringArray(envp.toArray(new String[0])));
        } catch (LastErrorException e) {
            throw new LauncherException("cannot restart the launcher hardened: execve failed with errno "
                    + e.getErrorCode());
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            throw new LauncherException("cannot restart the launcher hardened: " + e.getClass().getSimpleName());
        }
        throw new LauncherException("cannot restart the launcher hardened: execve returned");
    }

    /**
     * Marks every descriptor above 2 close-on-exec: the JDK opens its jars and devices without
     * {@code O_CLOEXEC}, and the new JVM has no use for them.
     */
    private static void closeOnExec() {
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc/self/fd"))) {
            for (Path p : fds) {
                int fd = Integer.parseInt(p.getFileName().toString());
                if (fd > 2) {
                    try {
                        ProcessHardening.LibC.fcntl(fd, ProcessHardening.LibC.F_SETFD, ProcessHardening.LibC.FD_CLOEXEC);
                    } catch (LastErrorException closedMeanwhile) {
                        // the directory stream's own descriptor, closed by now
                    }
                }
            }
        } catch (IOException | NumberFormatException e) {
            // best effort: a leaked descriptor gives the new JVM nothing the old one did not have
        }
    }

    /**
     * Removes this JVM's perf data file ({@code /tmp/hsperfdata_USER/PID}): the JVM removes it at
     * exit, which an {@code execve} skips, and the new JVM (same pid, no perf data) would leave it.
     */
    private static void forgetPerfData() {
        try {
            Path f = Path.of("/tmp", "hsperfdata_" + System.getProperty("user.name"),
                    Long.toString(ProcessHandle.current().pid()));
            if (Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
                Files.delete(f);
            }
        } catch (IOException | RuntimeException e) {
            // best effort: the file names the JVM, it holds no secret
        }
    }

    /** Removes the execute-only copy this JVM was started from, once it runs (the kernel keeps the inode). */
    private static void removeOwnCopy(TaoHome home) {
        Optional<String> exe = ProcessHandle.current().info().command();
        if (exe.isEmpty()) {
            return;
        }
        Path jvms = home.launcher().resolve("jvm").toAbsolutePath().normalize();
        Path self = Path.of(exe.get()).toAbsolutePath().normalize();
        // .../launcher/jvm/ID/bin/java
        if (self.getNameCount() > 3 && self.getParent().getParent().getParent().equals(jvms)) {
            try {
                AtomicFiles.deleteTree(self.getParent().getParent());
            } catch (IOException e) {
                // a stale copy is harmless: it only runs what it was copied from
            }
        }
    }
}
