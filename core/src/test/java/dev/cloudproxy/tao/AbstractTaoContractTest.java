package dev.cloudproxy.tao;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cloudproxy.tao.attestation.Attestation;
import dev.cloudproxy.tao.attestation.AttestationVerifier;
import dev.cloudproxy.tao.attestation.VerifiedStatement;
import dev.cloudproxy.tao.auth.Bytes;
import dev.cloudproxy.tao.auth.Form;
import dev.cloudproxy.tao.auth.Int;
import dev.cloudproxy.tao.auth.Pred;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.PrinExt;
import dev.cloudproxy.tao.auth.Str;
import dev.cloudproxy.tao.auth.SubPrin;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The contract every {@link CoreTao} keeps, whatever is underneath: a soft key, a Linux host over RPC,
 * a stacked host, a TPM. Subclasses say how to make a fresh Tao and how to restart one.
 */
public abstract class AbstractTaoContractTest {
    private static final byte[] SECRET = "attack at dawn".getBytes(StandardCharsets.UTF_8);
    private static final Form HELLO = Pred.of("Hello", new Str("world"));

    private final List<CoreTao> opened = new ArrayList<>();

    /** A new Tao with keys of its own. */
    protected abstract CoreTao newTao() throws Exception;

    /**
     * The same Tao after a restart: same keys and name as when it was created (extensions made
     * since are gone, as for a restarted program).
     */
    protected abstract CoreTao restart(CoreTao tao) throws Exception;

    /** Releases a Tao made by {@link #newTao} or {@link #restart}. */
    protected void release(CoreTao tao) throws Exception {
        if (tao instanceof AutoCloseable c) {
            c.close();
        }
    }

    /** The verifier that should accept this Tao's attestations (for a root Tao, any verifier). */
    protected AttestationVerifier verifier() {
        return AttestationVerifier.create();
    }

    private CoreTao tao() throws Exception {
        CoreTao t = newTao();
        opened.add(t);
        return t;
    }

    private CoreTao restarted(CoreTao t) throws Exception {
        CoreTao r = restart(t);
        opened.add(r);
        return r;
    }

    @AfterEach
    void releaseAll() throws Exception {
        for (CoreTao t : opened) {
            release(t);
        }
        opened.clear();
    }

    private static SubPrin ext(String name, int arg) {
        return SubPrin.of(PrinExt.of(name, new Int(arg)));
    }

    // ---- names ----

    @Test
    void name_isAPrincipalThatParsesBack() throws Exception {
        Prin name = tao().getTaoName();
        assertThat(Prin.parse(name.toString())).isEqualTo(name);
    }

    @Test
    void extendTaoName_appendsToTheName() throws Exception {
        CoreTao t = tao();
        Prin before = t.getTaoName();
        t.extendTaoName(ext("Policy", 1));
        t.extendTaoName(ext("Session", 2));
        Prin after = t.getTaoName();
        assertThat(after.isExtensionOf(before)).isTrue();
        assertThat(after.extensionsBeyond(before)).isEqualTo(ext("Policy", 1).concat(ext("Session", 2)));
    }

    @Test
    void twoTaos_haveDifferentNames() throws Exception {
        assertThat(tao().getTaoName()).isNotEqualTo(tao().getTaoName());
    }

    // ---- randomness ----

    @Test
    void randomBytes_haveTheLengthAskedFor_andDiffer() throws Exception {
        CoreTao t = tao();
        assertThat(t.getRandomBytes(0)).isEmpty();
        byte[] a = t.getRandomBytes(32);
        byte[] b = t.getRandomBytes(32);
        assertThat(a).hasSize(32);
        assertThat(a).isNotEqualTo(b);
        assertThat(t.getRandomBytes(CoreTao.MAX_RANDOM_BYTES)).hasSize(CoreTao.MAX_RANDOM_BYTES);
    }

    @Test
    void randomBytes_outOfRange_isRefused() throws Exception {
        CoreTao t = tao();
        assertThrows(IllegalArgumentException.class, () -> t.getRandomBytes(-1));
        assertThrows(IllegalArgumentException.class, () -> t.getRandomBytes(CoreTao.MAX_RANDOM_BYTES + 1));
    }

    // ---- shared secrets ----

