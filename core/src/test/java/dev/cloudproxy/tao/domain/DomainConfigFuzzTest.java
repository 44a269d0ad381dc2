package dev.cloudproxy.tao.domain;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.cloudproxy.tao.keys.Signer;
import dev.cloudproxy.tao.keys.Verifier;
import java.util.Arrays;

/**
 * Fuzzes the domain configuration parser behind its signature: any bytes, signed by a fixed
 * policy key so that they get past {@link DomainConfig#verifyAndParse}'s signature check, either
 * are refused with a {@link DomainException} or parse to a configuration that encodes, signs and
 * parses back to the same configuration. Any bytes with any signature that is not the policy
 * key's are refused with a {@link DomainException}. Anything else thrown is a finding.
 *
 * <p>Every build runs this in regression mode on the empty input and the seeds in
 * {@code src/test/resources/dev/cloudproxy/tao/domain/DomainConfigFuzzTestInputs/} (configurations
 * as {@code tao domain} writes them and near misses; files named {@code finding-*} are inputs of
 * fixed bugs). {@code .ci/fuzz} runs it in fuzzing mode.
 */
class DomainConfigFuzzTest {
    private static final Signer POLICY_KEY = fixedKey();
    private static final Verifier POLICY = POLICY_KEY.verifier();

    private static Signer fixedKey() {
        byte[] scalar = new byte[32];
        Arrays.fill(scalar, (byte) 0x5c);
        return Signer.fromSecretKeyMaterial(scalar);
    }

    @FuzzTest
    void verifyAndParse_anySignedBytes_roundTripsOrThrowsDomainError(byte[] encoded) {
        try {
            // The input's own tail as a signature: at best a well-formed one by no one's key.
            DomainConfig.verifyAndParse(encoded, Arrays.copyOfRange(encoded, Math.max(0, encoded.length - 72),
                    encoded.length), POLICY);
            throw new AssertionError("accepted a configuration the policy key did not sign");
        } catch (DomainException expected) {
            // Not signed by the policy key.
        }

        DomainConfig config;
        try {
            config = DomainConfig.verifyAndParse(encoded, DomainConfig.sign(encoded, POLICY_KEY), POLICY);
        } catch (DomainException rejected) {
            return;
        }
        byte[] reencoded = config.encode();
        DomainConfig again;
        try {
            again = DomainConfig.verifyAndParse(reencoded, DomainConfig.sign(reencoded, POLICY_KEY), POLICY);
        } catch (DomainException e) {
            throw new AssertionError("configuration " + config + " encodes to a file that does not parse", e);
        }
        if (!again.equals(config)) {
            throw new AssertionError("configuration " + config + " parses back as " + again);
        }
    }
}
