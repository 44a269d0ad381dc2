package dev.cloudproxy.tao.seal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cloudproxy.tao.StaleStateException;
import dev.cloudproxy.tao.CoreTao;
import dev.cloudproxy.tao.SealPolicy;
import dev.cloudproxy.tao.UnsealException;
import dev.cloudproxy.tao.Unsealed;
import dev.cloudproxy.tao.auth.Bytes;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.PrinExt;
import dev.cloudproxy.tao.auth.SubPrin;
import dev.cloudproxy.tao.keys.Crypter;
import dev.cloudproxy.tao.soft.SoftTao;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * The {@code app:<app-id>} policy of {@link SealFormat}: bound to the Tao and the app id, opened
 * only through the app entry points (a Tao without a guard never opens one), and authenticated
 * bit for bit. Who may open it is the host's guard's decision (tao-host's {@code AppSealTest}).
 */
class AppSealFormatTest {
    private static final Prin TAO = SoftTao.ephemeral().getTaoName();
    private static final Prin OTHER_TAO = SoftTao.ephemeral().getTaoName();
    private static final Prin PROGRAM = TAO.extend(SubPrin.of(PrinExt.of("Program", new Bytes(new byte[] {1}))));
    private static final byte[] DATA = "counter=7".getBytes(StandardCharsets.UTF_8);

    private final Crypter crypter = Crypter.generate();

    @Test
    void appBlob_opensOnTheSameTao_andNamesItsPolicy() throws Exception {
        byte[] blob = SealFormat.sealApp(crypter, DATA, "counter-app", TAO);

        assertThat(SealFormat.appIdOf(blob)).contains("counter-app");
        try (Unsealed u = SealFormat.unsealApp(crypter, blob, TAO)) {
            assertThat(u.data()).isEqualTo(DATA);
            assertThat(u.policy()).isEqualTo(SealPolicy.app("counter-app"));
        }
    }

    @Test
    void appBlob_onAnotherTao_orThroughTheSelfAndAnyEntryPoints_failsAsUnseal() {
        byte[] blob = SealFormat.sealApp(crypter, DATA, "counter-app", TAO);

        assertThrows(UnsealException.class, () -> SealFormat.unsealApp(crypter, blob, OTHER_TAO));
        assertThrows(UnsealException.class, () -> SealFormat.unseal(crypter, blob, PROGRAM, TAO));
        assertThrows(UnsealException.class, () -> SealFormat.unsealRollback(crypter, blob, PROGRAM, TAO));
        byte[] self = SealFormat.seal(crypter, DATA, CoreTao.SEAL_POLICY_SELF, PROGRAM, TAO);
        assertThrows(UnsealException.class, () -> SealFormat.unsealApp(crypter, self, TAO));
    }

    @Test
    void appBlob_everyBitFlip_failsAsUnseal() throws Exception {
        byte[] blob = SealFormat.sealAppRollback(crypter, DATA, "counter-app", TAO, "state", 3);
        for (int i = 0; i < blob.length * 8; i++) {
            byte[] t = blob.clone();
            t[i / 8] ^= (byte) (1 << (i % 8));
            assertThrows(UnsealException.class, () -> SealFormat.unsealAppRollback(crypter, t, TAO), "bit " + i);
        }
        try (Unsealed u = SealFormat.unsealAppRollback(crypter, blob, TAO)) {
            assertThat(u.label()).contains("state");
            assertThat(u.counter()).hasValue(3);
        }
    }

    @Test
    void appIdChangedInTheHeader_failsAsUnseal() {
        byte[] blob = SealFormat.sealApp(crypter, DATA, "app-a", TAO);
        byte[] other = blob.clone();
        other[10] = 'b'; // "TAOS" 1 3 len len 2 5 'a' 'p' 'p' '-' 'a'
        assertThrows(UnsealException.class, () -> SealFormat.unsealApp(crypter, other, TAO));
    }

    @Test
    void appPolicies_withBadIds_areMisuse_andATaoWithoutAGuardRefusesThem() {
        assertThat(SealFormat.appId("self")).isEmpty();
        assertThat(SealFormat.appId("app:h2+Server")).contains("h2+Server");
        assertThrows(IllegalArgumentException.class, () -> SealFormat.appId("app:"));
        assertThrows(IllegalArgumentException.class, () -> SealFormat.appId("app:a b"));
        assertThrows(IllegalArgumentException.class, () -> SealFormat.appId("app:" + "x".repeat(129)));
        SoftTao soft = SoftTao.ephemeral();
        assertThrows(IllegalArgumentException.class, () -> soft.seal(DATA, "app:counter-app"));
        assertThrows(IllegalArgumentException.class, () -> soft.rollbackProtectedSeal("state", DATA, "app:counter-app"));
    }

    @Test
    void appCounters_belongToTheApp_notToAName() throws Exception {
        RollbackCounters counters = RollbackCounters.inMemory();
        byte[] v1 = counters.sealApp(crypter, TAO, "counter-app", "state", DATA);
        byte[] v2 = counters.sealApp(crypter, TAO, "counter-app", "state", DATA);

        counters.unsealApp(crypter, v2, TAO).close();
        StaleStateException stale = assertThrows(StaleStateException.class, () -> counters.unsealApp(crypter, v1, TAO));
        assertThat(stale.getMessage()).isEqualTo("stale state: counter 1, expected 2");
        // The app's counter is not the counter of any program name, nor of another app.
        assertThat(counters.get(SealFormat.appOwner(TAO, "counter-app"), "state")).isEqualTo(2);
        assertThrows(dev.cloudproxy.tao.TaoException.class, () -> counters.get(PROGRAM, "state"));
        assertThrows(dev.cloudproxy.tao.TaoException.class,
                () -> counters.get(SealFormat.appOwner(TAO, "other-app"), "state"));
    }
}
