package dev.cloudproxy.tao.auth;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * Fuzzes the binary decoder: on any bytes, {@link AuthElement#decode} either refuses with an
 * {@link AuthFormatException} that points into the input, or returns an element that encodes to
 * exactly those bytes (the decoder is strict, so each element has one encoding) and whose
 * canonical text round-trips (see {@link RoundTrip}). Anything else thrown, including a stack
 * overflow or running out of memory, is a finding.
 *
 * <p>Every build runs this in regression mode on the empty input and the seeds in
 * {@code src/test/resources/dev/cloudproxy/tao/auth/AuthBinaryFuzzTestInputs/} (raw encodings:
 * the Go-made vectors of test-vectors/ plus edge cases such as empty conjunctions, extreme varints and
 * the nesting limit; files named {@code finding-*} are inputs of fixed bugs, kept so they stay
 * fixed). {@code .ci/fuzz} runs it in fuzzing mode.
 */
class AuthBinaryFuzzTest {

    @FuzzTest
    void decode_anyBytes_roundTripsOrThrowsFormatError(byte[] bytes) {
        AuthElement e;
        try {
            e = AuthElement.decode(bytes);
        } catch (AuthFormatException rejected) {
            checkPosition(rejected, bytes);
            return;
        }
        byte[] reencoded = e.encode();
        if (!Arrays.equals(reencoded, bytes)) {
            throw new AssertionError("decoding is not strict: " + HexFormat.of().formatHex(bytes)
                    + " decodes to " + RoundTrip.quote(e.toString()) + ", which encodes as "
                    + HexFormat.of().formatHex(reencoded));
        }
        RoundTrip.checkTypedDecoders(bytes, e);
        RoundTrip.checkText(e);
    }

    private static void checkPosition(AuthFormatException rejected, byte[] bytes) {
        if (rejected.unit() != AuthFormatException.Unit.BYTE
                || rejected.offset() < 0 || rejected.offset() > bytes.length) {
            throw new AssertionError("error position " + rejected.offset() + " " + rejected.unit()
                    + " is outside input of length " + bytes.length, rejected);
        }
    }
}