    @Test
    void sharedSecret_isDeterministic_andDependsOnPolicyAndLength() throws Exception {
        CoreTao t = tao();
        byte[] self = t.getSharedSecret(32, CoreTao.SEAL_POLICY_SELF);
        assertThat(t.getSharedSecret(32, CoreTao.SEAL_POLICY_SELF)).isEqualTo(self);
        assertThat(t.getSharedSecret(32, CoreTao.SEAL_POLICY_ANY)).isNotEqualTo(self);
        byte[] longer = t.getSharedSecret(64, CoreTao.SEAL_POLICY_SELF);
        assertThat(Arrays.copyOf(longer, 32)).isNotEqualTo(self);
    }

    @Test
    void sharedSecret_self_changesWithTheName_any_doesNot() throws Exception {
        CoreTao t = tao();
        byte[] self = t.getSharedSecret(32, CoreTao.SEAL_POLICY_SELF);
        byte[] any = t.getSharedSecret(32, CoreTao.SEAL_POLICY_ANY);
        t.extendTaoName(ext("Policy", 1));
        assertThat(t.getSharedSecret(32, CoreTao.SEAL_POLICY_SELF)).isNotEqualTo(self);
        assertThat(t.getSharedSecret(32, CoreTao.SEAL_POLICY_ANY)).isEqualTo(any);
    }

    @Test
    void sharedSecret_differsBetweenTaos() throws Exception {
        assertThat(tao().getSharedSecret(32, CoreTao.SEAL_POLICY_ANY)).isNotEqualTo(tao().getSharedSecret(32, CoreTao.SEAL_POLICY_ANY));
    }

    @Test
    void sharedSecret_badArguments_areRefused() throws Exception {
        CoreTao t = tao();
        assertThrows(IllegalArgumentException.class, () -> t.getSharedSecret(0, CoreTao.SEAL_POLICY_SELF));
        assertThrows(IllegalArgumentException.class, () -> t.getSharedSecret(CoreTao.MAX_SHARED_SECRET_BYTES + 1, CoreTao.SEAL_POLICY_SELF));
        assertThrows(IllegalArgumentException.class, () -> t.getSharedSecret(32, "few"));
    }

    @Test
    void sharedSecret_isStableAcrossRestarts() throws Exception {
        CoreTao t = tao();
        byte[] self = t.getSharedSecret(48, CoreTao.SEAL_POLICY_SELF);
        byte[] any = t.getSharedSecret(48, CoreTao.SEAL_POLICY_ANY);
        CoreTao again = restarted(t);
        assertThat(again.getSharedSecret(48, CoreTao.SEAL_POLICY_SELF)).isEqualTo(self);
        assertThat(again.getSharedSecret(48, CoreTao.SEAL_POLICY_ANY)).isEqualTo(any);
    }

    // ---- group keys ----

    /** A principal under no Tao of the test (another key). */
    private static Prin stranger() {
        byte[] hash = new byte[32];
        hash[0] = 7;
        return Prin.key(hash).extend(ext("Program", 1));
    }

    @Test
    void groupKey_isDeterministic_whateverTheMemberOrder_andDependsOnLength() throws Exception {
        CoreTao t = tao();
        Prin me = t.getTaoName();
        Prin peer = me.extend(ext("Peer", 1));
        byte[] key = t.getGroupKey(List.of(me, peer), 32);
        assertThat(key).hasSize(32);
        assertThat(t.getGroupKey(List.of(peer, me), 32)).isEqualTo(key);
        assertThat(Arrays.copyOf(t.getGroupKey(List.of(me, peer), 64), 32)).isNotEqualTo(key);
        assertThat(t.getGroupKey(List.of(me), 32)).isNotEqualTo(key);
        assertThat(key).isNotEqualTo(t.getSharedSecret(32, CoreTao.SEAL_POLICY_SELF))
                .isNotEqualTo(t.getSharedSecret(32, CoreTao.SEAL_POLICY_ANY));
    }

    @Test
    void groupKey_callerNotAMember_isRefused() throws Exception {
        CoreTao t = tao();
        Prin me = t.getTaoName();
        assertThrows(GroupKeyRefusedException.class,
                () -> t.getGroupKey(List.of(me.extend(ext("Peer", 1)), me.extend(ext("Peer", 2))), 32));
    }

