package dev.cloudproxy.tao.agent.tooling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloudproxy.tao.agent.TaoBridge;
import dev.cloudproxy.tao.agent.TaoBridge.Refusal;
import dev.cloudproxy.tao.auth.AuthBinary;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.PrinExt;
import dev.cloudproxy.tao.soft.SoftTao;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Tier 3's side of the bridge over a real (soft) Tao: values cross as JDK types, refusals by kind. */
class ParentBridgeTest {
    private final SoftTao soft = SoftTao.ephemeral();
    private final TaoBridge bridge = new ParentBridge(soft, TaoChannels.unavailable());

    @Test
    void name_isTheTaosNameAsTextAndEncoding() throws Exception {
        TaoBridge.Name n = bridge.name();

        assertThat(n.text()).isEqualTo(soft.getTaoName().toString());
        assertThat(n.encoded()).isEqualTo(AuthBinary.encode(soft.getTaoName()));
    }

    @Test
    void seal_thenUnseal_givesTheDataAndPolicyAcross() throws Exception {
        TaoBridge.Opened o = bridge.unseal(bridge.seal("x".getBytes(StandardCharsets.UTF_8), "any"));

        assertThat(o.takeData()).containsExactly('x');
        assertThat(o.policy()).isEqualTo("any");
        assertThat(o.label()).isNull();
        assertThat(o).hasToString("Opened[policy=any, 1 bytes, redacted]");
    }

    @Test
    void unseal_alteredBlob_isAnUnsealRefusal() throws Exception {
        byte[] blob = bridge.seal(new byte[] {1}, "self");
        blob[blob.length - 1] ^= 1;

        assertThatThrownBy(() -> bridge.unseal(blob)).isInstanceOfSatisfying(Refusal.class,
                r -> assertThat(r.kind()).isEqualTo(Refusal.Kind.UNSEAL));
    }

    @Test
    void rollbackProtectedUnseal_olderBlob_isAStaleRefusalWithItsCounters() throws Exception {
        byte[] first = bridge.rollbackProtectedSeal("state", new byte[] {1}, "self");
        bridge.rollbackProtectedUnseal(first);
        byte[] second = bridge.rollbackProtectedSeal("state", new byte[] {2}, "self");
        TaoBridge.Opened o = bridge.rollbackProtectedUnseal(second);
        assertThat(o.label()).isEqualTo("state");
        assertThat(o.counter()).isEqualTo(2);

        assertThatThrownBy(() -> bridge.rollbackProtectedUnseal(first)).isInstanceOfSatisfying(Refusal.class, r -> {
            assertThat(r.kind()).isEqualTo(Refusal.Kind.STALE);
            assertThat(r.counter()).isEqualTo(1);
            assertThat(r.expected()).isEqualTo(2);
        });
    }

    @Test
    void counter_unknownLabel_isARefusalWithTheTaosMessage() {
        assertThatThrownBy(() -> bridge.counter("never")).isInstanceOfSatisfying(Refusal.class,
                r -> assertThat(r.kind()).isEqualTo(Refusal.Kind.REFUSED));
    }

    @Test
    void groupKey_isTheTaosKey_andANonMembersRequestIsAGroupRefusal() throws Exception {
        TaoBridge.Name me = bridge.name();
        byte[] peer = AuthBinary.encode(soft.getTaoName().extend(PrinExt.of("Peer")));
        TaoBridge.Name other = new TaoBridge.Name("peer", peer);

        assertThat(bridge.groupKey(List.of(me, other), 32))
                .isEqualTo(soft.getGroupKey(List.of(soft.getTaoName(), Prin.decode(peer)), 32));
        assertThatThrownBy(() -> bridge.groupKey(List.of(other), 32)).isInstanceOfSatisfying(Refusal.class,
                r -> assertThat(r.kind()).isEqualTo(Refusal.Kind.GROUP_REFUSED));
    }

    @Test
    void peer_withoutTaoChannels_isNull() throws Exception {
        assertThat(bridge.peer(40000, InetAddress.getLoopbackAddress(), 443)).isNull();
    }
}
