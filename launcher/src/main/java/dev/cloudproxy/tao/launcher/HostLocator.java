package dev.cloudproxy.tao.launcher;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Decides between the two modes: stacked on a running Tao host, or root on the development soft
 * key. A host is looked for, in order, by {@code --host-socket}, by {@code TAO_HOST_ADMIN}, by
 * this process itself being a hosted program ({@code TAO_HOST_SOCKET} set: a host started the
 * launcher), and at the default location ({@code $TAO_HOME/host/admin.sock}).
 *
 * <p><b>Seam for the stacked mode.</b> Running stacked needs the host's admin API (to have the
 * host start the launcher as a hosted JVM program, so that the host measures it) and, inside that,
 * a {@code Host.stacked} whose delegation comes from {@code Tao.parent()}. Until that is wired, a
 * host that is found makes the launcher stop with {@link #STACKED_UNSUPPORTED}: it never silently
 * runs the app on the development root when the user has a real host. {@code --dev-root} skips
 * the search.
 */
final class HostLocator {
    static final String ADMIN_ENV = "TAO_HOST_ADMIN";
    static final String PARENT_ENV = "TAO_HOST_SOCKET";
    static final String STACKED_UNSUPPORTED = "running stacked on a Tao host is not yet supported by this launcher";

    /** Where the host was found, and how. */
    record Found(Path adminSocket, String how) {}

    private HostLocator() {}

    /** The host to stack on, if any. */
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
        String parent = env.get(PARENT_ENV);
        if (parent != null && !parent.isEmpty()) {
            return Optional.of(new Found(Path.of(parent), PARENT_ENV + " (the launcher was started by a Tao host)"));
        }
        Path dflt = home.defaultHostAdminSocket();
        if (Files.exists(dflt)) {
            return Optional.of(new Found(dflt, "the default location"));
        }
        return Optional.empty();
    }

    /** The seam: what the stacked mode will do. Today it refuses, loudly. */
    static LauncherException stackedMode(Found host) {
        return new LauncherException(STACKED_UNSUPPORTED + " (host found via " + host.how() + " at "
                + host.adminSocket() + "). Refusing rather than running the app unprotected on the development"
                + " root; pass --dev-root to run on the development root anyway.");
    }
}