    @Test
    void groupKey_memberUnderNoAncestorOfTheCaller_isRefused() throws Exception {
        CoreTao t = tao();
        assertThrows(GroupKeyRefusedException.class, () -> t.getGroupKey(List.of(t.getTaoName(), stranger()), 32));
    }

    @Test
    void groupKey_afterTheCallerExtendedItsName_isAnotherKey() throws Exception {
        CoreTao t = tao();
        Prin peer = t.getTaoName().extend(ext("Peer", 1));
        byte[] before = t.getGroupKey(List.of(t.getTaoName(), peer), 32);
        t.extendTaoName(ext("Policy", 1));
        byte[] after = t.getGroupKey(List.of(t.getTaoName(), peer), 32);
        assertThat(after).isNotEqualTo(before);
    }

    @Test
    void groupKey_differsBetweenTaos() throws Exception {
        CoreTao a = tao();
        CoreTao b = tao();
        assertThat(a.getGroupKey(List.of(a.getTaoName()), 32)).isNotEqualTo(b.getGroupKey(List.of(b.getTaoName()), 32));
    }

    @Test
    void groupKey_isStableAcrossRestarts() throws Exception {
        CoreTao t = tao();
        List<Prin> group = List.of(t.getTaoName(), t.getTaoName().extend(ext("Peer", 1)));
        byte[] key = t.getGroupKey(group, 48);
        assertThat(restarted(t).getGroupKey(group, 48)).isEqualTo(key);
    }

    @Test
    void groupKey_badArguments_areMisuse() throws Exception {
        CoreTao t = tao();
        Prin me = t.getTaoName();
        assertThrows(IllegalArgumentException.class, () -> t.getGroupKey(List.of(me), 0));
        assertThrows(IllegalArgumentException.class, () -> t.getGroupKey(List.of(me), CoreTao.MAX_GROUP_KEY_BYTES + 1));
        assertThrows(IllegalArgumentException.class, () -> t.getGroupKey(List.of(), 32));
        assertThrows(IllegalArgumentException.class, () -> t.getGroupKey(List.of(me, me), 32));
        List<Prin> tooMany = new ArrayList<>(List.of(me));
        for (int i = 0; i < CoreTao.MAX_GROUP_MEMBERS; i++) {
            tooMany.add(me.extend(ext("Peer", i)));
        }
        assertThrows(IllegalArgumentException.class, () -> t.getGroupKey(tooMany, 32));
        Prin longName = me.extend(SubPrin.of(PrinExt.of("Blob", new Bytes(new byte[CoreTao.MAX_GROUP_MEMBER_NAME_BYTES]))));
        assertThrows(IllegalArgumentException.class, () -> t.getGroupKey(List.of(me, longName), 32));
    }

    @Test
    void groupKeyFor_aDescendantOfTheCaller_getsTheKeyTheDescendantItselfGets() throws Exception {
        CoreTao t = tao();
        Prin child = t.getTaoName().extend(ext("Child", 1));
        List<Prin> group = List.of(child, t.getTaoName().extend(ext("Peer", 1)));
        byte[] forChild = t.getGroupKeyFor(child, group, 32);
        t.extendTaoName(ext("Child", 1));
        assertThat(t.getGroupKey(group, 32)).isEqualTo(forChild);
    }

    @Test
    void groupKeyFor_anAskerNotBelowTheCaller_isRefused() throws Exception {
        CoreTao t = tao();
        Prin me = t.getTaoName();
        Prin sibling = me.parent().orElse(me).extend(ext("Sibling", 1));
        Prin peer = me.extend(ext("Peer", 1));
        assertThrows(GroupKeyRefusedException.class, () -> t.getGroupKeyFor(stranger(), List.of(stranger(), peer), 32));
        if (!me.ext().isEmpty()) {
            assertThrows(GroupKeyRefusedException.class, () -> t.getGroupKeyFor(sibling, List.of(sibling, peer), 32));
        }
    }

    // ---- sealing ----

    @Test
    void seal_thenUnseal_givesTheDataAndPolicyBack() throws Exception {
        CoreTao t = tao();
        for (String policy : List.of(CoreTao.SEAL_POLICY_SELF, CoreTao.SEAL_POLICY_ANY)) {
            try (Unsealed u = t.unseal(t.seal(SECRET, policy))) {
                assertThat(u.data()).isEqualTo(SECRET);
                assertThat(u.policy().text()).isEqualTo(policy);
            }
        }
        try (Unsealed empty = t.unseal(t.seal(new byte[0], CoreTao.SEAL_POLICY_SELF))) {
            assertThat(empty.data()).isEmpty();
        }
    }

