package dev.cloudproxy.tao.rpc;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.cloudproxy.tao.TaoException;
import dev.cloudproxy.tao.proto.TaoRpcProtos.TaoRpcRequest;
import dev.cloudproxy.tao.proto.TaoRpcProtos.TaoRpcResponse;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.util.Arrays;

/**
 * Fuzzes what a host RPC peer reads: a stream of any bytes is cut into frames by
 * {@link RpcFrames#read} until it ends cleanly or a {@link RpcFrameException} says it is bad
 * (the stream itself never fails, so no other {@link IOException} may appear); each frame read is
 * exactly the bytes its length prefix covers and writes back as the same frame; each frame is
 * parsed as a request and as a response, which either refuses with a {@link RpcFrameException}
 * or gives a message that survives serializing and parsing again; and a parsed response's error
 * is turned into only what {@link RpcProtocol#throwIfError} documents. Anything else thrown,
 * including running out of memory on a large announced length, is a finding.
 *
 * <p>Every build runs this in regression mode on the empty input and the seeds in
 * {@code src/test/resources/dev/cloudproxy/tao/rpc/RpcFuzzTestInputs/} (framed requests and
 * responses, lengths at and beyond the limit, cut frames; files named {@code finding-*} are
 * inputs of fixed bugs). {@code .ci/fuzz} runs it in fuzzing mode.
 */
class RpcFuzzTest {

    @FuzzTest
    void read_anyStream_framesAndParsesOrThrowsFrameError(byte[] stream) throws IOException {
        ReadableByteChannel in = Channels.newChannel(new ByteArrayInputStream(stream));
        int offset = 0;
        while (true) {
            byte[] frame;
            try {
                frame = RpcFrames.read(in);
            } catch (RpcFrameException rejected) {
                return;
            }
            if (frame == null) {
                if (offset != stream.length) {
                    throw new AssertionError("clean end reported at " + offset + " of " + stream.length + " bytes");
                }
                return;
            }
            int length = ByteBuffer.wrap(stream, offset, 4).getInt();
            if (length != frame.length
                    || !Arrays.equals(frame, Arrays.copyOfRange(stream, offset + 4, offset + 4 + length))) {
                throw new AssertionError("frame at " + offset + " is not the " + length + " bytes its prefix covers");
            }
            ByteArrayOutputStream written = new ByteArrayOutputStream();
            RpcFrames.write(Channels.newChannel(written), frame);
            if (!Arrays.equals(written.toByteArray(), Arrays.copyOfRange(stream, offset, offset + 4 + length))) {
                throw new AssertionError("frame at " + offset + " does not write back as read");
            }
            offset += 4 + length;
            checkRequest(frame);
            checkResponse(frame);
        }
    }

    private static void checkRequest(byte[] frame) {
        TaoRpcRequest r;
        try {
            r = RpcProtocol.parseRequest(frame);
        } catch (RpcFrameException rejected) {
            return;
        }
        try {
            if (!RpcProtocol.parseRequest(r.toByteArray()).equals(r)) {
                throw new AssertionError("request changes when serialized and parsed again: " + r);
            }
        } catch (RpcFrameException e) {
            throw new AssertionError("a parsed request does not parse again once serialized: " + r, e);
        }
    }

    private static void checkResponse(byte[] frame) {
        TaoRpcResponse r;
        try {
            r = RpcProtocol.parseResponse(frame);
        } catch (RpcFrameException rejected) {
            return;
        }
        try {
            if (!RpcProtocol.parseResponse(r.toByteArray()).equals(r)) {
                throw new AssertionError("response changes when serialized and parsed again: " + r);
            }
        } catch (RpcFrameException e) {
            throw new AssertionError("a parsed response does not parse again once serialized: " + r, e);
        }
        try {
            RpcProtocol.throwIfError(r);
        } catch (IOException | TaoException | IllegalArgumentException documented) {
            // The host's error kinds, as docs/host-rpc.md maps them.
        }
    }
}
