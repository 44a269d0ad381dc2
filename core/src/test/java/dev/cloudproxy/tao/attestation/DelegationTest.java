package dev.cloudproxy.tao.attestation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cloudproxy.tao.VerificationException;
import dev.cloudproxy.tao.auth.Bytes;
import dev.cloudproxy.tao.auth.Const;
import dev.cloudproxy.tao.auth.Form;
import dev.cloudproxy.tao.auth.Pred;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.PrinExt;
import dev.cloudproxy.tao.auth.Says;
import dev.cloudproxy.tao.auth.Speaksfor;
import dev.cloudproxy.tao.auth.Str;
import dev.cloudproxy.tao.keys.Signer;
import dev.cloudproxy.tao.proto.AttestationProtos;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** Delegation chains: what a host's key, a program's key and an attacker's key can and cannot prove. */
class DelegationTest {
    private static final Signer HOST = Signer.generate();
    private static final Signer PROGRAM_KEY = Signer.generate();
    private static final Signer ATTACKER = Signer.generate();
    private static final Prin HOST_NAME = HOST.principal();
    private static final Prin PROGRAM = HOST_NAME.extend(PrinExt.of("Program", Bytes.ofHex("aa")));
    private static final Form HELLO = Pred.of("Hello", new Str("world"));

    @AfterAll
    static void close() {
        HOST.close();
        PROGRAM_KEY.close();
        ATTACKER.close();
    }

    private static Attestation delegation(Signer signer, Prin speaker, Prin delegate, Prin delegator, long from, long until) {
        return Attestation.sign(signer, Says.during(speaker, from, until, new Speaksfor(delegate, delegator)));
    }

    private static Attestation programSays(Attestation delegation, long from, long until) {
        return Attestation.sign(PROGRAM_KEY, Says.during(PROGRAM, from, until, HELLO), delegation);
    }

    @Test
    void hostDelegatesToProgramKey_programKeySpeaksForProgram() throws Exception {
        Attestation d = delegation(HOST, HOST_NAME, PROGRAM_KEY.principal(), PROGRAM, 0, 1000);
        VerifiedStatement v = AttestationVerifier.at(10).verify(programSays(d, 0, 1000).serialize());
        assertThat(v.speaker()).isEqualTo(PROGRAM);
        assertThat(v.signer()).isEqualTo(PROGRAM_KEY.principal());
        assertThat(v.statement().message()).isEqualTo(HELLO);
    }

    @Test
    void delegation_isReportedOnlyWhenSpeakerIsDelegatorOrAncestor() throws Exception {
        VerifiedStatement fromHost = AttestationVerifier.at(10).verify(
                delegation(HOST, HOST_NAME, PROGRAM_KEY.principal(), PROGRAM, 0, 1000));
        assertThat(fromHost.delegation()).contains(new Speaksfor(PROGRAM_KEY.principal(), PROGRAM));

        // Any key may sign "I say D speaksfor someone else": true as its statement, but no delegation.
        Prin other = Prin.key(new byte[32]).extend(PrinExt.of("Program", Bytes.ofHex("aa")));
        VerifiedStatement fromAttacker = AttestationVerifier.at(10).verify(
                delegation(ATTACKER, ATTACKER.principal(), PROGRAM_KEY.principal(), other, 0, 1000));
        assertThat(fromAttacker.speaker()).isEqualTo(ATTACKER.principal());
        assertThat(fromAttacker.delegation()).isEmpty();
    }

    @Test
    void forgedDelegation_fromUnrelatedKey_fails() {
        Attestation forged = delegation(ATTACKER, ATTACKER.principal(), PROGRAM_KEY.principal(), PROGRAM, 0, 1000);
        VerificationException e = assertThrows(VerificationException.class,
                () -> AttestationVerifier.at(10).verify(programSays(forged, 0, 1000)));
        assertThat(e.getMessage()).contains("not a speaksfor made by the delegator or an ancestor");
    }

    @Test
    void selfSignedDelegation_fails() {
        Attestation self = delegation(PROGRAM_KEY, PROGRAM_KEY.principal(), PROGRAM_KEY.principal(), PROGRAM, 0, 1000);
        assertThrows(VerificationException.class, () -> AttestationVerifier.at(10).verify(programSays(self, 0, 1000)));
    }

    @Test
    void delegationClaimingHostButSignedByWrongKey_fails() {
        Attestation wrongKey = delegation(ATTACKER, HOST_NAME, PROGRAM_KEY.principal(), PROGRAM, 0, 1000);
        VerificationException e = assertThrows(VerificationException.class,
                () -> AttestationVerifier.at(10).verify(programSays(wrongKey, 0, 1000)));
        assertThat(e.getMessage()).startsWith("delegation: signer ").contains("does not speak for");
    }

    @Test
    void delegationToAnotherKey_fails() {
        Attestation toAttacker = delegation(HOST, HOST_NAME, ATTACKER.principal(), PROGRAM, 0, 1000);
        VerificationException e = assertThrows(VerificationException.class,
                () -> AttestationVerifier.at(10).verify(programSays(toAttacker, 0, 1000)));
        assertThat(e.getMessage()).contains("not to the signer");
    }

