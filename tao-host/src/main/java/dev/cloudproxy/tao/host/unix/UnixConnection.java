package dev.cloudproxy.tao.host.unix;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.NativeLong;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;

/**
 * One accepted connection: a blocking byte channel over the socket, and the kernel's credentials
 * for the process that connected.
 *
 * <p>One thread reads and finally {@link #close closes} it; writes may come from other threads
 * too (they are serialized, and use their own buffer), and any thread may call {@link #shutdown}
 * to wake the reader (its blocked read ends as end of stream). Only the owner closes the
 * descriptor, and it does so after the other threads are done with it, so a write or shutdown can
 * never reach a reused descriptor number.
 *
 * <p>Reads may have a deadline ({@link #readBefore}), so a peer that stops sending in the middle
 * of a message cannot hold the reading thread for longer than its owner allows.
 */
public final class UnixConnection implements ByteChannel {
    private static final int BUFFER_BYTES = 64 << 10;

    private final int fd;
    private final PeerCredentials peer;
    private final Memory buffer = new Memory(BUFFER_BYTES);
    private final Memory writeBuffer = new Memory(BUFFER_BYTES);
    private final Object writeLock = new Object();
    private final Object lock = new Object();
    private final Memory pollFd = new Memory(LibC.POLLFD_BYTES);
    private boolean closed;
    // System.nanoTime() by which a read must have data; meaningful only while hasDeadline.
    private long deadline;
    private boolean hasDeadline;

    UnixConnection(int fd) throws IOException {
        this.fd = fd;
        try {
            this.peer = peerCredentials(fd);
        } catch (IOException e) {
            close();
            throw e;
        }
    }

    private static PeerCredentials peerCredentials(int fd) throws IOException {
        try (Memory ucred = new Memory(LibC.UCRED_BYTES); Memory len = new Memory(4)) {
            ucred.clear();
            len.setInt(0, LibC.UCRED_BYTES);
            LibC.getsockopt(fd, LibC.SOL_SOCKET, LibC.SO_PEERCRED, ucred, len);
            if (len.getInt(0) != LibC.UCRED_BYTES) {
                throw new IOException("SO_PEERCRED returned " + len.getInt(0) + " bytes");
            }
            return new PeerCredentials(
                    Integer.toUnsignedLong(ucred.getInt(0)),
                    Integer.toUnsignedLong(ucred.getInt(4)),
                    Integer.toUnsignedLong(ucred.getInt(8)));
        } catch (LastErrorException e) {
            throw new IOException("cannot read peer credentials (errno " + e.getErrorCode() + ")");
        }
    }

    /** The connecting process, as the kernel saw it at connect time. */
    public PeerCredentials peer() {
        return peer;
    }

    /**
     * Waits until a read would not block (data, end of stream or an error), at most
     * {@code timeout}. Only the reading thread calls this.
     *
     * @return false if the time passed first
     */
    public boolean awaitReadable(Duration timeout) throws IOException {
        return poll(System.nanoTime() + timeout.toNanos());
    }

    /** Waits, as long as it takes, until a read would not block. Only the reading thread calls this. */
    public void awaitReadable() throws IOException {
        checkOpen();
        while (!pollOnce(-1)) {
            // interrupted by a signal: wait again
        }
    }

    /**
     * From now on, a {@link #read} that finds no data before {@code nanoTime} (as
     * {@link System#nanoTime}) throws {@link SocketTimeoutException}, until
     * {@link #readWithoutDeadline}. Only the reading thread calls this.
     */
    public void readBefore(long nanoTime) {
        deadline = nanoTime;
        hasDeadline = true;
    }

    /** Reads block as long as it takes again. */
    public void readWithoutDeadline() {
        hasDeadline = false;
    }

    private boolean poll(long until) throws IOException {
        checkOpen();
        while (true) {
            long left = until - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            // Round up, so a wait never ends just before the deadline and spins.
            if (pollOnce((int) Math.min(Integer.MAX_VALUE, (left + 999_999) / 1_000_000))) {
                return true;
            }
        }
    }

    /** One poll for input; true if readable, false on timeout or a signal. */
    private boolean pollOnce(int millis) throws IOException {
        pollFd.setInt(0, fd);
        pollFd.setShort(4, (short) LibC.POLLIN);
        pollFd.setShort(6, (short) 0);
        try {
            return LibC.poll(pollFd, new NativeLong(1), millis) > 0;
        } catch (LastErrorException e) {
            if (e.getErrorCode() != LibC.EINTR) {
                throw new IOException("poll failed (errno " + e.getErrorCode() + ")");
            }
            return false;
        }
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        checkOpen();
        int want = Math.min(dst.remaining(), BUFFER_BYTES);
        if (want == 0) {
            return 0;
        }
        if (hasDeadline && !poll(deadline)) {
            throw new SocketTimeoutException("no data before the read deadline");
        }
        while (true) {
            try {
                int n = LibC.read(fd, buffer, new NativeLong(want)).intValue();
                if (n == 0) {
                    return -1;
                }
                dst.put(buffer.getByteBuffer(0, n));
                return n;
            } catch (LastErrorException e) {
                if (e.getErrorCode() != LibC.EINTR) {
                    throw new IOException("read failed (errno " + e.getErrorCode() + ")");
                }
            }
        }
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        synchronized (writeLock) {
            return writeLocked(src);
        }
    }

    private int writeLocked(ByteBuffer src) throws IOException {
        checkOpen();
        int want = Math.min(src.remaining(), BUFFER_BYTES);
        if (want == 0) {
            return 0;
        }
        ByteBuffer chunk = src.duplicate();
        chunk.limit(chunk.position() + want);
        writeBuffer.getByteBuffer(0, want).put(chunk);
        while (true) {
            try {
                // MSG_NOSIGNAL: a peer that went away is an EPIPE error here, not a SIGPIPE.
                int n = LibC.send(fd, writeBuffer, new NativeLong(want), LibC.MSG_NOSIGNAL).intValue();
                src.position(src.position() + n);
                return n;
            } catch (LastErrorException e) {
                if (e.getErrorCode() != LibC.EINTR) {
                    throw new IOException("write failed (errno " + e.getErrorCode() + ")");
                }
            }
        }
    }

    /** Ends both directions, waking a thread blocked on this connection; safe from any thread. */
    public void shutdown() {
        synchronized (lock) {
            if (!closed) {
                try {
                    LibC.shutdown(fd, LibC.SHUT_RDWR);
                } catch (LastErrorException e) {
                    // Already disconnected: nothing to wake.
                }
            }
        }
    }

    @Override
    public boolean isOpen() {
        synchronized (lock) {
            return !closed;
        }
    }

    /**
     * Closes the descriptor and zeroes the transfer buffers (they held frames, which may hold
     * plaintext). Waits for a write in progress; call {@link #shutdown} first if one may be stuck.
     */
    @Override
    public void close() {
        synchronized (writeLock) {
            synchronized (lock) {
                if (closed) {
                    return;
                }
                closed = true;
                try {
                    LibC.close(fd);
                } catch (LastErrorException e) {
                    // The descriptor is released even when close reports an error.
                }
                buffer.clear();
                buffer.close();
                writeBuffer.clear();
                writeBuffer.close();
                pollFd.close();
            }
        }
    }

    private void checkOpen() throws ClosedChannelException {
        if (!isOpen()) {
            throw new ClosedChannelException();
        }
    }
}
