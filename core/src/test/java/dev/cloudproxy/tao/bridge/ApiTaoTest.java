package dev.cloudproxy.tao.bridge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloudproxy.tao.GroupKeyRefusedException;
import dev.cloudproxy.tao.SealPolicy;
import dev.cloudproxy.tao.SignedStatement;
import dev.cloudproxy.tao.StaleStateException;
import dev.cloudproxy.tao.Tao;
import dev.cloudproxy.tao.TaoName;
import dev.cloudproxy.tao.UnsealException;
import dev.cloudproxy.tao.Unsealed;
import dev.cloudproxy.tao.attestation.Attestation;
import dev.cloudproxy.tao.auth.AuthBinary;
import dev.cloudproxy.tao.soft.SoftTao;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.PrinExt;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The API view of a real (soft) Tao gives the same name, secrets and blobs as the Tao itself. */
class ApiTaoTest {
    private final SoftTao soft = SoftTao.ephemeral();
    private final Tao tao = ApiTao.of(soft);

    @Test
    void getTaoName_ofSoftTao_givesItsTextAndCanonicalEncoding() throws Exception {
        TaoName name = tao.getTaoName();

        assertThat(name.text()).isEqualTo(soft.getTaoName().toString()).startsWith("key([");
        assertThat(name.encoded()).isEqualTo(AuthBinary.encode(soft.getTaoName()));
        assertThat(name).isEqualTo(ApiTao.name(soft.getTaoName())).hasToString(name.text());
    }

    @Test
    void extendTaoName_withExtensionText_lengthensTheName() throws Exception {
        String before = tao.getTaoName().text();

        tao.extendTaoName("Role(\"reader\").Epoch(2)");

        assertThat(tao.getTaoName().text()).isEqualTo(before + ".Role(\"reader\").Epoch(2)");
    }

    @Test
    void extendTaoName_notExtensions_isRefusedAsMisuse() throws Exception {
        String before = tao.getTaoName().text();

        assertThatThrownBy(() -> tao.extendTaoName("")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> tao.extendTaoName("Role(1) or true")).isInstanceOf(IllegalArgumentException.class);
        assertThat(tao.getTaoName().text()).isEqualTo(before);
    }

    @Test
    void getGroupKey_byApiNames_isTheTaosKey_andRefusalsAndBadNamesAreTyped() throws Exception {
        Prin peer = soft.getTaoName().extend(PrinExt.of("Peer"));

        assertThat(tao.getGroupKey(List.of(ApiTao.name(peer), tao.getTaoName()), 32))
                .isEqualTo(soft.getGroupKey(List.of(soft.getTaoName(), peer), 32));
        assertThatThrownBy(() -> tao.getGroupKey(List.of(ApiTao.name(peer)), 32))
                .isInstanceOf(GroupKeyRefusedException.class);
        assertThatThrownBy(() -> tao.getGroupKey(List.of(TaoName.of("nonsense", new byte[] {42})), 32))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void seal_withEachPolicy_unsealsWithThatPolicy() throws Exception {
        for (SealPolicy policy : SealPolicy.values()) {
            byte[] blob = tao.seal("hello".getBytes(StandardCharsets.UTF_8), policy);
            try (Unsealed u = tao.unseal(blob)) {
                assertThat(u.policy()).isEqualTo(policy);
                assertThat(u.data()).asString(StandardCharsets.UTF_8).isEqualTo("hello");
            }
        }
    }

    @Test
    void unseal_oneBitFlipped_throwsUnsealException() throws Exception {
        byte[] blob = tao.seal(new byte[] {1, 2, 3}, SealPolicy.SELF);
        blob[blob.length - 1] ^= 1;

        assertThatThrownBy(() -> tao.unseal(blob)).isInstanceOf(UnsealException.class);
    }

    @Test
    void getSharedSecret_samePolicyTwice_isTheSame_andDiffersBetweenPolicies() throws Exception {
        assertThat(tao.getSharedSecret(32, SealPolicy.SELF)).isEqualTo(tao.getSharedSecret(32, SealPolicy.SELF))
                .isNotEqualTo(tao.getSharedSecret(32, SealPolicy.ANY));
    }

    @Test
    void attest_statementText_givesAnAttestationOfThatStatementByTheCaller() throws Exception {
        SignedStatement signed = tao.attest("Ready(\"db\", 3)");

        Attestation a = Attestation.parse(signed.attestation());
        assertThat(a.statement().toString()).isEqualTo(signed.statement());
        assertThat(signed.statement()).startsWith(tao.getTaoName().text() + " from ").endsWith("says Ready(\"db\", 3)");
    }

    @Test
    void attest_notAFormula_isRefusedAsMisuse() {
        assertThatThrownBy(() -> tao.attest("Ready(")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void rollbackProtectedUnseal_olderBlobAfterNewerOpened_throwsStaleState() throws Exception {
        assertThat(tao.initCounter("app.state")).isZero();
        byte[] first = tao.rollbackProtectedSeal("app.state", new byte[] {1}, SealPolicy.SELF);
        tao.rollbackProtectedUnseal(first).close();
        byte[] second = tao.rollbackProtectedSeal("app.state", new byte[] {2}, SealPolicy.SELF);
        try (Unsealed u = tao.rollbackProtectedUnseal(second)) {
            assertThat(u.label()).contains("app.state");
            assertThat(u.counter()).hasValue(2);
        }

        assertThat(tao.getCounter("app.state")).isEqualTo(2);
        assertThatThrownBy(() -> tao.rollbackProtectedUnseal(first)).isInstanceOf(StaleStateException.class);
    }
}
