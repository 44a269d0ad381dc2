package dev.cloudproxy.tao.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The launcher lets the runtime digest cache serve only its own runtime. */
class RuntimeCacheChoiceTest {
    @TempDir
    Path tmp;

    @Test
    void ownRuntime_evenThroughALink_usesTheCache() throws Exception {
        Path own = Path.of(System.getProperty("java.home"));
        Path link = Files.createSymbolicLink(tmp.resolve("jdk"), own);
        assertThat(Launch.cachesRuntimeDigests(own, own)).isTrue();
        assertThat(Launch.cachesRuntimeDigests(link, own)).isTrue();
    }

    @Test
    void anotherRuntime_orOneThatDoesNotExist_doesNot() throws Exception {
        Path own = Path.of(System.getProperty("java.home"));
        Path other = Files.createDirectories(tmp.resolve("other-jdk"));
        assertThat(Launch.cachesRuntimeDigests(other, own)).isFalse();
        assertThat(Launch.cachesRuntimeDigests(tmp.resolve("missing"), own)).isFalse();
    }
}