    @Test
    void seal_isRandomized() throws Exception {
        CoreTao t = tao();
        assertThat(t.seal(SECRET, CoreTao.SEAL_POLICY_SELF)).isNotEqualTo(t.seal(SECRET, CoreTao.SEAL_POLICY_SELF));
    }

    @Test
    void seal_neverContainsThePlaintext() throws Exception {
        byte[] blob = tao().seal(SECRET, CoreTao.SEAL_POLICY_SELF);
        assertThat(new String(blob, StandardCharsets.ISO_8859_1)).doesNotContain("attack at dawn");
    }

    @Test
    void seal_unknownPolicy_isRefused() throws Exception {
        CoreTao t = tao();
        assertThrows(IllegalArgumentException.class, () -> t.seal(SECRET, "few"));
        assertThrows(IllegalArgumentException.class, () -> t.seal(SECRET, ""));
    }

    @Test
    void unseal_self_afterTheNameChanged_fails_any_stillWorks() throws Exception {
        CoreTao t = tao();
        byte[] self = t.seal(SECRET, CoreTao.SEAL_POLICY_SELF);
        byte[] any = t.seal(SECRET, CoreTao.SEAL_POLICY_ANY);
        t.extendTaoName(ext("Other", 7));
        UnsealException e = assertThrows(UnsealException.class, () -> t.unseal(self));
        assertThat(e.getMessage()).isEqualTo("unseal failed");
        try (Unsealed u = t.unseal(any)) {
            assertThat(u.data()).isEqualTo(SECRET);
        }
    }

    @Test
    void unseal_byAnotherTao_failsTheSameWay() throws Exception {
        byte[] blob = tao().seal(SECRET, CoreTao.SEAL_POLICY_ANY);
        UnsealException e = assertThrows(UnsealException.class, () -> tao().unseal(blob));
        assertThat(e.getMessage()).isEqualTo("unseal failed");
    }

    @Test
    void unseal_everyBitFlip_failsTheSameWay() throws Exception {
        CoreTao t = tao();
        byte[] blob = t.seal(SECRET, CoreTao.SEAL_POLICY_SELF);
        for (int i = 0; i < blob.length; i++) {
            for (int bit = 0; bit < 8; bit++) {
                byte[] bad = blob.clone();
                bad[i] ^= (byte) (1 << bit);
                UnsealException e = assertThrows(UnsealException.class, () -> t.unseal(bad), "byte " + i + " bit " + bit);
                assertThat(e.getMessage()).isEqualTo("unseal failed");
            }
        }
    }

    @Test
    void unseal_truncatedExtendedOrGarbage_failsTheSameWay() throws Exception {
        CoreTao t = tao();
        byte[] blob = t.seal(SECRET, CoreTao.SEAL_POLICY_ANY);
        for (int len = 0; len < blob.length; len++) {
            byte[] cut = Arrays.copyOf(blob, len);
            assertThrows(UnsealException.class, () -> t.unseal(cut));
        }
        assertThrows(UnsealException.class, () -> t.unseal(Arrays.copyOf(blob, blob.length + 1)));
        assertThrows(UnsealException.class, () -> t.unseal(new byte[100]));
    }

    @Test
    void unseal_afterRestart_opensWhatWasSealedBefore() throws Exception {
        CoreTao t = tao();
        byte[] self = t.seal(SECRET, CoreTao.SEAL_POLICY_SELF);
        byte[] any = t.seal(SECRET, CoreTao.SEAL_POLICY_ANY);
        CoreTao again = restarted(t);
        assertThat(again.getTaoName()).isEqualTo(t.getTaoName());
        try (Unsealed a = again.unseal(self); Unsealed b = again.unseal(any)) {
            assertThat(a.data()).isEqualTo(SECRET);
            assertThat(b.data()).isEqualTo(SECRET);
        }
    }

    @Test
    void unsealed_toString_revealsNoData() throws Exception {
        CoreTao t = tao();
        try (Unsealed u = t.unseal(t.seal(SECRET, CoreTao.SEAL_POLICY_SELF))) {
            assertThat(u.toString()).doesNotContain("attack").contains("redacted");
        }
    }

