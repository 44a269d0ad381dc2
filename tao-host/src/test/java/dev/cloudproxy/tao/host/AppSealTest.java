package dev.cloudproxy.tao.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cloudproxy.tao.StaleStateException;
import dev.cloudproxy.tao.CoreTao;
import dev.cloudproxy.tao.SealPolicy;
import dev.cloudproxy.tao.TaoException;
import dev.cloudproxy.tao.UnsealException;
import dev.cloudproxy.tao.Unsealed;
import dev.cloudproxy.tao.auth.Bytes;
import dev.cloudproxy.tao.auth.PrinExt;
import dev.cloudproxy.tao.auth.SubPrin;
import dev.cloudproxy.tao.guard.DatalogGuard;
import dev.cloudproxy.tao.guard.LiberalGuard;
import dev.cloudproxy.tao.keys.Keys;
import dev.cloudproxy.tao.seal.RollbackProtectedFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * App seals ({@code app:<app-id>}) at a real host, decided by its guard: the data follows the app
 * from one version to the next once the guard admits the new name, a retracted version and an
 * unadmitted one are refused (and cannot overwrite the state), another app cannot reach it, and
 * the app's counter keeps older copies stale across versions.
 */
class AppSealTest {
    private static final String APP = "app:counter";
    private static final String LABEL = "tao.agent.sealed-state";

    private final Keys keys = Keys.generate();
    private final DatalogGuard guard = DatalogGuard.inMemory();
    private final Host host = Host.root(keys).withGuard(guard);
    private int pids = 100;

    @AfterEach
    void close() {
        keys.close();
    }

    private CoreTao program(Host on, int version) {
        SubPrin measured = SubPrin.of(PrinExt.of("Jvm", new Bytes(new byte[] {(byte) version})));
        return on.taoFor(new HostedProgram(pids++, 1, 1000, measured));
    }

