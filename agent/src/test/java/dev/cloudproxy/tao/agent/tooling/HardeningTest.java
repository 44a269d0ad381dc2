package dev.cloudproxy.tao.agent.tooling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HardeningTest {
    @TempDir
    Path tmp;

    private static byte[] status(String tracer) {
        return ("Name:\tjava\nState:\tS (sleeping)\nTracerPid:\t" + tracer + "\nUid:\t0\t0\t0\t0\n")
                .getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void checkNotTraced_untraced_passes() throws Exception {
        Hardening.checkNotTraced(status("0"));
        Hardening.checkNotTraced(); // this test JVM is not traced either
    }

    @Test
    void checkNotTraced_traced_refuses() {
        assertThatThrownBy(() -> Hardening.checkNotTraced(status("4242")))
                .isInstanceOf(IOException.class).hasMessageContaining("being traced (TracerPid 4242)");
    }

    @Test
    void checkNotTraced_unknown_refuses() {
        assertThatThrownBy(() -> Hardening.checkNotTraced("Name:\tjava\n".getBytes(StandardCharsets.US_ASCII)))
                .isInstanceOf(IOException.class).hasMessageContaining("no TracerPid");
        assertThatThrownBy(() -> Hardening.checkNotTraced(new byte[1 << 20])).isInstanceOf(IOException.class);
    }

    /** In a fresh JVM: in this one, other tests (the relay's socket lookup) may have loaded JNA already. */
    @Test
    void makeNonDumpable_setsIt_andJnaUnpacksOnlyIntoThePrivateDirectory() throws Exception {
        Path work = Files.createDirectory(tmp.resolve("work"), PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwx------")));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java));
        if (Runtime.version().feature() >= 22) {
            cmd.add("--enable-native-access=ALL-UNNAMED");
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), HardeningProbe.class.getName(), work.toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out;
        try {
            out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        } finally {
            p.destroyForcibly();
            p.waitFor();
        }

        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).contains("dumpable 0\n", "jna.tmpdir null\n").containsPattern("unpacked .*jna");
        assertThat(Files.getPosixFilePermissions(work.resolve("jna"))).isEqualTo(PosixFilePermissions.fromString("rwx------"));
    }
}