    @Test
    void delegationForAnotherProgram_fails() {
        Prin otherProgram = HOST_NAME.extend(PrinExt.of("Program", Bytes.ofHex("bb")));
        Attestation forOther = delegation(HOST, HOST_NAME, PROGRAM_KEY.principal(), otherProgram, 0, 1000);
        VerificationException e = assertThrows(VerificationException.class,
                () -> AttestationVerifier.at(10).verify(programSays(forOther, 0, 1000)));
        assertThat(e.getMessage()).contains("not for the issuer");
    }

    @Test
    void programKey_canSpeakForSubprincipalsOfProgram_butNotForItsParent() throws Exception {
        Attestation d = delegation(HOST, HOST_NAME, PROGRAM_KEY.principal(), PROGRAM, 0, 1000);
        Prin sub = PROGRAM.extend(PrinExt.of("Session", new Str("1")));
        AttestationVerifier.at(10).verify(Attestation.sign(PROGRAM_KEY, Says.during(sub, 0, 1000, HELLO), d));
        assertThrows(VerificationException.class, () -> AttestationVerifier.at(10).verify(
                Attestation.sign(PROGRAM_KEY, Says.during(HOST_NAME, 0, 1000, HELLO), d)));
    }

    @Test
    void withoutDelegation_keySpeaksOnlyForItselfAndItsExtensions() throws Exception {
        AttestationVerifier.at(10).verify(Attestation.sign(HOST, Says.of(PROGRAM, HELLO)));
        assertThrows(VerificationException.class,
                () -> AttestationVerifier.at(10).verify(Attestation.sign(ATTACKER, Says.of(PROGRAM, HELLO))));
    }

    @Test
    void threeLevelChain_verifies_andWindowIsTheIntersection() throws Exception {
        // root -> host key -> program key, like TPM -> Linux host -> hosted program.
        try (Signer root = Signer.generate()) {
            Prin hostName = root.principal().extend(PrinExt.of("LinuxHost", Bytes.ofHex("01")));
            Prin program = hostName.extend(PrinExt.of("Program", Bytes.ofHex("02")));
            Attestation rootToHost = delegation(root, root.principal(), HOST.principal(), hostName, 100, 500);
            Attestation hostToProgram = Attestation.sign(HOST,
                    Says.during(hostName, 50, 400, new Speaksfor(PROGRAM_KEY.principal(), program)), rootToHost);
            Attestation said = Attestation.sign(PROGRAM_KEY, Says.during(program, 150, 1000, HELLO), hostToProgram);

            VerifiedStatement v = AttestationVerifier.at(200).verify(said);
            assertThat(v.speaker()).isEqualTo(program);
            assertThat(v.effectiveFrom()).hasValue(150);
            assertThat(v.effectiveUntil()).hasValue(400);
            assertThat(assertThrows(VerificationException.class, () -> AttestationVerifier.at(450).verify(said)).getMessage())
                    .contains("expired");
            assertThat(assertThrows(VerificationException.class, () -> AttestationVerifier.at(120).verify(said)).getMessage())
                    .contains("not yet valid");
            assertThat(assertThrows(VerificationException.class, () -> AttestationVerifier.at(600).verify(said)).getMessage())
                    .startsWith("delegation: delegation: expired");
        }
    }

    @Test
    void expiredDelegation_failsEvenWhenTheStatementIsCurrent() {
        Attestation d = delegation(HOST, HOST_NAME, PROGRAM_KEY.principal(), PROGRAM, 0, 5);
        assertThrows(VerificationException.class, () -> AttestationVerifier.at(10).verify(programSays(d, 0, 1000)));
    }

    @Test
    void clockSkew_allowsSmallDifferencesOnly() throws Exception {
        Attestation a = Attestation.sign(HOST, Says.during(HOST_NAME, 1000, 2000, HELLO));
        Clock at2030 = Clock.fixed(Instant.ofEpochSecond(2030), ZoneOffset.UTC);
        Clock at2100 = Clock.fixed(Instant.ofEpochSecond(2100), ZoneOffset.UTC);
        AttestationVerifier.withClock(at2030, Duration.ofSeconds(60)).verify(a);
        assertThrows(VerificationException.class, () -> AttestationVerifier.withClock(at2100, Duration.ofSeconds(60)).verify(a));
        assertThrows(VerificationException.class, () -> AttestationVerifier.at(2001).verify(a));
    }

    @Test
    void emptyWindow_fails() {
        Attestation a = Attestation.sign(HOST, Says.during(HOST_NAME, 10, 5, HELLO));
        assertThat(assertThrows(VerificationException.class, () -> AttestationVerifier.at(7).verify(a)).getMessage())
                .contains("window is empty");
    }