    private void admit(CoreTao program, String appId) throws Exception {
        guard.authorize(program.getTaoName(), "AppState", List.of(appId));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String open(CoreTao tao, byte[] blob) throws Exception {
        try (Unsealed u = tao.rollbackProtectedUnseal(blob)) {
            return new String(u.data(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void newVersion_admittedByOneFact_readsTheOldState_retractedAndUnadmittedVersionsAreRefused() throws Exception {
        CoreTao v1 = program(host, 1);
        admit(v1, "counter");
        byte[] state1 = v1.rollbackProtectedSeal(LABEL, bytes("runs=1"), APP);
        assertThat(open(v1, state1)).isEqualTo("runs=1");

        // v2, not admitted yet: refused with the fact that would admit it.
        CoreTao v2 = program(host, 2);
        TaoException refused = assertThrows(TaoException.class, () -> v2.rollbackProtectedUnseal(state1));
        assertThat(refused).isNotInstanceOf(UnsealException.class);
        assertThat(refused.getMessage()).contains("Authorized(" + v2.getTaoName() + ", \"AppState\", \"counter\")");

        // The operator's one command: v2 reads v1's state and carries it on.
        admit(v2, "counter");
        assertThat(open(v2, state1)).isEqualTo("runs=1");
        byte[] state2 = v2.rollbackProtectedSeal(LABEL, bytes("runs=2"), APP);
        assertThat(open(v2, state2)).isEqualTo("runs=2");

        // v1 retracted (a downgrade): refused, to read and to write.
        guard.retract(v1.getTaoName(), "AppState", List.of("counter"));
        assertThrows(TaoException.class, () -> v1.rollbackProtectedUnseal(state2));
        assertThrows(TaoException.class, () -> v1.rollbackProtectedSeal(LABEL, bytes("runs=0"), APP));

        // v3, never admitted: refused, and cannot advance the app's counter over v2's state.
        CoreTao v3 = program(host, 3);
        assertThrows(TaoException.class, () -> v3.rollbackProtectedUnseal(state2));
        assertThrows(TaoException.class, () -> v3.rollbackProtectedSeal(LABEL, bytes("runs=99"), APP));
        assertThrows(TaoException.class, () -> v3.seal(bytes("x"), APP));
        assertThat(open(v2, state2)).isEqualTo("runs=2");

        // v1's older copy put back is stale for v2: the counter belongs to the app.
        StaleStateException stale = assertThrows(StaleStateException.class, () -> v2.rollbackProtectedUnseal(state1));
        assertThat(stale.getMessage()).isEqualTo("stale state: counter 1, expected 2");
    }

    @Test
    void anotherApp_admittedForItsOwnId_cannotOpenOrOverwriteTheFirstAppsState() throws Exception {
        CoreTao a = program(host, 1);
        admit(a, "counter");
        byte[] state = a.rollbackProtectedSeal(LABEL, bytes("secret"), APP);
        byte[] plain = a.seal(bytes("secret"), APP);

        CoreTao b = program(host, 9);
        admit(b, "other");
        assertThrows(TaoException.class, () -> b.rollbackProtectedUnseal(state));
        assertThrows(TaoException.class, () -> b.unseal(plain));
        assertThrows(TaoException.class, () -> b.rollbackProtectedSeal(LABEL, bytes("junk"), APP));
        // Its own app's state is its own.
        byte[] own = b.rollbackProtectedSeal(LABEL, bytes("mine"), "app:other");
        assertThat(open(b, own)).isEqualTo("mine");
        assertThrows(TaoException.class, () -> a.rollbackProtectedUnseal(own));
        assertThat(open(a, state)).isEqualTo("secret");
    }

    @Test
    void liberalHost_admitsEveryNameToTheAppsState_aHostWithoutAGuardRefusesAppPolicies() throws Exception {
        Host liberal = Host.root(keys).withGuard(LiberalGuard.INSTANCE);
        byte[] state = program(liberal, 1).rollbackProtectedSeal(LABEL, bytes("runs=1"), APP);
        assertThat(open(program(liberal, 2), state)).isEqualTo("runs=1");
        try (Unsealed u = program(liberal, 3).unseal(program(liberal, 4).seal(bytes("x"), APP))) {
            assertThat(u.policy().text()).isEqualTo(APP);
        }

        Host none = Host.root(keys);
        TaoException e = assertThrows(TaoException.class, () -> program(none, 1).rollbackProtectedUnseal(state));
        assertThat(e.getMessage()).contains("no guard");
        assertThrows(TaoException.class, () -> program(none, 1).seal(bytes("x"), APP));
    }

    @Test
    void stateOfTheProgramsOwnName_isMovedToTheApp_andItsSelfCopyIsStaleAfterwards(@TempDir Path temp) throws Exception {
        CoreTao v1 = program(host, 1);
        admit(v1, "counter");
        Path file = temp.resolve("state.sealed");
        RollbackProtectedFile.write(v1, file, LABEL, bytes("runs=5"));
        byte[] selfCopy = Files.readAllBytes(file);

        try (Unsealed u = RollbackProtectedFile.read(v1, file, LABEL, 1 << 20, APP)) {
            assertThat(u.policy()).isEqualTo(SealPolicy.SELF);
            assertThat(RollbackProtectedFile.needsRewrite(u, APP)).isTrue();
            RollbackProtectedFile.migrate(v1, file, LABEL, u.data(), APP);
        }

        // The next version, once admitted, reads what v1 had under its own name.
        CoreTao v2 = program(host, 2);
        admit(v2, "counter");
        try (Unsealed u = RollbackProtectedFile.read(v2, file, LABEL, 1 << 20, APP)) {
            assertThat(u.policy().text()).isEqualTo(APP);
            assertThat(RollbackProtectedFile.needsRewrite(u, APP)).isFalse();
            assertThat(new String(u.data(), StandardCharsets.UTF_8)).isEqualTo("runs=5");
        }
        // v1's self copy put back cannot be migrated a second time over newer app state.
        Files.write(file, selfCopy);
        assertThrows(StaleStateException.class, () -> RollbackProtectedFile.read(v1, file, LABEL, 1 << 20, APP));
    }

    @Test
    void selfSeals_stayBoundToTheExactName_underAnyGuard() throws Exception {
        Host liberal = Host.root(keys).withGuard(LiberalGuard.INSTANCE);
        byte[] self = program(liberal, 1).seal(bytes("x"), CoreTao.SEAL_POLICY_SELF);
        assertThrows(UnsealException.class, () -> program(liberal, 2).unseal(self));
    }
}
