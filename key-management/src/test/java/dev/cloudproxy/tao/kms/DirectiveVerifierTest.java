package dev.cloudproxy.tao.kms;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloudproxy.tao.auth.Int;
import dev.cloudproxy.tao.auth.Pred;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.Says;
import dev.cloudproxy.tao.auth.Str;
import dev.cloudproxy.tao.keys.Signer;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The acceptance tests of issue 15 for disclosure directives. */
class DirectiveVerifierTest {
    private static final Instant NOW = Instant.parse("2026-12-07T12:00:00Z");
    private static final ObjectId KEY = ObjectId.of("/zone/key/customer-folder-key", 3);

    private final Signer policy = Signer.generate();
    private final Signer stranger = Signer.generate();
    private final Prin programA = Prin.key(new byte[32]).extend(new dev.cloudproxy.tao.auth.PrinExt("Program",
            java.util.List.of(new dev.cloudproxy.tao.auth.Bytes(new byte[] {1}))));
    private final Prin programC = Prin.key(new byte[32]).extend(new dev.cloudproxy.tao.auth.PrinExt("Program",
            java.util.List.of(new dev.cloudproxy.tao.auth.Bytes(new byte[] {3}))));
    private final DirectiveVerifier verifier = at(NOW);

    @AfterEach
    void close() {
        policy.close();
        stranger.close();
    }

    private DirectiveVerifier at(Instant now) {
        return DirectiveVerifier.of(policy.verifier(), Clock.fixed(now, ZoneOffset.UTC));
    }

    private Directive directive(Verb verb, Prin to, ObjectId object) {
        return new Directive(policy.principal(), verb, to, object, NOW.getEpochSecond(),
                NOW.plus(Duration.ofDays(1)).getEpochSecond());
    }

    private byte[] readForA() {
        return SignedDirective.sign(directive(Verb.READ, programA, KEY), policy);
    }

    @Test
    void verify_validDirective_returnsIt() throws Exception {
        Directive d = verifier.verify(readForA(), programA, Verb.READ, KEY);
        assertThat(d.principal()).isEqualTo(programA);
        assertThat(d.toString()).contains("says CanRead(").contains("\"/zone/key/customer-folder-key\", 3)");
    }

    @Test
    void verify_wrongSigner_isRefused() {
        Directive forged = new Directive(stranger.principal(), Verb.READ, programA, KEY, NOW.getEpochSecond(),
                NOW.getEpochSecond() + 60);
        byte[] signed = SignedDirective.sign(forged, stranger);
        assertThatThrownBy(() -> verifier.verify(signed, programA, Verb.READ, KEY))
                .isInstanceOf(DirectiveRefusedException.class).hasMessageContaining("not signed by");
    }

