package dev.cloudproxy.tao.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.cloudproxy.tao.launcher.LauncherProcess.Result;
import dev.cloudproxy.tao.launcher.apps.EnvApp;
import dev.cloudproxy.tao.launcher.apps.MapsApp;
import dev.cloudproxy.tao.launcher.apps.WaitApp;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Attacks on the launcher and its app by another program on the machine (issue 14, attacks 1-4
 * and 11), each run as the attacker would, each failing for the attacker.
 */
class LauncherAttackTest {
    @TempDir
    Path tmp;

    Path home;
    Map<String, String> env;

    @BeforeEach
    void setUp() throws Exception {
        home = Files.createDirectory(tmp.resolve("home"));
        env = new HashMap<>();
        env.put("TAO_HOME", home.toString());
        env.put("HOME", tmp.toString());
    }

    private Path app(String name, Class<?> main) throws Exception {
        return TestApps.jar(Files.createDirectories(tmp.resolve(name)), name, main, null);
    }

    @Test
    void jvmOption_jmxRemote_isRefusedWith125AndOneLine() throws Exception {
        Path jar = app("env", EnvApp.class);

        Result r = LauncherProcess.run(tmp, env, List.of("--jvm-option=-Dcom.sun.management.jmxremote.port=9010",
                "--jvm-option=-Dcom.sun.management.jmxremote.authenticate=false", jar.toString()));

        assertThat(r.status()).isEqualTo(Main.LAUNCHER_FAILED);
        assertThat(r.err()).isEqualTo("tao-launcher: JVM option '-Dcom.sun.management.jmxremote.port=...' is refused:"
                + " it opens a remote management (JMX) channel into the app\n");
        assertThat(r.out()).isEmpty();
        assertThat(home.resolve("launcher/root")).as("the refusal comes before any key is opened").doesNotExist();
        assertThat(home.resolve("launcher/run")).doesNotExist();
    }

    @Test
    void jvmOption_refusedByTheMeasurementOrThePolicy_exits125WithOneLineAndNoStackTrace() throws Exception {
        Path jar = app("env", EnvApp.class);
        for (String bad : List.of("--class-path=/tmp/x", "-XX:Flags=/tmp/flags", "@/tmp/args", "-cp",
                "--add-opens=java.base/java.lang=ALL-UNNAMED", "-XX:+UnlockDiagnosticVMOptions")) {
            Result r = LauncherProcess.run(tmp, env, List.of("--jvm-option=" + bad, jar.toString()));

            assertThat(r.status()).as(bad).isEqualTo(Main.LAUNCHER_FAILED);
            assertThat(r.err().lines()).as(bad).hasSize(1).allMatch(l -> l.startsWith("tao-launcher: JVM option '"));
            assertThat(r.err()).as(bad).doesNotContain("Exception").doesNotContain("\tat ");
        }
    }

    private static boolean root() throws IOException {
        return (Integer) Files.getAttribute(Path.of("/proc/self/"), "unix:uid") == 0;
    }