    // ---- attestation ----

    @Test
    void attest_producesAStatementByTheCaller_thatVerifies() throws Exception {
        CoreTao t = tao();
        t.extendTaoName(ext("Policy", 1));
        Attestation a = t.attest(HELLO);
        VerifiedStatement v = verifier().verify(a.serialize());
        assertThat(v.speaker()).isEqualTo(t.getTaoName());
        assertThat(v.statement().message()).isEqualTo(HELLO);
        long now = Instant.now().getEpochSecond();
        assertThat(v.effectiveFrom().getAsLong()).isBetween(now - 120, now + 5);
        assertThat(v.effectiveUntil().getAsLong()).isGreaterThan(now + 300L * 24 * 3600);
    }

    @Test
    void attest_withExplicitWindowAndSubprincipalIssuer() throws Exception {
        CoreTao t = tao();
        long now = Instant.now().getEpochSecond();
        Prin sub = t.getTaoName().extend(PrinExt.of("Key", Bytes.ofHex("01")));
        Attestation a = t.attest(AttestRequest.of(HELLO).issuer(sub).from(now - 10).until(now + 100));
        VerifiedStatement v = verifier().verify(a.serialize());
        assertThat(v.speaker()).isEqualTo(sub);
        assertThat(v.statement().from()).hasValue(now - 10);
        assertThat(v.statement().until()).hasValue(now + 100);
    }

    @Test
    void attest_asAnotherPrincipal_isRefused() throws Exception {
        CoreTao t = tao();
        Prin other = tao().getTaoName();
        assertThrows(TaoException.class, () -> t.attest(AttestRequest.of(HELLO).issuer(other)));
        Prin parentOfCaller = t.getTaoName();
        t.extendTaoName(ext("Policy", 1));
        assertThrows(TaoException.class, () -> t.attest(AttestRequest.of(HELLO).issuer(parentOfCaller)));
    }

    @Test
    void attest_windowStartTooLateForADefaultEnd_isMisuse() throws Exception {
        CoreTao t = tao();
        assertThrows(IllegalArgumentException.class, () -> t.attest(AttestRequest.of(HELLO).from(Long.MAX_VALUE)));
    }

    @Test
    void attest_expiredWindow_doesNotVerify() throws Exception {
        CoreTao t = tao();
        long now = Instant.now().getEpochSecond();
        Attestation a = t.attest(AttestRequest.of(HELLO).from(now - 1000).until(now - 500));
        assertThrows(VerificationException.class, () -> verifier().verify(a.serialize()));
    }

    @Test
    void attest_fromAnotherTaoOnItsBehalf_neverVerifiesAsThisTao() throws Exception {
        CoreTao t = tao();
        CoreTao other = tao();
        byte[] a = other.attest(HELLO).serialize();
        VerifiedStatement v = verifier().verify(a);
        assertThat(v.speaker()).isNotEqualTo(t.getTaoName());
    }

    // ---- rollback protection ----

