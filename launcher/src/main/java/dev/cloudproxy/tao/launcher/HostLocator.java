package dev.cloudproxy.tao.launcher;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Decides among the three ways the launcher runs:
 * <ol>
 *   <li><b>inside a host</b> ({@code TAO_HOST_SOCKET} set: a Tao host started the launcher as its
 *       hosted program): the launcher is a stacked host on its parent ({@link StackedHost});
 *   <li><b>in front of a host</b>: a host's admin socket is named by {@code --host-socket} or
 *       {@code TAO_HOST_ADMIN}, or exists at {@code $TAO_HOME/host/admin.sock}: the launcher asks
 *       that host to start the launcher itself as a hosted JVM program, so that the host measures
 *       it, and relays the streams and exit status ({@link StackedFrontEnd});
 *   <li><b>root</b> on the development soft key, when there is no host, or with {@code --dev-root}.
 * </ol>
 * A host that was named but cannot be reached is an error: the launcher never silently runs the
 * app on the development root when the user has a real host.
 */
final class HostLocator {
    static final String ADMIN_ENV = "TAO_HOST_ADMIN";
    static final String PARENT_ENV = "TAO_HOST_SOCKET";

    /** Where the host was found, and how. */
    record Found(Path adminSocket, String how) {}

    private HostLocator() {}

    /** The parent Tao's socket if a host started this launcher. */
    static Optional<Path> parentSocket(LauncherOptions options, Map<String, String> env) {
        String parent = env.get(PARENT_ENV);
        if (options.devRoot() || parent == null || parent.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(Path.of(parent));
    }

    /** The admin socket of a host to run in front of, if any. */
    static Optional<Found> find(LauncherOptions options, TaoHome home, Map<String, String> env) {
        if (options.devRoot()) {
            return Optional.empty();
        }
        if (options.hostSocket().isPresent()) {
            return Optional.of(new Found(options.hostSocket().get(), "--host-socket"));
        }
        String admin = env.get(ADMIN_ENV);
        if (admin != null && !admin.isEmpty()) {
            return Optional.of(new Found(Path.of(admin), ADMIN_ENV));
        }
        Path dflt = home.defaultHostAdminSocket();
        if (Files.exists(dflt)) {
            return Optional.of(new Found(dflt, "the default location"));
        }
        return Optional.empty();
    }
}
