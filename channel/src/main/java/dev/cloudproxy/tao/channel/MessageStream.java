package dev.cloudproxy.tao.channel;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Objects;

/**
 * Length-prefixed messages over a byte stream, as CloudProxy's {@code MessageStream}: a 4-byte
 * big-endian length, then that many bytes. Lengths above the bound (or with the top bit set) are
 * refused before anything is allocated, so a peer cannot make the reader allocate more than the
 * bound.
 *
 * <p>One thread may send while another receives; each direction is serialized by its own lock.
 */
final class MessageStream {
    /** Messages up to this size are sent with their length in one write. */
    private static final int COALESCE_BYTES = 16 * 1024;

    private final InputStream in;
    private final OutputStream out;
    private final int maxMessageBytes;
    private final Object readLock = new Object();
    private final Object writeLock = new Object();

    MessageStream(InputStream in, OutputStream out, int maxMessageBytes) {
        this.in = Objects.requireNonNull(in, "in");
        this.out = Objects.requireNonNull(out, "out");
        if (maxMessageBytes < 0) {
            throw new IllegalArgumentException("negative bound");
        }
        this.maxMessageBytes = maxMessageBytes;
    }

    int maxMessageBytes() {
        return maxMessageBytes;
    }

    /**
     * Sends one message and flushes it.
     *
     * @throws IllegalArgumentException if it is longer than the bound
     */
    void send(byte[] message) throws IOException {
        Objects.requireNonNull(message, "message");
        if (message.length > maxMessageBytes) {
            throw new IllegalArgumentException("a message of " + message.length + " bytes is over the channel's bound of "
                    + maxMessageBytes);
        }
        int n = message.length;
        byte[] header = {(byte) (n >>> 24), (byte) (n >>> 16), (byte) (n >>> 8), (byte) n};
        synchronized (writeLock) {
            if (n <= COALESCE_BYTES) {
                // One write, so that TLS makes one record of a small message rather than two.
                byte[] frame = new byte[4 + n];
                System.arraycopy(header, 0, frame, 0, 4);
                System.arraycopy(message, 0, frame, 4, n);
                out.write(frame);
            } else {
                // A large message is not worth copying to save one small record.
                out.write(header);
                out.write(message);
            }
            out.flush();
        }
    }

    /**
     * Receives one message.
     *
     * @throws EOFException if the stream ended cleanly, before the first byte of a message
     * @throws FrameException if the length is over the bound or the stream ended inside a message
     */
    byte[] receive() throws IOException {
        synchronized (readLock) {
            int first = in.read();
            if (first < 0) {
                throw new EOFException("the peer closed the channel");
            }
            byte[] rest = readFully(3, "length");
            long n = ((long) first << 24) | ((rest[0] & 0xffL) << 16) | ((rest[1] & 0xffL) << 8) | (rest[2] & 0xffL);
            if (n > maxMessageBytes) {
                throw new FrameException("a message of " + n + " bytes is over the channel's bound of " + maxMessageBytes);
            }
            return readFully((int) n, "message of " + n + " bytes");
        }
    }

    private byte[] readFully(int n, String what) throws IOException {
        byte[] b = new byte[n];
        int off = 0;
        while (off < n) {
            int r = in.read(b, off, n - off);
            if (r < 0) {
                throw new FrameException("the stream ended inside a " + what + " after " + off + " bytes");
            }
            off += r;
        }
        return b;
    }
}
