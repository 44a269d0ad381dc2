package dev.cloudproxy.tao.attestation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cloudproxy.tao.VerificationException;
import dev.cloudproxy.tao.auth.Form;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.Says;
import dev.cloudproxy.tao.keys.Signer;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class AttestationTest {
    private static GoVector go;

    @BeforeAll
    static void loadVector() throws Exception {
        go = GoVector.load();
    }

    @Test
    void goAttestation_verifiesAtTimesInsideItsWindow() throws Exception {
        for (long t : new long[] {1, 2}) {
            VerifiedStatement v = AttestationVerifier.at(t).verify(go.attestation());
            assertThat(v.statement().toString()).isEqualTo(
                    "key([bb1a6e4a9397fb37d6444f27151d1a98be6a4f07c32b1227c50cf0b974e2dc91]) from 1 until 2 says Hello(\"world\")");
            assertThat(v.signer()).isEqualTo(v.speaker());
            assertThat(v.delegation()).isEmpty();
            assertThat(v.effectiveFrom()).hasValue(1);
            assertThat(v.effectiveUntil()).hasValue(2);
        }
    }

    @Test
    void goAttestation_signerPrincipal_isSha256OfPkix() throws Exception {
        Attestation a = Attestation.parse(go.attestation());
        assertThat(a.signerKey().pkix()).isEqualTo(go.publicPkix());
        byte[] hash = MessageDigest.getInstance("SHA-256").digest(go.publicPkix());
        assertThat(a.signerKey().principal()).isEqualTo(Prin.key(hash));
        assertThat(a.statement().encode()).isEqualTo(go.statement());
    }

    @Test
    void signedBytes_matchGoContextualizedData() throws Exception {
        byte[] digest = MessageDigest.getInstance("SHA-256").digest(Attestation.signedBytes(go.statement()));
        assertThat(digest).isEqualTo(go.contextualizedSha256());
    }

    @Test
    void goAttestation_afterItsWindow_failsAsExpired() {
        VerificationException e = assertThrows(VerificationException.class,
                () -> AttestationVerifier.at(3).verify(go.attestation()));
        assertThat(e.getMessage()).startsWith("expired");
    }

    @Test
    void goAttestation_beforeItsWindow_failsAsNotYetValid() {
        VerificationException e = assertThrows(VerificationException.class,
                () -> AttestationVerifier.at(0).verify(go.attestation()));
        assertThat(e.getMessage()).startsWith("not yet valid");
    }

    @Test
    void ourSignature_withGoKey_isVerifiableAndMatchesGoLayout() throws Exception {
        try (Signer s = Signer.fromSecretKeyMaterial(go.privateD())) {
            assertThat(s.verifier().pkix()).isEqualTo(go.publicPkix());
            Says stmt = (Says) Form.decode(go.statement());
            Attestation ours = Attestation.sign(s, stmt);
            assertThat(AttestationVerifier.at(1).verify(ours.serialize()).statement()).isEqualTo(stmt);
        }
    }

    /**
     * Every bit flip of the Go attestation fails, except inside the two informational header fields
     * (key name, key epoch) that CloudProxy's signature does not cover; a flip there changes nothing
     * the verifier reports.
     */
    @Test
    void goAttestation_everyBitFlip_failsOrLeavesTheVerifiedMeaningUnchanged() throws Exception {
        byte[] good = go.attestation();
        VerifiedStatement expected = AttestationVerifier.at(1).verify(good);
        int[] informational = informationalHeaderRange(good);
        int survived = 0;
        for (int i = 0; i < good.length; i++) {
            for (int bit = 0; bit < 8; bit++) {
                byte[] bad = good.clone();
                bad[i] ^= (byte) (1 << bit);
                try {
                    VerifiedStatement v = AttestationVerifier.at(1).verify(bad);
                    assertThat(i).as("flip of byte %d bit %d verified", i, bit)
                            .isBetween(informational[0], informational[1]);
                    assertThat(v).isEqualTo(expected);
                    survived++;
                } catch (VerificationException expectedFailure) {
                    assertThat(expectedFailure.getMessage()).doesNotContain("\n");
                }
            }
        }
        assertThat(survived).isLessThanOrEqualTo(8 * (informational[1] - informational[0] + 1));
    }

    /** Byte range of key_name's value and key_epoch's value inside the vector's SignedData header. */
    private static int[] informationalHeaderRange(byte[] att) {
        byte[] keyName = {0x12, 0x03, 'v', 'e', 'c', 0x18, 0x01};
        for (int i = 0; i + keyName.length <= att.length; i++) {
            if (Arrays.equals(Arrays.copyOfRange(att, i, i + keyName.length), keyName)) {
                return new int[] {i + 2, i + 6};
            }
        }
        throw new AssertionError("header not found");
    }

    @Test
    void everyTruncation_isRejected() {
        byte[] good = go.attestation();
        for (int len = 0; len < good.length; len++) {
            byte[] cut = Arrays.copyOf(good, len);
            assertThrows(VerificationException.class, () -> AttestationVerifier.at(1).verify(cut), "cut to " + len);
        }
    }

    @Test
    void garbage_isRejectedWithOneLineMessage() {
        for (String hex : new String[] {"", "00", "ffffffff", "0a", "0a05", "0a0101", "1203666f6f", "08960108"}) {
            VerificationException e = assertThrows(VerificationException.class,
                    () -> Attestation.parse(HexFormat.of().parseHex(hex)), hex);
            assertThat(e.getMessage()).startsWith("malformed attestation").doesNotContain("\n");
        }
    }

    @Test
    void oversized_isRejectedBeforeParsing() {
        VerificationException e = assertThrows(VerificationException.class,
                () -> Attestation.parse(new byte[Attestation.MAX_BYTES + 1]));
        assertThat(e.getMessage()).contains("larger than");
    }
}