    @Test
    void ldPreload_inTheLaunchersEnvironment_reachesNeitherTheAppsMemoryNorItsEnvironment() throws Exception {
        // libjsig is the JDK's own library meant for LD_PRELOAD: it loads into any process.
        Path lib = Files.copy(Path.of(System.getProperty("java.home"), "lib", "libjsig.so"),
                tmp.resolve("preloaded-by-the-attacker.so"));
        ProcessBuilder withPreload = new ProcessBuilder("cat", "/proc/self/maps");
        withPreload.environment().put("LD_PRELOAD", lib.toString());
        Process preloaded = withPreload.start();
        String controlMaps = new String(preloaded.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(preloaded.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(controlMaps).as("the library really preloads (so the check below can fail)").contains(lib.toString());
        Path jar = app("maps", MapsApp.class);
        env.put("LD_PRELOAD", lib.toString());
        env.put("LD_LIBRARY_PATH", tmp.toString());
        env.put("GCONV_PATH", tmp.toString()); // the C library's character set modules: code too
        env.put("GLIBC_TUNABLES", "glibc.malloc.check=3");

        Result r = LauncherProcess.run(tmp, env, List.of(jar.toString(), lib.toString()));

        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo("mapped false\nld-vars []\n");
        assertThat(r.err()).contains("tao-launcher: removed LD_PRELOAD from the app's environment")
                .contains("tao-launcher: removed LD_LIBRARY_PATH from the app's environment")
                .contains("tao-launcher: removed GCONV_PATH from the app's environment")
                .contains("tao-launcher: removed GLIBC_TUNABLES from the app's environment");
    }

    @Test
    void attach_toTheLauncher_fails() throws Exception {
        Path jar = app("wait", WaitApp.class);
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        assertThat(jcmd).as("the JDK running the tests has jcmd").isExecutable();
        try (LauncherProcess p = LauncherProcess.start(tmp, env, true, List.of(jar.toString()))) {
            p.awaitLine(p.stdout(), "ready");
            long launcher = p.process().pid(); // execve kept the pid: this is the hardened launcher

            Process attach = new ProcessBuilder(jcmd.toString(), Long.toString(launcher), "VM.version")
                    .redirectErrorStream(true).start();
            attach.getOutputStream().close();
            String said = new String(attach.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(attach.waitFor(60, TimeUnit.SECONDS)).isTrue();

            assertThat(attach.exitValue()).as(said).isNotZero();
            assertThat(said).doesNotContain("OpenJDK").doesNotContain("JDK " + Runtime.version().feature());
            assertThat(ProcessHandle.of(launcher).orElseThrow().info().arguments().orElseThrow())
                    .contains("-XX:+DisableAttachMechanism", "-XX:-UsePerfData");
            // no perf data file names the launcher either (jps, jstat read those)
            assertThat(Path.of("/tmp", "hsperfdata_" + System.getProperty("user.name"), Long.toString(launcher)))
                    .doesNotExist();
        }
    }

    /**
     * The attacker of issue 14, attack 2: a process of the same user that opens the app's
     * {@code /proc/PID/mem} as early as it can (polling for the launcher's child, trying every
     * process the launcher starts, {@code jspawnhelper} included, the moment it appears) and keeps
     * what it opened. Root reads any process, so this runs in the ordinary-user pass of CI.
     */
    @Test
    void procMem_ofTheLauncherAndItsApp_cannotBeOpenedByTheirUser_evenBeforePremain() throws Exception {
        assumeFalse(root(), "the attacker here is the launcher's own user, which as root reads every process:"
                + " this test runs in the ordinary-user pass");
        Path jar = app("wait", WaitApp.class);
        List<Kept> kept = new ArrayList<>();
        int attemptsOnTheApp = 0;
        try (LauncherProcess p = LauncherProcess.start(tmp, env, true, List.of(jar.toString()))) {
            ProcessHandle launcher = p.process().toHandle();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (attemptsOnTheApp == 0 && System.nanoTime() < deadline && launcher.isAlive()) {
                for (ProcessHandle child : launcher.children().toList()) {
                    boolean isTheApp = argv0(child.pid()).map(a -> a.endsWith("/java/bin/java")).orElse(false);
                    MemOpen m = openMem(child.pid());
                    if (isTheApp && !m.gone()) {
                        attemptsOnTheApp++;
                        assertThat(m.channel()).as("the app's memory, opened by its user").isEmpty();
                        assertThat(m.denied()).isTrue();
                    }
                    if (m.channel().isPresent()) {
                        kept.add(new Kept(m.channel().get(), firstMappedAddress(child.pid())));
                    }
                }
                Thread.onSpinWait();
            }
            assertThat(attemptsOnTheApp).as("the attacker got to try the app").isPositive();
            BufferedReader out = p.stdout();
            p.awaitLine(out, "ready");

            MemOpen ofLauncher = openMem(launcher.pid());
            assertThat(ofLauncher.channel()).as("the launcher's memory, opened by its user").isEmpty();
            assertThat(ofLauncher.denied()).isTrue();
            for (Kept k : kept) {
                // Opened while the process was still jspawnhelper, before its execve: it reads
                // nothing of what the process became.
                if (k.address().isPresent()) {
                    assertThat(readsAt(k.channel(), k.address().get())).isFalse();
                }
            }
        } finally {
            for (Kept k : kept) {
                k.channel().close();
            }
        }
    }

    /** A descriptor of {@code /proc/PID/mem} the attacker kept, and an address that was mapped then. */
    private record Kept(FileChannel channel, Optional<Long> address) {}

    /** What opening {@code /proc/PID/mem} gave: the descriptor, a refusal, or nothing (the process is gone). */
    private record MemOpen(Optional<FileChannel> channel, boolean denied, boolean gone) {}

    private static MemOpen openMem(long pid) {
        try {
            return new MemOpen(Optional.of(FileChannel.open(Path.of("/proc", Long.toString(pid), "mem"),
                    StandardOpenOption.READ)), false, false);
        } catch (java.nio.file.AccessDeniedException e) {
            return new MemOpen(Optional.empty(), true, false);
        } catch (IOException e) {
            return new MemOpen(Optional.empty(), false, true);
        }
    }

    private static Optional<Long> firstMappedAddress(long pid) {
        try {
            String maps = Files.readString(Path.of("/proc", Long.toString(pid), "maps"));
            String first = maps.substring(0, maps.indexOf('-'));
            return Optional.of(Long.parseUnsignedLong(first, 16));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    private static boolean readsAt(FileChannel c, long address) {
        try {
            return c.read(ByteBuffer.allocate(16), address) > 0;
        } catch (IOException e) {
            return false;
        }
    }

    private static Optional<String> argv0(long pid) {
        try {
            byte[] cmdline = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline"));
            int end = 0;
            while (end < cmdline.length && cmdline[end] != 0) {
                end++;
            }
            return Optional.of(new String(cmdline, 0, end, StandardCharsets.UTF_8));
        } catch (IOException gone) {
            return Optional.empty();
        }
    }

}
