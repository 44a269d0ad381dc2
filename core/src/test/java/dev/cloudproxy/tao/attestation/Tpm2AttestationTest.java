package dev.cloudproxy.tao.attestation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.protobuf.ByteString;
import dev.cloudproxy.tao.VerificationException;
import dev.cloudproxy.tao.auth.Bytes;
import dev.cloudproxy.tao.auth.Form;
import dev.cloudproxy.tao.auth.Pred;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.PrinExt;
import dev.cloudproxy.tao.auth.Says;
import dev.cloudproxy.tao.auth.Speaksfor;
import dev.cloudproxy.tao.auth.Str;
import dev.cloudproxy.tao.keys.Signer;
import dev.cloudproxy.tao.proto.AttestationProtos;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class Tpm2AttestationTest {
    private static final Form HELLO = Pred.of("Hello", new Str("tpm"));
    private static final AttestationVerifier AT_10 = AttestationVerifier.at(10);
    private static Signer ak;
    private static Tpm2Pcrs pcrs;

    @BeforeAll
    static void setUp() {
        ak = Signer.generate();
        byte[] v17 = new byte[32];
        byte[] v23 = new byte[32];
        Arrays.fill(v23, (byte) 0xab);
        pcrs = Tpm2Pcrs.of(List.of(17, 23), List.of(v17, v23));
    }

    @AfterAll
    static void tearDown() {
        ak.close();
    }

    private static Says says(Prin issuer, Form message) {
        return new Says(issuer, OptionalLong.of(5), OptionalLong.of(20), message);
    }

    private static Attestation good() throws VerificationException {
        return SoftQuotes.attest(ak, says(SoftQuotes.pcrName(ak, pcrs), HELLO), pcrs);
    }

    @Test
    void quote_byTheAttestationKey_verifiesAsThePcrPrincipal() throws Exception {
        VerifiedStatement v = AT_10.verify(good().serialize());
        byte[] akHash = MessageDigest.getInstance("SHA-256").digest(ak.verifier().pkix());
        assertThat(v.signer()).isEqualTo(new Prin("tpm2", new Bytes(akHash), dev.cloudproxy.tao.auth.SubPrin.EMPTY));
        assertThat(v.speaker().toString()).startsWith("tpm2([").contains(".PCRs(\"17,23\", \"0000");
        assertThat(v.statement().message()).isEqualTo(HELLO);
        assertThat(v.effectiveFrom()).hasValue(5);
        assertThat(v.effectiveUntil()).hasValue(20);
    }

    /** A quote swtpm made (also a fuzz seed): TPM-made bytes verify here, without a TPM library. */
    @Test
    void swtpmQuote_verifies_andEveryBitFlipFails() throws Exception {
        byte[] good;
        try (var in = Tpm2AttestationTest.class.getResourceAsStream(
                "AttestationFuzzTestInputs/parseAndVerify_anyBytes_roundTripsOrThrowsVerificationError/swtpm-quote")) {
            good = in.readAllBytes();
        }
        AttestationVerifier at1 = AttestationVerifier.at(1);
        VerifiedStatement v = at1.verify(good);
        assertThat(v.signer().type()).isEqualTo("tpm2");
        assertThat(v.speaker().toString()).contains(".PCRs(\"0,7,23\", \"");
        assertThat(v.statement().message()).isEqualTo(HELLO);
        for (int i = 0; i < good.length; i++) {
            for (int bit = 0; bit < 8; bit++) {
                byte[] bad = good.clone();
                bad[i] ^= (byte) (1 << bit);
                assertThrows(VerificationException.class, () -> at1.verify(bad), "flip of byte " + i + " bit " + bit);
            }
        }
    }

    @Test
    void quote_forAnExtensionOfThePcrPrincipal_verifies() throws Exception {
        Prin program = SoftQuotes.pcrName(ak, pcrs).extend(PrinExt.of("Host", new Str("h")));
        Attestation a = SoftQuotes.attest(ak, says(program, HELLO), pcrs);
        assertThat(AT_10.verify(a.serialize()).speaker()).isEqualTo(program);
    }

    @Test
    void quote_delegatingAHostKey_isADelegation() throws Exception {
        try (Signer host = Signer.generate()) {
            Prin name = SoftQuotes.pcrName(ak, pcrs);
            Attestation d = SoftQuotes.attest(ak, says(name, new Speaksfor(host.principal(), name)), pcrs);
            Prin program = name.extend(PrinExt.of("Program", new Bytes(new byte[] {1})));
            Attestation byHost = Attestation.sign(host, says(program, HELLO), d);
            VerifiedStatement v = AT_10.verify(byHost.serialize());
            assertThat(v.speaker()).isEqualTo(program);
            assertThat(AT_10.verify(d).delegation()).isPresent();
        }
    }

    @Test
    void everyBitFlip_fails() throws Exception {
        byte[] good = good().serialize();
        AT_10.verify(good);
        for (int i = 0; i < good.length; i++) {
            for (int bit = 0; bit < 8; bit++) {
                byte[] bad = good.clone();
                bad[i] ^= (byte) (1 << bit);
                VerificationException e = assertThrows(VerificationException.class, () -> AT_10.verify(bad),
                        "flip of byte " + i + " bit " + bit);
                assertThat(e.getMessage()).doesNotContain("\n");
            }
        }
    }

    @Test
    void everyTruncation_fails() throws Exception {
        byte[] good = good().serialize();
        for (int len = 0; len < good.length; len++) {
            byte[] cut = Arrays.copyOf(good, len);
            assertThrows(VerificationException.class, () -> AT_10.verify(cut), "cut to " + len);
        }
    }

    @Test
    void quoteOfOtherPcrValues_fails() throws Exception {
        byte[] other = new byte[32];
        other[0] = 1;
        Tpm2Pcrs claimed = Tpm2Pcrs.of(List.of(17, 23), List.of(other, pcrs.value(1)));
        Says stmt = says(SoftQuotes.pcrName(ak, claimed), HELLO);
        byte[] quote = SoftQuotes.quote(Tpm2Quote.nonceFor(stmt.encode()), pcrs.indices(), pcrs.digest());
        Attestation a = Attestation.fromTpm2Quote(stmt, ak.verifier(), quote, ak.sign(quote));
        VerificationException e = assertThrows(VerificationException.class, () -> AT_10.verify(a));
        assertThat(e.getMessage()).contains("PCR digest");
    }

    @Test
    void quoteOfOtherPcrSelection_fails() throws Exception {
        Says stmt = says(SoftQuotes.pcrName(ak, pcrs), HELLO);
        byte[] quote = SoftQuotes.quote(Tpm2Quote.nonceFor(stmt.encode()), List.of(17), pcrs.digest());
        Attestation a = Attestation.fromTpm2Quote(stmt, ak.verifier(), quote, ak.sign(quote));
        VerificationException e = assertThrows(VerificationException.class, () -> AT_10.verify(a));
        assertThat(e.getMessage()).contains("selects PCRs [17]");
    }

    @Test
    void quoteForAnotherStatement_fails() throws Exception {
        Says stmt = says(SoftQuotes.pcrName(ak, pcrs), HELLO);
        Says other = says(SoftQuotes.pcrName(ak, pcrs), Pred.of("Other"));
        byte[] quote = SoftQuotes.quote(Tpm2Quote.nonceFor(other.encode()), pcrs.indices(), pcrs.digest());
        Attestation a = Attestation.fromTpm2Quote(stmt, ak.verifier(), quote, ak.sign(quote));
        VerificationException e = assertThrows(VerificationException.class, () -> AT_10.verify(a));
        assertThat(e.getMessage()).contains("nonce");
    }

    @Test
    void quoteSignedByAnotherKey_fails() throws Exception {
        try (Signer other = Signer.generate()) {
            Says stmt = says(SoftQuotes.pcrName(ak, pcrs), HELLO);
            byte[] quote = SoftQuotes.quote(Tpm2Quote.nonceFor(stmt.encode()), pcrs.indices(), pcrs.digest());
            Attestation a = Attestation.fromTpm2Quote(stmt, ak.verifier(), quote, other.sign(quote));
            assertThat(assertThrows(VerificationException.class, () -> AT_10.verify(a)).getMessage())
                    .contains("signature does not verify");
        }
    }

    @Test
    void issuerOfAnotherKeyOrWithoutPcrs_fails() throws Exception {
        try (Signer other = Signer.generate()) {
            for (Prin issuer : List.of(SoftQuotes.pcrName(other, pcrs), Tpm2Quote.akPrincipal(ak.verifier()),
                    ak.principal(), Tpm2Quote.akPrincipal(ak.verifier()).extend(PrinExt.of("Host")))) {
                Attestation a = SoftQuotes.attest(ak, says(issuer, HELLO), pcrs);
                assertThrows(VerificationException.class, () -> AT_10.verify(a), issuer.toString());
            }
        }
    }

    @Test
    void tpm2WithDelegation_orKeyWithQuote_isMalformed() throws Exception {
        AttestationProtos.Attestation pb = AttestationProtos.Attestation.parseFrom(good().serialize());
        Attestation keySigned;
        try (Signer s = Signer.generate()) {
            keySigned = Attestation.sign(s, says(s.principal(), HELLO));
        }
        byte[] withDelegation = pb.toBuilder().setSerializedDelegation(ByteString.copyFrom(keySigned.serialize()))
                .build().toByteArray();
        assertThat(assertThrows(VerificationException.class, () -> Attestation.parse(withDelegation)).getMessage())
                .contains("with a delegation");
        byte[] noQuote = pb.toBuilder().clearTpm2QuoteStructure().build().toByteArray();
        assertThrows(VerificationException.class, () -> Attestation.parse(noQuote));
        byte[] keyWithQuote = AttestationProtos.Attestation.parseFrom(keySigned.serialize()).toBuilder()
                .setTpm2QuoteStructure(pb.getTpm2QuoteStructure()).build().toByteArray();
        assertThrows(VerificationException.class, () -> Attestation.parse(keyWithQuote));
    }

    @Test
    void malformedQuotes_areRejectedWithOneLineMessages() throws Exception {
        byte[] nonce = new byte[32];
        byte[] good = SoftQuotes.quote(nonce, List.of(17, 23), pcrs.digest());
        Tpm2Quote q = Tpm2Quote.parse(good);
        assertThat(q.pcrs()).containsExactly(17, 23);
        assertThat(q.encoded()).isEqualTo(good);
        assertThat(q.resetCount()).isEqualTo(1);
        assertThat(q.safe()).isTrue();

        List<byte[]> bad = List.of(
                new byte[0],
                Arrays.copyOf(good, good.length + 1), // trailing byte
                Arrays.copyOf(good, good.length - 1), // truncated digest
                new byte[Tpm2Quote.MAX_BYTES + 1],
                SoftQuotes.quote(new byte[31], List.of(17), pcrs.digest()), // short nonce
                SoftQuotes.quote(nonce, List.of(), pcrs.digest()), // nothing selected
                SoftQuotes.quote(nonce, List.of(17), new byte[20]), // SHA-1 sized digest
                patched(good, 0, 0x00), // magic
                patched(good, 5, 0x17), // TPM_ST_ATTEST_CERTIFY
                patched(good, 4 + 2 + 36 + 34 + 16, 2), // safe = 2
                patched(good, 4 + 2 + 36 + 34 + 17 + 8 + 3, 2), // two banks
                patched(good, 4 + 2 + 36 + 34 + 17 + 8 + 4 + 1, 0x04), // SHA-1 bank
                patched(good, 4 + 2 + 36 + 34 + 17 + 8 + 4 + 2, 9), // 9 select bytes
                patched(patched(good, 6, 0x01), 7, 0x00)); // qualifiedSigner of 256 bytes
        for (byte[] b : bad) {
            VerificationException e = assertThrows(VerificationException.class, () -> Tpm2Quote.parse(b),
                    java.util.HexFormat.of().formatHex(b));
            assertThat(e.getMessage()).startsWith("malformed").doesNotContain("\n");
        }
    }

    private static byte[] patched(byte[] b, int at, int value) {
        byte[] c = b.clone();
        c[at] = (byte) value;
        return c;
    }

    @Test
    void pcrsExtension_roundTrips_andRejectsOtherSpellings() throws Exception {
        assertThat(Tpm2Pcrs.fromExtension(pcrs.toExtension())).isEqualTo(pcrs);
        String zeros = "0".repeat(64);
        String[][] bad = {
            {"17", zeros + "," + zeros},
            {"017", zeros},
            {"18,17", zeros + "," + zeros},
            {"17,17", zeros + "," + zeros},
            {"64", zeros},
            {"17", zeros.toUpperCase().replace('0', 'A')},
            {"17", zeros.substring(1)},
            {" 17", zeros},
            {"", ""},
        };
        for (String[] b : bad) {
            PrinExt ext = PrinExt.of("PCRs", new Str(b[0]), new Str(b[1]));
            assertThrows(VerificationException.class, () -> Tpm2Pcrs.fromExtension(ext), ext.toString());
        }
        assertThrows(VerificationException.class, () -> Tpm2Pcrs.fromExtension(PrinExt.of("PCR", new Str("17"), new Str(zeros))));
        assertThrows(VerificationException.class, () -> Tpm2Pcrs.fromExtension(PrinExt.of("PCRs", new Str("17"))));
    }
}
