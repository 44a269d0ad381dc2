package dev.cloudproxy.tao.attestation;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.cloudproxy.tao.VerificationException;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * Fuzzes attestation parsing and verification: on any bytes, {@link Attestation#parse} either
 * refuses with a {@link VerificationException} or returns an attestation whose serialized form is
 * exactly the input (so parsing it again gives the same attestation), and
 * {@link AttestationVerifier#verify(Attestation)} then either accepts it or refuses with a
 * {@link VerificationException}. Anything else thrown, including a stack overflow or running out
 * of memory, is a finding.
 *
 * <p>The verifier's clock is fixed at Unix time 1, inside the window of the Go vector, so that a
 * valid signature reaches the delegation and endorsement checks.
 *
 * <p>Every build runs this in regression mode on the empty input and the seeds in
 * {@code src/test/resources/dev/cloudproxy/tao/attestation/AttestationFuzzTestInputs/} (the
 * CloudProxy Go vector and a program statement with a host's delegation and an endorsement; files
 * named {@code finding-*} are inputs of fixed bugs). {@code .ci/fuzz} runs it in fuzzing mode.
 */
class AttestationFuzzTest {
    private static final AttestationVerifier VERIFIER = AttestationVerifier.at(1);

    @FuzzTest
    void parseAndVerify_anyBytes_roundTripsOrThrowsVerificationError(byte[] bytes) {
        Attestation a;
        try {
            a = Attestation.parse(bytes);
        } catch (VerificationException rejected) {
            return;
        }
        byte[] serialized = a.serialize();
        if (!Arrays.equals(serialized, bytes)) {
            throw new AssertionError("parse does not keep the bytes: " + HexFormat.of().formatHex(bytes)
                    + " serializes as " + HexFormat.of().formatHex(serialized));
        }
        Attestation again;
        try {
            again = Attestation.parse(serialized);
        } catch (VerificationException e) {
            throw new AssertionError("a parsed attestation's serialized form does not parse", e);
        }
        if (!Arrays.equals(again.serialize(), serialized) || !again.statement().equals(a.statement())
                || !again.issuer().equals(a.issuer())
                || !again.signerKey().principal().equals(a.signerKey().principal())) {
            throw new AssertionError("reparsing changes the attestation: " + a + " became " + again);
        }
        try {
            VERIFIER.verify(a);
        } catch (VerificationException refused) {
            // Most parsed attestations are not validly signed; refusing them is the contract.
        }
    }
}
