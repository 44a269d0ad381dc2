package dev.cloudproxy.tao.cli;

import dev.cloudproxy.tao.host.HostDirectory;
import dev.cloudproxy.tao.host.ProgramRunner;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * {@code --host DIR}, the host directory a command works on; by default {@code $TAO_HOME/host},
 * with {@code TAO_HOME} defaulting to {@code ~/.tao}, or in a program of a root host to its state
 * directory ({@link HostDirectory#defaultFor}).
 */
final class HostOption {
    @Option(
            names = "--host",
            paramLabel = "DIR",
            description = "The host directory (default: $TAO_HOME/host, TAO_HOME defaulting to ~/.tao, or in a "
                    + "program of a root host to $TAO_STATE_DIR).")
    private Path dir;

    HostDirectory directory(Io io) {
        if (dir != null) {
            return new HostDirectory(dir);
        }
        return HostDirectory.defaultFor(envOf(io), System.getProperty("user.home"));
    }

    private static java.util.Map<String, String> envOf(Io io) {
        java.util.Map<String, String> env = new java.util.HashMap<>();
        for (String name : new String[] {HostDirectory.TAO_HOME_ENV, ProgramRunner.STATE_DIR_ENV}) {
            String value = io.env(name);
            if (value != null) {
                env.put(name, value);
            }
        }
        return env;
    }
}
