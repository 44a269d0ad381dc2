package dev.cloudproxy.tao.host;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Where a program under its own user finds its state directory <em>by path</em>, for every process
 * it starts: {@value #MOUNT_POINT_TEXT}, in a mount namespace of the program's own, as systemd
 * does for {@code StateDirectory=} with {@code DynamicUser=}.
 *
 * <p>The state directories live in the host directory, which only root may enter, so no path to
 * them works for a program's user. A descriptor ({@code /proc/self/fd/5}) works for the program's
 * own process but not for the processes it starts (a JVM closes inherited descriptors in its
 * children), such as the app of a stacked launcher. So the new process, still root, moves into a
 * new mount namespace ({@code unshare --mount --propagation private}: nothing it mounts is seen
 * outside) and bind-mounts its state directory onto the mount point before it drops to the
 * program's user; every process it starts inherits that view. Outside those namespaces the mount
 * point is an empty directory of root's (0755) that no one else can write.
 *
 * <p>Needs {@code CAP_SYS_ADMIN} (an unprivileged container's root lacks it) and util-linux's
 * {@code unshare} and {@code mount}: {@link #probe} tries it once, and without it programs get
 * their state directory only through the descriptor (docs/host.md).
 */
final class StateMount {
    static final String MOUNT_POINT_TEXT = "/run/tao-program-state";
    /** The path at which a program sees its state directory. */
    static final Path MOUNT_POINT = Path.of(MOUNT_POINT_TEXT);
    static final Path UNSHARE = Path.of("/usr/bin/unshare");
    static final Path MOUNT = Path.of("/usr/bin/mount");

    private static final System.Logger LOG = System.getLogger(StateMount.class.getName());

    private StateMount() {}

    /**
     * Makes the mount point (root's, 0755, empty) if missing and checks that this process can give
     * a program a mount namespace with a bind mount on it.
     *
     * @return the mount point, or empty if programs cannot have it here (logged once)
     */
    static Optional<Path> probe() {
        try {
            if (!Files.isExecutable(UNSHARE) || !Files.isExecutable(MOUNT)) {
                throw new IOException(UNSHARE + " or " + MOUNT + " (util-linux) is missing");
            }
            if (!Files.exists(MOUNT_POINT, LinkOption.NOFOLLOW_LINKS)) {
                Files.createDirectory(MOUNT_POINT);
                Files.setPosixFilePermissions(MOUNT_POINT, PosixFilePermissions.fromString("rwxr-xr-x"));
            }
            PosixFileAttributes a = Files.readAttributes(MOUNT_POINT, PosixFileAttributes.class,
                    LinkOption.NOFOLLOW_LINKS);
            if (!a.isDirectory() || !a.owner().getName().equals("root")
                    || !PosixFilePermissions.toString(a.permissions()).equals("rwxr-xr-x")) {
                throw new IOException(MOUNT_POINT + " is not a directory of root's with mode 0755");
            }
            Process p = new ProcessBuilder(command(List.of(MOUNT.toString(), "--bind", MOUNT_POINT_TEXT,
                    MOUNT_POINT_TEXT))).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("unshare did not finish");
            }
            if (p.exitValue() != 0) {
                throw new IOException("this host may not make mount namespaces (no CAP_SYS_ADMIN?)");
            }
            return Optional.of(MOUNT_POINT);
        } catch (IOException e) {
            LOG.log(Level.WARNING, "programs get their state directory only as /proc/self/fd/5, which the"
                    + " processes they start cannot use: " + e.getMessage());
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    /** {@code command}, run as root in a mount namespace of its own whose mounts stay in it. */
    static List<String> command(List<String> command) {
        List<String> c = new java.util.ArrayList<>(List.of(UNSHARE.toString(), "--mount", "--propagation", "private",
                "--"));
        c.addAll(command);
        return c;
    }
}