    private static byte[] version(int v) {
        return ("state v" + v).getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void initCounter_startsAtZero_andIsIdempotent() throws Exception {
        CoreTao t = tao();
        assertThat(t.initCounter("balance")).isZero();
        t.rollbackProtectedSeal("balance", version(1), CoreTao.SEAL_POLICY_SELF);
        assertThat(t.initCounter("balance")).isEqualTo(1);
        assertThat(t.getCounter("balance")).isEqualTo(1);
    }

    @Test
    void getCounter_ofALabelNeverUsed_isRefused() throws Exception {
        CoreTao t = tao();
        TaoException e = assertThrows(TaoException.class, () -> t.getCounter("never"));
        assertThat(e).isNotInstanceOf(StaleStateException.class);
    }

    @Test
    void rollbackProtectedSeal_thenUnseal_givesDataLabelAndCounterBack() throws Exception {
        CoreTao t = tao();
        byte[] blob = t.rollbackProtectedSeal("app.State$balance", SECRET, CoreTao.SEAL_POLICY_SELF);
        assertThat(t.getCounter("app.State$balance")).isEqualTo(1);
        try (Unsealed u = t.rollbackProtectedUnseal(blob)) {
            assertThat(u.data()).isEqualTo(SECRET);
            assertThat(u.policy()).isEqualTo(SealPolicy.SELF);
            assertThat(u.label()).contains("app.State$balance");
            assertThat(u.counter()).hasValue(1);
            assertThat(u.toString()).doesNotContain("attack");
        }
    }

    @Test
    void rollbackProtectedUnseal_sealV1SealV2OpenV1_isStale() throws Exception {
        CoreTao t = tao();
        byte[] v1 = t.rollbackProtectedSeal("balance", version(1), CoreTao.SEAL_POLICY_SELF);
        byte[] v2 = t.rollbackProtectedSeal("balance", version(2), CoreTao.SEAL_POLICY_SELF);
        StaleStateException e = assertThrows(StaleStateException.class, () -> t.rollbackProtectedUnseal(v1));
        assertThat(e).hasMessage("stale state: counter 1, expected 2");
        assertThat(e.counter()).isEqualTo(1);
        assertThat(e.expected()).isEqualTo(2);
        try (Unsealed u = t.rollbackProtectedUnseal(v2)) {
            assertThat(u.data()).isEqualTo(version(2));
        }
        assertThrows(StaleStateException.class, () -> t.rollbackProtectedUnseal(v1));
    }

    @Test
    void rollbackProtectedUnseal_committedOlderState_isStaleOnceANewerOneWasOpened() throws Exception {
        CoreTao t = tao();
        byte[] v1 = t.rollbackProtectedSeal("balance", version(1), CoreTao.SEAL_POLICY_SELF);
        t.rollbackProtectedUnseal(v1).close(); // the writer's commit
        byte[] v2 = t.rollbackProtectedSeal("balance", version(2), CoreTao.SEAL_POLICY_SELF);
        // A writer that crashed before writing v2 still finds v1: the old state, not a lock-out.
        try (Unsealed u = t.rollbackProtectedUnseal(v1)) {
            assertThat(u.data()).isEqualTo(version(1));
        }
        t.rollbackProtectedUnseal(v2).close(); // v2 was written and committed
        assertThrows(StaleStateException.class, () -> t.rollbackProtectedUnseal(v1));
        try (Unsealed u = t.rollbackProtectedUnseal(v2)) {
            assertThat(u.data()).isEqualTo(version(2));
        }
    }

    @Test
    void rollbackProtectedUnseal_afterRestart_keepsTheCounters() throws Exception {
        CoreTao t = tao();
        byte[] v1 = t.rollbackProtectedSeal("balance", version(1), CoreTao.SEAL_POLICY_SELF);
        t.rollbackProtectedUnseal(v1).close();
        byte[] v2 = t.rollbackProtectedSeal("balance", version(2), CoreTao.SEAL_POLICY_SELF);
        t.rollbackProtectedUnseal(v2).close();
        CoreTao again = restarted(t);
        assertThat(again.getCounter("balance")).isEqualTo(2);
        assertThrows(StaleStateException.class, () -> again.rollbackProtectedUnseal(v1));
        try (Unsealed u = again.rollbackProtectedUnseal(v2)) {
            assertThat(u.data()).isEqualTo(version(2));
        }
    }

    @Test
    void counters_areSeparatePerLabel() throws Exception {
        CoreTao t = tao();
        byte[] a = t.rollbackProtectedSeal("a", version(1), CoreTao.SEAL_POLICY_SELF);
        t.rollbackProtectedSeal("b", version(1), CoreTao.SEAL_POLICY_SELF);
        t.rollbackProtectedSeal("b", version(2), CoreTao.SEAL_POLICY_SELF);
        assertThat(t.getCounter("a")).isEqualTo(1);
        assertThat(t.getCounter("b")).isEqualTo(2);
        try (Unsealed u = t.rollbackProtectedUnseal(a)) {
            assertThat(u.label()).contains("a");
        }
    }

    @Test
    void counters_belongToTheFullName_anExtendedNameHasItsOwn() throws Exception {
        CoreTao t = tao();
        byte[] blob = t.rollbackProtectedSeal("balance", version(1), CoreTao.SEAL_POLICY_SELF);
        t.extendTaoName(ext("Policy", 1));
        assertThrows(TaoException.class, () -> t.getCounter("balance"));
        assertThrows(UnsealException.class, () -> t.rollbackProtectedUnseal(blob));
        assertThat(t.initCounter("balance")).isZero();
    }

    @Test
    void counters_ofAnotherTao_areNotShared() throws Exception {
        CoreTao t = tao();
        CoreTao other = tao();
        byte[] blob = t.rollbackProtectedSeal("balance", version(1), CoreTao.SEAL_POLICY_SELF);
        assertThrows(TaoException.class, () -> other.getCounter("balance"));
        assertThrows(UnsealException.class, () -> other.rollbackProtectedUnseal(blob));
        assertThat(t.getCounter("balance")).isEqualTo(1);
    }

    @Test
    void rollbackProtectedSeal_twoThreadsUnderOneLabel_neverLoseAnUpdate() throws Exception {
        CoreTao t = tao();
        int perThread = 20;
        List<byte[]> blobs = java.util.Collections.synchronizedList(new ArrayList<>());
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            List<java.util.concurrent.Future<?>> done = new ArrayList<>();
            for (int thread = 0; thread < 2; thread++) {
                done.add(pool.submit(() -> {
                    for (int i = 0; i < perThread; i++) {
                        blobs.add(t.rollbackProtectedSeal("shared", version(i), CoreTao.SEAL_POLICY_SELF));
                    }
                    return null;
                }));
            }
            for (java.util.concurrent.Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
        assertThat(t.getCounter("shared")).isEqualTo(2 * perThread);
        java.util.Set<Long> counters = new java.util.TreeSet<>();
        for (byte[] b : blobs) {
            try (Unsealed u = t.rollbackProtectedUnseal(b)) {
                counters.add(u.counter().orElseThrow());
            } catch (StaleStateException e) {
                counters.add(e.counter());
            }
        }
        // Every seal got its own value: none overwrote another's increment.
        assertThat(counters).hasSize(2 * perThread).first().isEqualTo(1L);
        assertThat(counters).last().isEqualTo((long) 2 * perThread);
    }

    @Test
    void counterLabels_outsideTheCharsetOrTooLong_areMisuse() throws Exception {
        CoreTao t = tao();
        for (String bad : List.of("", "a b", "a*b", "line\nbreak", "é", "x".repeat(CoreTao.MAX_LABEL_CHARS + 1))) {
            assertThrows(IllegalArgumentException.class, () -> t.initCounter(bad), bad);
            assertThrows(IllegalArgumentException.class, () -> t.getCounter(bad), bad);
            assertThrows(IllegalArgumentException.class,
                    () -> t.rollbackProtectedSeal(bad, SECRET, CoreTao.SEAL_POLICY_SELF), bad);
        }
        assertThat(t.initCounter("x".repeat(CoreTao.MAX_LABEL_CHARS))).isZero();
    }

    @Test
    void rollbackProtectedSeal_policyOtherThanSelf_isMisuse() throws Exception {
        CoreTao t = tao();
        assertThrows(IllegalArgumentException.class,
                () -> t.rollbackProtectedSeal("balance", SECRET, CoreTao.SEAL_POLICY_ANY));
        assertThrows(IllegalArgumentException.class, () -> t.rollbackProtectedSeal("balance", SECRET, "nobody"));
    }

    @Test
    void rollbackBlobsAndOrdinaryBlobs_doNotOpenAsEachOther() throws Exception {
        CoreTao t = tao();
        byte[] rollback = t.rollbackProtectedSeal("balance", SECRET, CoreTao.SEAL_POLICY_SELF);
        byte[] plain = t.seal(SECRET, CoreTao.SEAL_POLICY_SELF);
        assertThrows(UnsealException.class, () -> t.unseal(rollback));
        assertThrows(UnsealException.class, () -> t.rollbackProtectedUnseal(plain));
    }

    @Test
    void rollbackProtectedUnseal_everyBitFlip_failsAsUnseal() throws Exception {
        CoreTao t = tao();
        byte[] blob = t.rollbackProtectedSeal("balance", SECRET, CoreTao.SEAL_POLICY_SELF);
        for (int i = 0; i < blob.length * 8; i++) {
            byte[] bad = blob.clone();
            bad[i / 8] ^= (byte) (1 << (i % 8));
            assertThrows(UnsealException.class, () -> t.rollbackProtectedUnseal(bad), "bit " + i);
        }
        try (Unsealed u = t.rollbackProtectedUnseal(blob)) {
            assertThat(u.data()).isEqualTo(SECRET);
        }
    }
}
