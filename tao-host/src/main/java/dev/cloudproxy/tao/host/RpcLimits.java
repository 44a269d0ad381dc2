package dev.cloudproxy.tao.host;

import dev.cloudproxy.tao.rpc.RpcFrames;
import java.time.Duration;
import java.util.Objects;

/**
 * What one hosted program, and all of them together, may hold of a {@link TaoRpcServer}:
 * connections, time and memory for frames being read. The bounds exist so that one program cannot
 * deny service to the others (ARCHITECTURE.md rule 14); docs/host-rpc.md states the defaults.
 *
 * @param maxConnections connections served at once, all programs together; more are refused
 * @param maxConnectionsPerProgram connections one hosted program may hold at once; its extra ones
 *     are refused while the others' are served
 * @param idleTimeout how long a connection may wait without a request before the host closes it
 *     (with a notice after which {@code RpcTao} reconnects by itself)
 * @param frameTimeout how long a frame may take to arrive once its first byte has: a peer that
 *     sends half a frame is cut off after this
 * @param maxBufferedBytes bytes of frames being read or served at once, all connections together
 * @param maxBufferedBytesPerProgram the same for one program's connections; at least one whole
 *     frame ({@link RpcFrames#MAX_FRAME_BYTES}), so every request the protocol allows can be served
 */
public record RpcLimits(
        int maxConnections,
        int maxConnectionsPerProgram,
        Duration idleTimeout,
        Duration frameTimeout,
        long maxBufferedBytes,
        long maxBufferedBytesPerProgram) {

    /** The host's limits; see docs/host-rpc.md. */
    public static final RpcLimits DEFAULT = new RpcLimits(
            256, 16, Duration.ofMinutes(5), Duration.ofSeconds(30),
            256L << 20, 2L * RpcFrames.MAX_FRAME_BYTES);

    public RpcLimits {
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        Objects.requireNonNull(frameTimeout, "frameTimeout");
        if (maxConnectionsPerProgram < 1 || maxConnections < maxConnectionsPerProgram) {
            throw new IllegalArgumentException("need 1 <= maxConnectionsPerProgram <= maxConnections");
        }
        if (idleTimeout.isNegative() || idleTimeout.isZero() || frameTimeout.isNegative() || frameTimeout.isZero()) {
            throw new IllegalArgumentException("timeouts must be positive");
        }
        if (maxBufferedBytesPerProgram < RpcFrames.MAX_FRAME_BYTES || maxBufferedBytes < maxBufferedBytesPerProgram) {
            throw new IllegalArgumentException(
                    "need " + RpcFrames.MAX_FRAME_BYTES + " <= maxBufferedBytesPerProgram <= maxBufferedBytes");
        }
    }

    public RpcLimits withConnections(int total, int perProgram) {
        return new RpcLimits(total, perProgram, idleTimeout, frameTimeout, maxBufferedBytes, maxBufferedBytesPerProgram);
    }

    public RpcLimits withTimeouts(Duration idle, Duration frame) {
        return new RpcLimits(maxConnections, maxConnectionsPerProgram, idle, frame, maxBufferedBytes,
                maxBufferedBytesPerProgram);
    }

    public RpcLimits withBufferedBytes(long total, long perProgram) {
        return new RpcLimits(maxConnections, maxConnectionsPerProgram, idleTimeout, frameTimeout, total, perProgram);
    }
}
