package dev.cloudproxy.tao.host;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HostDirectoryTest {
    @Test
    void defaultFor_takesTaoHome_thenTheStateDirectoryByPath_thenTheUsersHome() {
        String state = ProgramRunner.STATE_DIR_ENV;
        assertThat(HostDirectory.defaultFor(Map.of("TAO_HOME", "/t", state, "/run/s"), "/home/u").root())
                .isEqualTo(Path.of("/t/host"));
        assertThat(HostDirectory.defaultFor(Map.of(state, "/run/s"), "?").root()).isEqualTo(Path.of("/run/s/host"));
        // A descriptor is no path for the processes the program starts; a relative value no path at all.
        assertThat(HostDirectory.defaultFor(Map.of(state, "/proc/self/fd/5"), "/home/u").root())
                .isEqualTo(Path.of("/home/u/.tao/host"));
        assertThat(HostDirectory.defaultFor(Map.of(state, "rel"), "/home/u").root())
                .isEqualTo(Path.of("/home/u/.tao/host"));
        assertThat(HostDirectory.defaultFor(Map.of(), "/home/u").root()).isEqualTo(Path.of("/home/u/.tao/host"));
    }
}
