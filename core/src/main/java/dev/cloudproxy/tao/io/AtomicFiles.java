package dev.cloudproxy.tao.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Objects;
import java.util.Set;

/**
 * Crash-safe replacement of small files, and bounded reads.
 *
 * <p>{@link #write} follows the classic sequence: create a temporary file in the target's own
 * directory (so the final rename never crosses file systems) with its permissions set at creation
 * (there is no window in which a secret file is readable by others), write, {@code fsync} the file,
 * rename it over the target atomically, then {@code fsync} the directory so that the rename itself
 * is durable. A crash before the rename leaves the old file untouched (and possibly a stray
 * {@code .NAME.*.tmp} file, which is never read); a crash after it leaves the new file complete.
 *
 * <p>Requires a POSIX file system: where permissions cannot be set at creation the write fails
 * with an {@link IOException} rather than creating a file others might read.
 */
public final class AtomicFiles {
    /** {@code rw-------}: for keys, sealed state and anything else secret. */
    public static final Set<PosixFilePermission> OWNER_ONLY =
            PosixFilePermissions.fromString("rw-------");

    /** {@code rw-r--r--}: for public material such as a public key (the umask may narrow it). */
    public static final Set<PosixFilePermission> PUBLIC_READ =
            PosixFilePermissions.fromString("rw-r--r--");

    private static final Set<PosixFilePermission> PRIVATE_DIRECTORY =
            PosixFilePermissions.fromString("rwx------");

    private AtomicFiles() {}

    /** Replaces {@code target} atomically with {@code content}, readable and writable by the owner only. */
    public static void writeOwnerOnly(Path target, byte[] content) throws IOException {
        write(target, content, OWNER_ONLY);
    }

    /**
     * Replaces {@code target} atomically with {@code content}; the new file has {@code permissions}
     * (narrowed by the process umask) from the moment it exists.
     *
     * @throws IOException if any step fails; the target then still has its old content (or is
     *     still absent), except that a failure of the final directory {@code fsync} is reported
     *     after the rename took place
     */
    public static void write(Path target, byte[] content, Set<PosixFilePermission> permissions)
            throws IOException {
        Objects.requireNonNull(content, "content");
        Objects.requireNonNull(permissions, "permissions");
        Path file = target.toAbsolutePath();
        Path dir = file.getParent();
        if (dir == null || file.getFileName() == null) {
            throw new IllegalArgumentException("target must name a file inside a directory");
        }
        Path tmp = createTemporary(dir, file.getFileName().toString(), permissions);
        try {
            try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ByteBuffer buffer = ByteBuffer.wrap(content);
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
                channel.force(true);
            }
            // rename(2): replaces an existing target in one step, never leaving it half-written.
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
        } catch (Throwable failure) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException cleanup) {
                failure.addSuppressed(cleanup);
            }
            throw failure;
        }
        syncDirectory(dir);
    }

    /**
     * Creates {@code dir} and any missing parents with mode {@code rwx------}; directories that
     * already exist keep their permissions.
     */
    public static void createPrivateDirectories(Path dir) throws IOException {
        try {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PRIVATE_DIRECTORY));
        } catch (UnsupportedOperationException e) {
            throw new IOException("file system does not support POSIX permissions: " + dir, e);
        }
    }

    /**
     * Deletes {@code root} and everything below it, deepest first, without following symbolic
     * links (a link is removed, not its target). Does nothing if {@code root} does not exist.
     */
    public static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (java.util.stream.Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /**
     * Reads at most {@code limit} bytes from the start of {@code file}. A caller that must reject
     * oversized files asks for one byte more than it accepts and checks the length, which bounds
     * memory even if the file grows while it is read.
     */
    public static byte[] readAtMost(Path file, int limit) throws IOException {
        if (limit < 0) {
            throw new IllegalArgumentException("limit must not be negative");
        }
        try (InputStream in = Files.newInputStream(file)) {
            return in.readNBytes(limit);
        }
    }

    private static Path createTemporary(Path dir, String name, Set<PosixFilePermission> permissions)
            throws IOException {
        FileAttribute<Set<PosixFilePermission>> mode = PosixFilePermissions.asFileAttribute(permissions);
        try {
            return Files.createTempFile(dir, "." + name + ".", ".tmp", mode);
        } catch (UnsupportedOperationException e) {
            throw new IOException("file system does not support POSIX permissions: " + dir, e);
        }
    }

    /**
     * Makes the entries of {@code dir} durable ({@code fsync} of the directory): after a rename
     * into it, this is what makes the rename survive a crash.
     */
    public static void syncDirectory(Path dir) throws IOException {
        // Linux lets a directory be opened read-only and fsync'ed; that makes the rename durable.
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }
}
