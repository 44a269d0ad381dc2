package dev.cloudproxy.tao.attestation;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.cloudproxy.tao.VerificationException;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * Fuzzes the TPM 2.0 quote parser: on any bytes, {@link Tpm2Quote#parse} either refuses with a
 * {@link VerificationException} or returns a quote whose encoding is exactly the input, with at
 * least one PCR selected. Anything else thrown is a finding.
 *
 * <p>Every build runs this in regression mode on the seeds in
 * {@code src/test/resources/dev/cloudproxy/tao/attestation/Tpm2QuoteFuzzTestInputs/} (a quote
 * made by swtpm and cut or patched versions of it). {@code .ci/fuzz} runs it in fuzzing mode.
 * {@link AttestationFuzzTest} covers whole tpm2 attestations.
 */
class Tpm2QuoteFuzzTest {
    @FuzzTest
    void parse_anyBytes_roundTripsOrThrowsVerificationError(byte[] bytes) {
        Tpm2Quote q;
        try {
            q = Tpm2Quote.parse(bytes);
        } catch (VerificationException rejected) {
            return;
        }
        if (!Arrays.equals(q.encoded(), bytes)) {
            throw new AssertionError("parse does not keep the bytes: " + HexFormat.of().formatHex(bytes));
        }
        if (q.pcrs().isEmpty() || q.pcrDigest().length != 32 || q.extraData().length != 32) {
            throw new AssertionError("parse accepted a quote it documents as malformed: " + HexFormat.of().formatHex(bytes));
        }
    }
}