    @Test
    void sign_issuerOtherThanKey_isRefused() {
        assertThatThrownBy(() -> SignedDirective.sign(directive(Verb.READ, programA, KEY), stranger))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void verify_expiredOrNotYetValid_isRefused() {
        byte[] signed = readForA();
        assertThatThrownBy(() -> at(NOW.plus(Duration.ofDays(1).plusMinutes(2))).verify(signed, programA, Verb.READ, KEY))
                .isInstanceOf(DirectiveRefusedException.class).hasMessageContaining("expired");
        assertThatThrownBy(() -> at(NOW.minus(Duration.ofMinutes(2))).verify(signed, programA, Verb.READ, KEY))
                .isInstanceOf(DirectiveRefusedException.class).hasMessageContaining("not valid yet");
    }

    @Test
    void verify_withinSkew_isAccepted() throws Exception {
        byte[] signed = readForA();
        assertThat(at(NOW.plus(Duration.ofDays(1).plusSeconds(30))).verify(signed, programA, Verb.READ, KEY)).isNotNull();
    }

    /** The replay case: C presents A's directive over C's own authenticated channel. */
    @Test
    void verify_anotherProgramPresentsIt_isRefused() {
        assertThatThrownBy(() -> verifier.verify(readForA(), programC, Verb.READ, KEY))
                .isInstanceOf(DirectiveRefusedException.class).hasMessageContaining("another principal");
    }

    @Test
    void verify_anotherObjectOrEpoch_isRefused() {
        byte[] signed = readForA();
        assertThatThrownBy(() -> verifier.verify(signed, programA, Verb.READ, ObjectId.of("/zone/key/customer-folder-key", 2)))
                .isInstanceOf(DirectiveRefusedException.class).hasMessageContaining("another object or epoch");
        assertThatThrownBy(() -> verifier.verify(signed, programA, Verb.READ, ObjectId.of("/zone/key/other", 3)))
                .isInstanceOf(DirectiveRefusedException.class).hasMessageContaining("another object or epoch");
    }

    @Test
    void verify_otherVerb_isRefusedButOwnAllowsAll() throws Exception {
        assertThatThrownBy(() -> verifier.verify(readForA(), programA, Verb.WRITE, KEY))
                .isInstanceOf(DirectiveRefusedException.class).hasMessageContaining("grants CanRead, not CanWrite");
        byte[] own = SignedDirective.sign(directive(Verb.OWN, programA, KEY), policy);
        for (Verb v : Verb.values()) {
            assertThat(verifier.verify(own, programA, v, KEY).verb()).isEqualTo(Verb.OWN);
        }
    }

    @Test
    void verify_everyBitFlip_isRefused() {
        byte[] good = readForA();
        for (int bit = 0; bit < good.length * 8; bit++) {
            byte[] bad = good.clone();
            bad[bit / 8] ^= (byte) (1 << (bit % 8));
            assertThatThrownBy(() -> verifier.verify(bad, programA, Verb.READ, KEY)).as("bit %d", bit)
                    .isInstanceOf(DirectiveRefusedException.class);
        }
    }

    @Test
    void verify_truncatedExtendedOrOversized_isRefused() {
        byte[] good = readForA();
        for (int n = 0; n < good.length; n++) {
            byte[] cut = Arrays.copyOf(good, n);
            assertThatThrownBy(() -> verifier.verify(cut, programA, Verb.READ, KEY)).as("first %d", n)
                    .isInstanceOf(DirectiveRefusedException.class);
        }
        byte[] longer = Arrays.copyOf(good, good.length + 1);
        assertThatThrownBy(() -> verifier.verify(longer, programA, Verb.READ, KEY)).isInstanceOf(DirectiveRefusedException.class);
        byte[] huge = new byte[SignedDirective.MAX_BYTES + 1];
        assertThatThrownBy(() -> verifier.verify(huge, programA, Verb.READ, KEY))
                .isInstanceOf(DirectiveRefusedException.class).hasMessageContaining("larger");
        byte[] lying = good.clone();
        ByteBuffer.wrap(lying).putInt(5, Integer.MAX_VALUE);
        assertThatThrownBy(() -> verifier.verify(lying, programA, Verb.READ, KEY)).isInstanceOf(DirectiveRefusedException.class);
    }

    @Test
    void verify_randomInput_isRefusedWithoutCrash() {
        Random random = new Random(15);
        for (int i = 0; i < 2000; i++) {
            byte[] junk = new byte[random.nextInt(200)];
            random.nextBytes(junk);
            if (junk.length > 4 && random.nextBoolean()) {
                System.arraycopy(new byte[] {'T', 'A', 'O', 'D', 1}, 0, junk, 0, 5);
            }
            assertThatThrownBy(() -> verifier.verify(junk, programA, Verb.READ, KEY)).isInstanceOf(DirectiveRefusedException.class);
        }
    }

    /** Signed in the directive context, but not of the directive shape: refused. */
    @Test
    void verify_otherStatementsSignedAsDirectives_areRefused() throws Exception {
        Says noWindow = Says.of(policy.principal(), Pred.of("CanRead", programA, new Str(KEY.name().value()), new Int(3)));
        Says otherPredicate = Says.during(policy.principal(), 0, Long.MAX_VALUE,
                Pred.of("CanFly", programA, new Str(KEY.name().value()), new Int(3)));
        Says badArgs = Says.during(policy.principal(), 0, Long.MAX_VALUE,
                Pred.of("CanRead", new Str("A"), new Str(KEY.name().value()), new Int(3)));
        Says badName = Says.during(policy.principal(), 0, Long.MAX_VALUE,
                Pred.of("CanRead", programA, new Str("/zone/../x"), new Int(3)));
        Says badEpoch = Says.during(policy.principal(), 0, Long.MAX_VALUE,
                Pred.of("CanRead", programA, new Str(KEY.name().value()), new Int(1L << 40)));
        for (Says s : new Says[] {noWindow, otherPredicate, badArgs, badName, badEpoch}) {
            byte[] statement = s.encode();
            byte[] unsigned = ByteBuffer.allocate(9 + statement.length).put(new byte[] {'T', 'A', 'O', 'D', 1})
                    .putInt(statement.length).put(statement).array();
            byte[] message = ByteBuffer.allocate(28 + unsigned.length)
                    .put("Tao Disclosure Directive V1\0".getBytes(StandardCharsets.US_ASCII)).put(unsigned).array();
            byte[] signature = policy.sign(message);
            byte[] signed = ByteBuffer.allocate(unsigned.length + 2 + signature.length).put(unsigned)
                    .putShort((short) signature.length).put(signature).array();
            assertThatThrownBy(() -> verifier.verify(signed, programA, Verb.READ, KEY)).as("%s", s)
                    .isInstanceOf(DirectiveRefusedException.class);
        }
    }

    /** A signature made without the directive context (as any other signed object would be) never verifies. */
    @Test
    void verify_signatureFromAnotherContext_isRefused() {
        byte[] good = readForA();
        byte[] unsigned = Arrays.copyOf(good, 9 + ByteBuffer.wrap(good).getInt(5)); // magic, version, statement
        for (String context : new String[] {"", "Tao Guard Rules V1\0", "Tao Domain Config V1\0", "Tao Attestation Signing Context V1"}) {
            byte[] message = ByteBuffer.allocate(context.length() + unsigned.length)
                    .put(context.getBytes(StandardCharsets.US_ASCII)).put(unsigned).array();
            byte[] signature = policy.sign(message);
            byte[] signed = ByteBuffer.allocate(unsigned.length + 2 + signature.length).put(unsigned)
                    .putShort((short) signature.length).put(signature).array();
            assertThatThrownBy(() -> verifier.verify(signed, programA, Verb.READ, KEY)).as("context %s", context)
                    .isInstanceOf(DirectiveRefusedException.class).hasMessageContaining("not signed by");
        }
    }
}
