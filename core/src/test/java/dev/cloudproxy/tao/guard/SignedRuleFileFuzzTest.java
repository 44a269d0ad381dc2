package dev.cloudproxy.tao.guard;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.cloudproxy.tao.auth.Form;
import dev.cloudproxy.tao.keys.Signer;
import dev.cloudproxy.tao.keys.Verifier;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * Fuzzes the signed guard rule file, both in front of its signature and behind it. The input as
 * a whole file is refused by {@link SignedRuleFile#verifyAndRead} with a {@link GuardException}
 * (it is not signed by the fixed policy key). Then the input after its first byte is taken as a
 * rule file body, framed and signed with the policy key as a guard would write it, under the kind
 * the first byte picks; reading that either refuses with a {@link GuardException} or returns rules
 * that frame to exactly the signed bytes (the auth binary form has one encoding per rule).
 * Anything else thrown, including running out of memory on a large announced count, is a finding.
 *
 * <p>Every build runs this in regression mode on the empty input and the seeds in
 * {@code src/test/resources/dev/cloudproxy/tao/guard/SignedRuleFileFuzzTestInputs/} (a kind byte
 * and a body: rule lists as guards write them, counts and lengths that lie; files named
 * {@code finding-*} are inputs of fixed bugs). {@code .ci/fuzz} runs it in fuzzing mode.
 */
class SignedRuleFileFuzzTest {
    private static final Signer POLICY_KEY = fixedKey();
    private static final Verifier POLICY = POLICY_KEY.verifier();
    /** The signature context of docs and {@link SignedRuleFile}, restated so a change to it shows here. */
    private static final byte[] CONTEXT = "Tao Guard Rules V1\0".getBytes(StandardCharsets.US_ASCII);

    private static Signer fixedKey() {
        byte[] scalar = new byte[32];
        Arrays.fill(scalar, (byte) 0x6b);
        return Signer.fromSecretKeyMaterial(scalar);
    }

    @FuzzTest
    void verifyAndRead_anyFileOrSignedBody_readsExactlyOrThrowsGuardError(byte[] input) {
        try {
            SignedRuleFile.verifyAndRead(input, SignedRuleFile.KIND_DATALOG, POLICY);
            throw new AssertionError("accepted a rule file the policy key did not sign: "
                    + HexFormat.of().formatHex(input));
        } catch (GuardException expected) {
            // Malformed or not signed by the policy key.
        }
        if (input.length == 0) {
            return;
        }
        byte kind = (input[0] & 1) == 0 ? SignedRuleFile.KIND_DATALOG : SignedRuleFile.KIND_ACL;
        byte[] body = Arrays.copyOfRange(input, 1, input.length);
        byte[] unsigned = ByteBuffer.allocate(10 + body.length)
                .put(new byte[] {'T', 'A', 'O', 'G', 1, kind}).putInt(body.length).put(body).array();
        byte[] message = ByteBuffer.allocate(CONTEXT.length + unsigned.length).put(CONTEXT).put(unsigned).array();
        byte[] signature = POLICY_KEY.sign(message);
        byte[] file = ByteBuffer.allocate(unsigned.length + 2 + signature.length)
                .put(unsigned).putShort((short) signature.length).put(signature).array();
        List<Form> rules;
        try {
            rules = SignedRuleFile.verifyAndRead(file, kind, POLICY).rules();
        } catch (GuardException rejected) {
            return;
        }
        byte[] reframed = SignedRuleFile.unsigned(kind, rules);
        if (!Arrays.equals(reframed, unsigned)) {
            throw new AssertionError("rule file " + HexFormat.of().formatHex(unsigned) + " reads as " + rules
                    + ", which frames as " + HexFormat.of().formatHex(reframed));
        }
    }
}
