package dev.cloudproxy.tao.auth;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.code_intelligence.jazzer.mutation.annotation.NotNull;
import com.code_intelligence.jazzer.mutation.annotation.WithUtf8Length;

/**
 * Fuzzes the text parser: on any text, {@link AuthElement#parse} either refuses with an
 * {@link AuthFormatException} that points into the input, or returns an element whose canonical
 * text and binary form both round-trip (see {@link RoundTrip}). Anything else thrown, including a
 * stack overflow or running out of memory, is a finding.
 *
 * <p>Every build runs this in regression mode on the empty input and the seeds in
 * {@code src/test/resources/dev/cloudproxy/tao/auth/AuthTextFuzzTestInputs/} (one UTF-8 text per
 * file: the Go-made vectors of test-vectors/ plus forms that exercise precedence, escapes and the
 * nesting limit; files named {@code finding-*} are inputs of fixed bugs, kept so they stay fixed).
 * {@code .ci/fuzz} runs it in fuzzing mode.
 */
class AuthTextFuzzTest {

    // 4 KiB is libFuzzer's default input size and is enough to cross every nesting limit.
    @FuzzTest
    void parse_anyText_roundTripsOrThrowsFormatError(@NotNull @WithUtf8Length(max = 4096) String text) {
        AuthElement e;
        try {
            e = AuthElement.parse(text);
        } catch (AuthFormatException rejected) {
            checkPosition(rejected, text);
            return;
        }
        RoundTrip.checkTypedParsers(text, e);
        RoundTrip.checkText(e);
        RoundTrip.checkBinary(e);
    }

    private static void checkPosition(AuthFormatException rejected, String text) {
        if (rejected.unit() != AuthFormatException.Unit.CHARACTER
                || rejected.offset() < 0 || rejected.offset() > text.length()) {
            throw new AssertionError("error position " + rejected.offset() + " " + rejected.unit()
                    + " is outside text of length " + text.length(), rejected);
        }
    }
}
