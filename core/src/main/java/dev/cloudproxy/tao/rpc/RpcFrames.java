package dev.cloudproxy.tao.rpc;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.util.Arrays;
import java.util.Objects;

/**
 * Length-prefixed frames: a 4-byte big-endian length, then that many bytes of protobuf. Both ends
 * of a host RPC connection read and write through this class, so both enforce the same bound.
 *
 * <p>Reading never trusts the length prefix for memory: the buffer grows only as bytes actually
 * arrive, so a peer that announces a large frame and sends nothing holds no large allocation.
 */
public final class RpcFrames {
    /** Largest frame payload: a maximal seal request or unseal response plus room for the framing. */
    public static final int MAX_FRAME_BYTES = 17 << 20;

    private static final int HEADER_BYTES = 4;
    private static final int FIRST_CHUNK = 64 << 10;

    private RpcFrames() {}

    /**
     * Reads one frame.
     *
     * @return the payload, or null if the channel ended cleanly before a new frame began
     * @throws RpcFrameException if the length is out of range or the frame is cut short
     */
    public static byte[] read(ReadableByteChannel in) throws IOException {
        return read(in, MAX_FRAME_BYTES);
    }

    /**
     * Reads one frame of at most {@code maxBytes} (itself at most {@link #MAX_FRAME_BYTES}), for
     * protocols on the same framing whose messages are smaller, such as a host's admin protocol.
     *
     * @return the payload, or null if the channel ended cleanly before a new frame began
     * @throws RpcFrameException if the length is out of range or the frame is cut short
     */
    public static byte[] read(ReadableByteChannel in, int maxBytes) throws IOException {
        return read(in, maxBytes, bytes -> { });
    }

    /**
     * Memory a server accounts for the frames it is reading, so that many connections announcing
     * large frames cannot together hold more than the server allows.
     */
    @FunctionalInterface
    public interface Allowance {
        /**
         * Called before the reader allocates {@code bytes} more for the frame; the reservation is
         * the caller's to release once it is done with the frame (or the read failed).
         *
         * @throws RpcFrameException to refuse: the read ends with that exception, allocating nothing
         */
        void reserve(int bytes) throws RpcFrameException;
    }

    /**
     * Reads one frame as {@link #read(ReadableByteChannel, int)} does, asking {@code allowance}
     * before each allocation for the payload. The bytes reserved add up to the payload buffer's
     * final size; the smaller buffer a growth replaces is not counted, being garbage at once.
     *
     * @return the payload, or null if the channel ended cleanly before a new frame began
     * @throws RpcFrameException if the length is out of range, the frame is cut short or the
     *     allowance refused
     */
    public static byte[] read(ReadableByteChannel in, int maxBytes, Allowance allowance) throws IOException {
        Objects.requireNonNull(allowance, "allowance");
        if (maxBytes < 0 || maxBytes > MAX_FRAME_BYTES) {
            throw new IllegalArgumentException("maxBytes must be 0.." + MAX_FRAME_BYTES);
        }
        ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES);
        int got = fill(in, header);
        if (got == 0) {
            return null;
        }
        if (header.hasRemaining()) {
            throw new RpcFrameException("connection ended inside a frame header");
        }
        int length = header.flip().getInt();
        if (length < 0 || length > maxBytes) {
            throw new RpcFrameException("frame length " + Integer.toUnsignedString(length)
                    + " is out of range 0.." + maxBytes);
        }
        int first = Math.min(length, FIRST_CHUNK);
        allowance.reserve(first);
        byte[] payload = new byte[first];
        int filled = 0;
        while (filled < length) {
            if (filled == payload.length) {
                int grown = (int) Math.min(length, 2L * payload.length);
                try {
                    allowance.reserve(grown - payload.length);
                } catch (RpcFrameException e) {
                    Arrays.fill(payload, (byte) 0);
                    throw e;
                }
                byte[] bigger = Arrays.copyOf(payload, grown);
                Arrays.fill(payload, (byte) 0);
                payload = bigger;
            }
            int n = in.read(ByteBuffer.wrap(payload, filled, payload.length - filled));
            if (n < 0) {
                Arrays.fill(payload, (byte) 0);
                throw new RpcFrameException("connection ended inside a frame (" + filled + " of " + length + " bytes)");
            }
            filled += n;
        }
        return payload;
    }

    /**
     * Writes one frame.
     *
     * @throws IllegalArgumentException if the payload is larger than {@link #MAX_FRAME_BYTES}
     */
    public static void write(WritableByteChannel out, byte[] payload) throws IOException {
        Objects.requireNonNull(payload, "payload");
        if (payload.length > MAX_FRAME_BYTES) {
            throw new IllegalArgumentException("frame of " + payload.length + " bytes exceeds " + MAX_FRAME_BYTES);
        }
        // One buffer, so a small frame is one write (one system call) rather than two; the copy
        // may hold plaintext, so it is zeroed once written.
        byte[] frame = new byte[HEADER_BYTES + payload.length];
        ByteBuffer buf = ByteBuffer.wrap(frame).putInt(payload.length).put(payload).flip();
        try {
            while (buf.hasRemaining()) {
                out.write(buf);
            }
        } finally {
            Arrays.fill(frame, (byte) 0);
        }
    }

    /** Reads until {@code buf} is full or the channel ends; returns how many bytes were read. */
    private static int fill(ReadableByteChannel in, ByteBuffer buf) throws IOException {
        int total = 0;
        while (buf.hasRemaining()) {
            int n = in.read(buf);
            if (n < 0) {
                break;
            }
            total += n;
        }
        return total;
    }
}
