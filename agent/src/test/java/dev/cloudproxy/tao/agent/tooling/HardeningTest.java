package dev.cloudproxy.tao.agent.tooling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.stream.Stream;
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

    @Test
    void makeNonDumpable_setsIt_andJnaUnpacksOnlyIntoThePrivateDirectory() throws Exception {
        Path work = Files.createDirectory(tmp.resolve("work"), PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwx------")));

        System.setProperty("jnidispatch.preserve", "true"); // JNA would delete its stub once loaded
        try {
            Hardening.makeNonDumpable(work);
        } finally {
            System.clearProperty("jnidispatch.preserve");
        }

        assertThat(Hardening.LibC.prctl(3 /* PR_GET_DUMPABLE */, 0, 0, 0, 0)).isZero();
        assertThat(System.getProperty("jna.tmpdir")).isNull(); // restored after loading
        assertThat(Files.getPosixFilePermissions(work.resolve("jna"))).isEqualTo(PosixFilePermissions.fromString("rwx------"));
        try (Stream<Path> s = Files.list(work.resolve("jna"))) {
            assertThat(s.map(p -> p.getFileName().toString())).anyMatch(n -> n.startsWith("jna"));
        }
    }
}