    @Test
    void endorsements_areVerifiedAndReturned_butATamperedOneFailsTheWhole() throws Exception {
        Attestation endorsement = Attestation.sign(HOST, Says.of(HOST_NAME, Pred.of("TrustedProgram", PROGRAM)));
        Attestation a = Attestation.sign(PROGRAM_KEY, Says.of(PROGRAM_KEY.principal(), HELLO)).withEndorsements(List.of(endorsement));
        VerifiedStatement v = AttestationVerifier.at(10).verify(a.serialize());
        assertThat(v.endorsements()).hasSize(1);
        assertThat(v.endorsements().get(0).speaker()).isEqualTo(HOST_NAME);

        byte[] bad = endorsement.serialize();
        bad[bad.length - 5] ^= 1;
        Attestation tampered = Attestation.sign(PROGRAM_KEY, Says.of(PROGRAM_KEY.principal(), HELLO))
                .withEndorsements(List.of(Attestation.parse(bad)));
        assertThat(assertThrows(VerificationException.class, () -> AttestationVerifier.at(10).verify(tampered)).getMessage())
                .startsWith("endorsement 0:");
    }

    @Test
    void chainsDeeperThanTheLimit_areRejected_andCannotBeBuilt() throws Exception {
        Attestation a = Attestation.sign(HOST, Says.of(HOST_NAME, Const.TRUE));
        for (int i = 0; i < Attestation.MAX_NESTING; i++) {
            a = Attestation.sign(HOST, Says.of(HOST_NAME, Const.TRUE), a);
        }
        Attestation deepest = a;
        assertThrows(IllegalArgumentException.class, () -> Attestation.sign(HOST, Says.of(HOST_NAME, Const.TRUE), deepest));

        byte[] tooDeep = AttestationProtos.Attestation.newBuilder()
                .mergeFrom(Attestation.sign(HOST, Says.of(HOST_NAME, Const.TRUE)).serialize(), com.google.protobuf.ExtensionRegistryLite.getEmptyRegistry())
                .setSerializedDelegation(com.google.protobuf.ByteString.copyFrom(deepest.serialize()))
                .build().toByteArray();
        assertThat(assertThrows(VerificationException.class, () -> Attestation.parse(tooDeep)).getMessage()).contains("nest");
    }

    @Test
    void everyBitFlip_ofAChainedAttestation_failsOrOnlyTouchesInformationalHeaderFields() throws Exception {
        Attestation d = delegation(HOST, HOST_NAME, PROGRAM_KEY.principal(), PROGRAM, 0, 1000);
        byte[] good = programSays(d, 0, 1000).serialize();
        VerifiedStatement expected = AttestationVerifier.at(10).verify(good);
        int survived = 0;
        for (int i = 0; i < good.length; i++) {
            for (int bit = 0; bit < 8; bit++) {
                byte[] bad = good.clone();
                bad[i] ^= (byte) (1 << bit);
                try {
                    assertThat(AttestationVerifier.at(10).verify(bad)).isEqualTo(expected);
                    survived++;
                } catch (VerificationException e) {
                    // expected for every flip outside the unsigned key name and epoch
                }
            }
        }
        // Two headers (outer, delegation), each with a 3-byte key name and a 1-byte epoch.
        assertThat(survived).isLessThanOrEqualTo(2 * 8 * 4);
    }

    @Test
    void delegationFieldReadAsVarint_cannotSpliceTheDelegationOverItsParent() throws Exception {
        // Field 5 (serialized_delegation) with its wire type flipped from LEN (0x2a) to VARINT (0x28):
        // protobuf would then read the delegation's own fields as the parent's, last one winning.
        Attestation d = delegation(HOST, HOST_NAME, PROGRAM_KEY.principal(), PROGRAM, 0, 1000);
        byte[] good = programSays(d, 0, 1000).serialize();
        byte[] spliced = good.clone();
        int tagAt = indexOfDelegationTag(spliced);
        spliced[tagAt] = 0x28;
        VerificationException e = assertThrows(VerificationException.class, () -> Attestation.parse(spliced));
        assertThat(e.getMessage()).contains("wrong wire type");
    }

    @Test
    void duplicateOrUnknownFields_areRejected() throws Exception {
        byte[] good = Attestation.sign(HOST, Says.of(HOST_NAME, HELLO)).serialize();
        byte[] duplicate = concat(good, new byte[] {0x12, 0x03, 'k', 'e', 'y'});
        assertThat(assertThrows(VerificationException.class, () -> Attestation.parse(duplicate)).getMessage())
                .contains("field 2 appears twice");
        byte[] unknown = concat(good, new byte[] {0x48, 0x01});
        assertThat(assertThrows(VerificationException.class, () -> Attestation.parse(unknown)).getMessage())
                .contains("unknown field 9");
    }

    private static int indexOfDelegationTag(byte[] att) throws Exception {
        com.google.protobuf.CodedInputStream in = com.google.protobuf.CodedInputStream.newInstance(att);
        while (!in.isAtEnd()) {
            int at = in.getTotalBytesRead();
            int tag = in.readTag();
            if (tag == 0x2a) {
                return at;
            }
            in.skipField(tag);
        }
        throw new AssertionError("no delegation field");
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
