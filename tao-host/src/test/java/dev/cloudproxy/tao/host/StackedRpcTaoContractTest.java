package dev.cloudproxy.tao.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cloudproxy.tao.attestation.Attestation;
import dev.cloudproxy.tao.attestation.AttestationVerifier;
import dev.cloudproxy.tao.attestation.VerifiedStatement;
import dev.cloudproxy.tao.auth.Pred;
import dev.cloudproxy.tao.auth.Speaksfor;
import dev.cloudproxy.tao.keys.Keys;
import dev.cloudproxy.tao.rpc.RpcTao;
import dev.cloudproxy.tao.soft.SoftTao;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The contract over RPC for a stacked host: the host's key speaks for the host's name under its
 * parent (a soft Tao), and every attestation carries that delegation.
 */
class StackedRpcTaoContractTest extends RpcTaoContractTest {
    private final List<SoftTao> parents = new ArrayList<>();

    @Override
    protected Host host(Keys hostKeys) throws Exception {
        SoftTao parent = SoftTao.ephemeral();
        parents.add(parent);
        parent.extendTaoName(freshProgram());
        Attestation delegation = parent.attest(new Speaksfor(hostKeys.principal(), parent.getTaoName()));
        return Host.stacked(hostKeys, delegation);
    }

    @AfterEach
    void closeParents() {
        parents.forEach(SoftTao::close);
    }

    @Test
    void childAttestation_verifiesThroughTheHostsDelegation_toTheParentsKey() throws Exception {
        RpcTao child = (RpcTao) newTao();
        try {
            SoftTao parent = parents.get(parents.size() - 1);
            Attestation a = child.attest(Pred.of("Ready"));
            assertThat(a.delegation()).isPresent();
            VerifiedStatement v = AttestationVerifier.create().verify(a.serialize());
            assertThat(v.speaker()).isEqualTo(child.getTaoName());
            assertThat(v.speaker().isExtensionOf(parent.getTaoName())).isTrue();
            assertThat(v.speaker().lastExtension().orElseThrow().name()).isEqualTo("Program");
            // The host's key signed; only the parent's delegation lets it speak for the child.
            assertThat(v.speaker().isExtensionOf(v.signer())).isFalse();
            assertThat(a.delegation().orElseThrow().signerKey().principal()).isEqualTo(parent.rootName());
        } finally {
            release(child);
        }
    }

    @Test
    void stacked_withADelegationToAnotherKey_isRefused() throws Exception {
        try (SoftTao parent = SoftTao.ephemeral(); Keys mine = Keys.generate(); Keys other = Keys.generate()) {
            Attestation d = parent.attest(new Speaksfor(other.principal(), parent.getTaoName()));
            assertThrows(IllegalArgumentException.class, () -> Host.stacked(mine, d));
        }
    }
}
