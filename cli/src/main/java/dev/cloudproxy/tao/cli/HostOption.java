package dev.cloudproxy.tao.cli;

import dev.cloudproxy.tao.host.HostDirectory;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * {@code --host DIR}, the host directory a command works on; by default {@code $TAO_HOME/host},
 * with {@code TAO_HOME} defaulting to {@code ~/.tao}.
 */
final class HostOption {
    @Option(
            names = "--host",
            paramLabel = "DIR",
            description = "The host directory (default: $TAO_HOME/host, TAO_HOME defaulting to ~/.tao).")
    private Path dir;

    HostDirectory directory(Io io) {
        if (dir != null) {
            return new HostDirectory(dir);
        }
        return HostDirectory.defaultFor(envOf(io), System.getProperty("user.home"));
    }

    private static java.util.Map<String, String> envOf(Io io) {
        String home = io.env(HostDirectory.TAO_HOME_ENV);
        return home == null ? java.util.Map.of() : java.util.Map.of(HostDirectory.TAO_HOME_ENV, home);
    }
}
