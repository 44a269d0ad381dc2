package dev.cloudproxy.tao.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JvmFactoryTest {
    @TempDir
    Path tmp;

    @Test
    void prepare_jmxRemoteOption_isRefusedBeforeAnythingIsCopied() throws Exception {
        Path jar = Files.writeString(tmp.resolve("app.jar"), "not even a jar: the option is refused first");
        Path scratch = tmp.resolve("programs");
        ProgramSpec spec = ProgramSpec.jvm(jar, List.of())
                .withJvmOptions(List.of("-Xmx64m", "-Dcom.sun.management.jmxremote.port=9010"));

        ProgramStartException e = assertThrows(ProgramStartException.class,
                () -> JvmFactory.onThisRuntime().prepare(spec, scratch));

        assertThat(e.getMessage()).isEqualTo("JVM option '-Dcom.sun.management.jmxremote.port=...' is refused:"
                + " it opens a remote management (JMX) channel into the app");
        assertThat(scratch).doesNotExist();
    }
}
