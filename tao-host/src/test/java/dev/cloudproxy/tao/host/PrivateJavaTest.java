package dev.cloudproxy.tao.host;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The execute-only copy of {@code bin/java}: a JVM started from it is non-dumpable from its first
 * instruction for other processes of its user, although it never hardens itself.
 *
 * <p>The attacker must not be root (root reads any process). Run as root, the test runs both the
 * JVM and the attacker as uid 65534 ({@code setpriv}), so it means the same in both passes.
 */
class PrivateJavaTest {
    private static final int NOBODY = 65534;

    @TempDir
    Path tmp;

    private static boolean root() {
        try {
            return (Integer) Files.getAttribute(Path.of("/proc/self/"), "unix:uid") == 0;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * As root, the command as user nobody (uid 65534, through {@code runuser}); as anyone else,
     * unchanged. (Not {@code setpriv --reuid}: a JVM it starts from the copy was seen dumpable on
     * this project's machines, an exec apparently made with a capability still in effect, which
     * reads any file.)
     */
    private static List<String> asOrdinaryUser(List<String> cmd) {
        List<String> out = new ArrayList<>();
        if (root()) {
            out.addAll(List.of("runuser", "-u", "nobody", "--"));
        }
        out.addAll(cmd);
        return out;
    }

    private Path privateJava() throws Exception {
        Path dir = tmp.resolve("java");
        Path java = PrivateJava.create(Path.of(System.getProperty("java.home")), dir);
        if (root()) {
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwx--x--x"));
            for (Path p : List.of(dir, dir.resolve("bin"), java)) {
                Files.setAttribute(p, "unix:uid", NOBODY, LinkOption.NOFOLLOW_LINKS);
                Files.setAttribute(p, "unix:gid", NOBODY, LinkOption.NOFOLLOW_LINKS);
            }
        }
        return java;
    }

    @Test
    void create_copiesOnlyTheLauncherBinary_executeOnly_andLinksTheRest() throws Exception {
        Path home = Path.of(System.getProperty("java.home")).toRealPath();

        Path java = PrivateJava.create(home, tmp.resolve("java"));

        assertThat(java).isEqualTo(tmp.resolve("java/bin/java"));
        assertThat(Files.getPosixFilePermissions(java, LinkOption.NOFOLLOW_LINKS))
                .isEqualTo(PosixFilePermissions.fromString("--x--x--x"));
        assertThat(Files.readSymbolicLink(tmp.resolve("java/lib"))).isEqualTo(home.resolve("lib"));
        try (Stream<Path> bin = Files.list(tmp.resolve("java/bin"))) {
            assertThat(bin).containsExactly(java);
        }
    }

    @Test
    void deleteTree_ofTheCopy_removesTheLinksNotTheRuntime() throws Exception {
        // A stand-in runtime: removing a copy must never follow its links into the real one.
        Path runtime = Files.createDirectories(tmp.resolve("runtime/bin"));
        Files.copy(Path.of("/bin/true"), runtime.resolve("java"));
        Path marker = Files.writeString(Files.createDirectories(tmp.resolve("runtime/lib")).resolve("marker"), "x");
        Path dir = tmp.resolve("copy");
        PrivateJava.create(tmp.resolve("runtime"), dir);

        dev.cloudproxy.tao.io.AtomicFiles.deleteTree(dir);

        assertThat(dir).doesNotExist();
        assertThat(marker).hasContent("x");
        assertThat(runtime.resolve("java")).exists();
    }

    @Test
    void jvmFromTheCopy_runsTheRealRuntime_andItsMemoryCannotBeOpenedByItsUser() throws Exception {
        Path java = privateJava();
        Path real = Path.of(System.getProperty("java.home"), "bin", "java");

        Attempt fromCopy = openMemoryOfAJvmStartedWith(java);
        Attempt fromRealJava = openMemoryOfAJvmStartedWith(real);

        assertThat(fromCopy.home()).isEqualTo(Path.of(System.getProperty("java.home")).toRealPath().toString());
        assertThat(fromCopy.attacker()).contains("Permission denied").doesNotContain("opened");
        // The control: the same attacker on a JVM from the readable binary succeeds, so the
        // refusal above is the copy's doing, not the attacker's inability.
        assertThat(fromRealJava.attacker()).contains("opened");
    }

    /** What the attacker saw, and the JVM's java.home. */
    private record Attempt(String home, String attacker) {}

    /**
     * Starts {@code StdinWait} with {@code java} and, while it waits (it never hardens itself),
     * has a process of the same user try to open its {@code /proc/PID/mem}.
     */
    private Attempt openMemoryOfAJvmStartedWith(Path java) throws Exception {
        Process jvm = new ProcessBuilder(asOrdinaryUser(List.of(java.toString(), "-Xshare:auto", "-cp",
                Path.of(StdinWait.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString(),
                StdinWait.class.getName()))).redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(jvm.getInputStream(), StandardCharsets.UTF_8));
            String first = out.readLine();
            assertThat(first).as("the JVM started").matches("\\d+ .*");
            // Its own pid: runuser (as root) runs it in a child process.
            long pid = Long.parseLong(first.substring(0, first.indexOf(' ')));
            Process attacker = new ProcessBuilder(asOrdinaryUser(List.of("/bin/sh", "-c",
                    "exec 3< /proc/" + pid + "/mem && echo opened"))).redirectErrorStream(true).start();
            assertThat(attacker.waitFor(30, TimeUnit.SECONDS)).isTrue();
            String said = new String(attacker.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return new Attempt(first.substring(first.indexOf(' ') + 1), said);
        } finally {
            jvm.destroyForcibly();
            jvm.waitFor(30, TimeUnit.SECONDS);
        }
    }
}
