package dev.cloudproxy.tao.domain;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.cloudproxy.tao.domain.DomainServiceProtocol.FrameException;
import dev.cloudproxy.tao.proto.DomainServiceProtos.DomainServiceRequest;
import dev.cloudproxy.tao.proto.DomainServiceProtos.DomainServiceResponse;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Fuzzes what the domain service and its clients read: a stream of any bytes is cut into request
 * frames by {@link DomainServiceProtocol#readFrame} until it ends cleanly or a
 * {@link FrameException} says it is bad; each frame read is exactly the bytes its prefix covers and
 * writes back the same; each frame is parsed as a request and as a response, which either refuse
 * with a {@link FrameException} or give a message that passes the same checks again once
 * serialized and parsed. Anything else thrown, including running out of memory on a large
 * announced length, is a finding.
 *
 * <p>Every build runs this in regression mode on the empty input and the seeds in
 * {@code src/test/resources/dev/cloudproxy/tao/domain/DomainServiceProtocolFuzzTestInputs/};
 * {@code .ci/fuzz} runs it in fuzzing mode.
 */
class DomainServiceProtocolFuzzTest {

    @FuzzTest
    void read_anyStream_framesAndParsesOrThrowsFrameError(byte[] stream) throws IOException {
        InputStream in = new ByteArrayInputStream(stream);
        int offset = 0;
        while (true) {
            byte[] frame;
            try {
                frame = DomainServiceProtocol.readFrame(in, DomainServiceProtocol.MAX_REQUEST_BYTES);
            } catch (FrameException rejected) {
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
            DomainServiceProtocol.writeFrame(written, frame, DomainServiceProtocol.MAX_REQUEST_BYTES);
            if (!Arrays.equals(written.toByteArray(), Arrays.copyOfRange(stream, offset, offset + 4 + length))) {
                throw new AssertionError("frame at " + offset + " does not write back as read");
            }
            offset += 4 + length;
            checkRequest(frame);
            checkResponse(frame);
        }
    }

    private static void checkRequest(byte[] frame) {
        DomainServiceRequest r;
        try {
            r = DomainServiceProtocol.parseRequest(frame);
        } catch (FrameException rejected) {
            return;
        }
        try {
            if (!DomainServiceProtocol.parseRequest(r.toByteArray()).equals(r)) {
                throw new AssertionError("request changes when serialized and parsed again: " + r);
            }
        } catch (FrameException e) {
            throw new AssertionError("a parsed request does not parse again once serialized: " + r, e);
        }
    }

    private static void checkResponse(byte[] frame) {
        DomainServiceResponse r;
        try {
            r = DomainServiceProtocol.parseResponse(frame);
        } catch (FrameException rejected) {
            return;
        }
        try {
            if (!DomainServiceProtocol.parseResponse(r.toByteArray()).equals(r)) {
                throw new AssertionError("response changes when serialized and parsed again: " + r);
            }
        } catch (FrameException e) {
            throw new AssertionError("a parsed response does not parse again once serialized: " + r, e);
        }
        String reason = DomainServiceProtocol.oneLine(r.getReason());
        if (reason.length() > DomainServiceProtocol.MAX_REASON_CHARS || reason.chars().anyMatch(Character::isISOControl)) {
            throw new AssertionError("a reason is not one bounded line: " + reason);
        }
    }
}
