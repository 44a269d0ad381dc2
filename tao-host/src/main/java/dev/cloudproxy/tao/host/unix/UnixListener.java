package dev.cloudproxy.tao.host.unix;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * A listening Unix domain stream socket made with system calls rather than the JDK, because the
 * host must learn the process id of each peer ({@code SO_PEERCRED}) and the JDK gives neither the
 * PID nor the file descriptor of an accepted channel. Descriptors are close-on-exec, so hosted
 * programs the host starts never inherit them.
 *
 * <p>One thread calls {@link #accept} and, when it has stopped, {@link #close}; {@link #shutdown}
 * from any other thread makes a blocked {@code accept} return.
 */
public final class UnixListener implements AutoCloseable {
    private final int fd;
    private final Path path;
    private final Object lock = new Object();
    private boolean closed;
    private boolean shut;

    private UnixListener(int fd, Path path) {
        this.fd = fd;
        this.path = path;
    }

    /**
     * Binds a socket at {@code path} (which must not exist) and listens on it. The socket file gets
     * the process's umask; put it in a directory only the intended peers can reach.
     */
    public static UnixListener bind(Path path, int backlog) throws IOException {
        byte[] name = path.toString().getBytes(StandardCharsets.UTF_8);
        if (name.length >= LibC.SUN_PATH_BYTES) {
            throw new IOException("socket path is longer than " + (LibC.SUN_PATH_BYTES - 1) + " bytes: " + path);
        }
        int fd;
        try {
            fd = LibC.socket(LibC.AF_UNIX, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC, 0);
        } catch (LastErrorException e) {
            throw new IOException("cannot create a Unix socket (errno " + e.getErrorCode() + ")");
        }
        try (Memory addr = new Memory(LibC.SOCKADDR_UN_BYTES)) {
            addr.clear();
            addr.setShort(0, (short) LibC.AF_UNIX);
            addr.write(2, name, 0, name.length);
            LibC.bind(fd, addr, 2 + name.length + 1);
            LibC.listen(fd, backlog);
            return new UnixListener(fd, path);
        } catch (LastErrorException e) {
            LibC.close(fd);
            throw new IOException("cannot listen on " + path + " (errno " + e.getErrorCode() + ")");
        }
    }

    public Path path() {
        return path;
    }

    /**
     * Waits for the next connection.
     *
     * @return the connection, or null once {@link #shutdown} was called
     */
    public UnixConnection accept() throws IOException {
        while (true) {
            synchronized (lock) {
                if (shut || closed) {
                    return null;
                }
            }
            int client;
            try {
                client = LibC.accept4(fd, null, null, LibC.SOCK_CLOEXEC);
            } catch (LastErrorException e) {
                synchronized (lock) {
                    if (shut || closed) {
                        return null;
                    }
                }
                int errno = e.getErrorCode();
                if (errno == LibC.EINTR || errno == LibC.ECONNABORTED || errno == LibC.EAGAIN) {
                    continue;
                }
                throw new IOException("accept failed (errno " + errno + ")");
            }
            try {
                return new UnixConnection(client);
            } catch (IOException e) {
                // The peer vanished before its credentials could be read; wait for the next one.
                continue;
            }
        }
    }

    /** Makes a blocked {@link #accept} return null; safe from any thread. */
    public void shutdown() {
        synchronized (lock) {
            if (closed || shut) {
                return;
            }
            shut = true;
            try {
                LibC.shutdown(fd, LibC.SHUT_RDWR);
            } catch (LastErrorException e) {
                // Nothing blocked to wake.
            }
        }
    }

    /** Closes the descriptor. The socket file stays; removing it is the owner's job. */
    @Override
    public void close() {
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            try {
                LibC.close(fd);
            } catch (LastErrorException e) {
                // Released anyway.
            }
        }
    }
}
