package dev.cloudproxy.tao.host.unix;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.NativeLong;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * A private, immutable copy of a file's bytes in memory: a {@code memfd} sealed against writing,
 * shrinking and growing, and against further sealing, held open read-only by this process.
 *
 * <p>This is how the host runs exactly what it measured: it copies the program into a sealed
 * copy, hashes <em>the copy</em> ({@link #sha256}), and executes the copy through
 * {@link #execPath}. Nobody, the host's own user included, can change a sealed copy, so there is
 * no window between measuring and executing in which the bytes can be swapped. Replacing the
 * original file afterwards changes nothing for the copy.
 *
 * <p>{@link #execPath} is {@code /proc/<host pid>/fd/<n>}: a child process opens the host's
 * descriptor through it at {@code execve} time (and a script's interpreter opens it again to read
 * the script), so the copy must stay open until the program has exited. The writable descriptor
 * is closed once the copy is sealed, so that {@code execve} does not fail with {@code ETXTBSY}.
 */
public final class SealedCopy implements AutoCloseable {
    private static final int CHUNK = 64 << 10;
    private static final int ALL_SEALS = LibC.F_SEAL_SEAL | LibC.F_SEAL_SHRINK | LibC.F_SEAL_GROW | LibC.F_SEAL_WRITE;

    private final int fd;
    private final long size;
    private final byte[] sha256;
    private final Object lock = new Object();
    private boolean closed;

    private SealedCopy(int fd, long size, byte[] sha256) {
        this.fd = fd;
        this.size = size;
        this.sha256 = sha256;
    }

    /**
     * Copies the regular file {@code source} (links are followed once, when it is opened) into a
     * sealed copy named {@code label} (visible in {@code /proc}; not a secret), and hashes the copy.
     *
     * @throws IOException if the file cannot be read, is not a regular file, is larger than
     *     {@code maxBytes}, or the copy cannot be made
     */
    public static SealedCopy of(Path source, String label, long maxBytes) throws IOException {
        if (!Files.isRegularFile(source)) {
            throw new IOException(Files.exists(source, LinkOption.NOFOLLOW_LINKS)
                    ? "not a regular file: " + source : "no such file: " + source);
        }
        int writable;
        try {
            writable = LibC.memfd_create(label, LibC.MFD_CLOEXEC | LibC.MFD_ALLOW_SEALING);
        } catch (LastErrorException e) {
            throw new IOException("cannot create a sealed copy (memfd_create errno " + e.getErrorCode() + ")");
        }
        int readOnly = -1;
        try {
            long size = copy(source, writable, maxBytes);
            // Readable and executable by every user: a program a root host runs under its own user
            // must exec (and a script's interpreter read) the copy. Only processes that can reach
            // the host's descriptor can open it at all, and nobody can change it.
            LibC.fchmod(writable, 0555);
            LibC.fcntl(writable, LibC.F_ADD_SEALS, ALL_SEALS);
            readOnly = LibC.open("/proc/self/fd/" + writable, LibC.O_RDONLY | LibC.O_CLOEXEC);
            SealedCopy copy = new SealedCopy(readOnly, size, null);
            byte[] hash = copy.hashContent();
            if (copy.sealsNow() != ALL_SEALS) {
                throw new IOException("the sealed copy of " + source + " lost its seals");
            }
            return new SealedCopy(readOnly, size, hash);
        } catch (LastErrorException e) {
            if (readOnly >= 0) {
                closeQuietly(readOnly);
            }
            throw new IOException("cannot seal the copy of " + source + " (errno " + e.getErrorCode() + ")");
        } catch (IOException | RuntimeException e) {
            if (readOnly >= 0) {
                closeQuietly(readOnly);
            }
            throw e;
        } finally {
            closeQuietly(writable);
        }
    }

    private static long copy(Path source, int fd, long maxBytes) throws IOException {
        long total = 0;
        try (InputStream in = Files.newInputStream(source); Memory buf = new Memory(CHUNK)) {
            byte[] chunk = new byte[CHUNK];
            for (int n = in.read(chunk); n >= 0; n = in.read(chunk)) {
                total += n;
                if (total > maxBytes) {
                    throw new IOException(source + " is larger than " + maxBytes + " bytes");
                }
                buf.write(0, chunk, 0, n);
                int off = 0;
                while (off < n) {
                    try {
                        off += LibC.write(fd, buf.share(off), new NativeLong(n - off)).intValue();
                    } catch (LastErrorException e) {
                        if (e.getErrorCode() != LibC.EINTR) {
                            throw new IOException("cannot write the sealed copy (errno " + e.getErrorCode() + ")");
                        }
                    }
                }
            }
        }
        return total;
    }

    /** SHA-256 of the bytes in the copy itself, read back through its read-only descriptor. */
    private byte[] hashContent() throws IOException {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the platform has no SHA-256", e);
        }
        long read = 0;
        try (InputStream in = Files.newInputStream(Path.of("/proc/self/fd/" + fd))) {
            byte[] chunk = new byte[CHUNK];
            for (int n = in.read(chunk); n >= 0; n = in.read(chunk)) {
                sha.update(chunk, 0, n);
                read += n;
            }
        }
        if (read != size) {
            throw new IOException("the sealed copy has " + read + " bytes, not the " + size + " written");
        }
        return sha.digest();
    }

    private int sealsNow() {
        return LibC.fcntl(fd, LibC.F_GET_SEALS, 0) & ALL_SEALS;
    }

    /** SHA-256 of the copy's bytes: what the host measured and what {@link #execPath} runs. */
    public byte[] sha256() {
        return sha256.clone();
    }

    public long size() {
        return size;
    }

    /** A path through which another process of this user opens the copy, while it stays open. */
    public Path execPath() {
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("the sealed copy is closed");
            }
            return Path.of("/proc", Long.toString(ProcessHandle.current().pid()), "fd", Integer.toString(fd));
        }
    }

    /** Releases the copy; {@link #execPath} stops working. Idempotent. */
    @Override
    public void close() {
        synchronized (lock) {
            if (!closed) {
                closed = true;
                closeQuietly(fd);
            }
        }
    }

    private static void closeQuietly(int fd) {
        try {
            LibC.close(fd);
        } catch (LastErrorException e) {
            // Released anyway.
        }
    }

    /** A label for {@code memfd_create}: printable ASCII only, at most 200 bytes. */
    public static String label(String name) {
        StringBuilder b = new StringBuilder("tao:");
        for (byte c : name.getBytes(StandardCharsets.UTF_8)) {
            if (b.length() >= 200) {
                break;
            }
            b.append(c > 0x20 && c < 0x7f && c != '/' ? (char) c : '_');
        }
        return b.toString();
    }

    @Override
    public String toString() {
        return "SealedCopy[" + size + " bytes]";
    }
}
