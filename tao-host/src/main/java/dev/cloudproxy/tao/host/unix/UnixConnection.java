package dev.cloudproxy.tao.host.unix;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.NativeLong;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.ClosedChannelException;

/**
 * One accepted connection: a blocking byte channel over the socket, and the kernel's credentials
 * for the process that connected.
 *
 * <p>One thread reads and finally {@link #close closes} it; writes may come from other threads
 * too (they are serialized, and use their own buffer), and any thread may call {@link #shutdown}
 * to wake the reader (its blocked read ends as end of stream). Only the owner closes the
 * descriptor, and it does so after the other threads are done with it, so a write or shutdown can
 * never reach a reused descriptor number.
 */
public final class UnixConnection implements ByteChannel {
    private static final int BUFFER_BYTES = 64 << 10;

    private final int fd;
    private final PeerCredentials peer;
    private final Memory buffer = new Memory(BUFFER_BYTES);
    private final Memory writeBuffer = new Memory(BUFFER_BYTES);
    private final Object writeLock = new Object();
    private final Object lock = new Object();
    private boolean closed;

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

    @Override
    public int read(ByteBuffer dst) throws IOException {
        checkOpen();
        int want = Math.min(dst.remaining(), BUFFER_BYTES);
        if (want == 0) {
            return 0;
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
            }
        }
    }

    private void checkOpen() throws ClosedChannelException {
        if (!isOpen()) {
            throw new ClosedChannelException();
        }
    }
}
