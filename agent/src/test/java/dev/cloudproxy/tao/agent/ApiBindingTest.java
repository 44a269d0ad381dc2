package dev.cloudproxy.tao.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloudproxy.tao.GroupKeyRefusedException;
import dev.cloudproxy.tao.SealPolicy;
import dev.cloudproxy.tao.StaleStateException;
import dev.cloudproxy.tao.Tao;
import dev.cloudproxy.tao.TaoException;
import dev.cloudproxy.tao.TaoName;
import dev.cloudproxy.tao.UnsealException;
import dev.cloudproxy.tao.Unsealed;
import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Tier 1's side: the API's types and exceptions from what crosses the bridge. The bridge here is
 * an in-process fake that answers every call with the value or refusal set for the test.
 */
class ApiBindingTest {
    @Test
    void parent_overTheBridge_givesNamesPlaintextsAndPeersAsApiTypes() throws Exception {
        TaoBridge.Name name = new TaoBridge.Name("key([01])", new byte[] {1});
        ApiBinding binding = new ApiBinding(new FixedBridge(name, null));
        Tao tao = binding.parent();

        assertThat(tao.getTaoName()).isEqualTo(TaoName.of("key([01])", new byte[] {1}));
        try (Unsealed u = tao.unseal(new byte[0])) {
            assertThat(u.policy()).isEqualTo(SealPolicy.SELF);
            assertThat(u.data()).containsExactly(7);
        }
        try (Unsealed u = tao.rollbackProtectedUnseal(new byte[0])) {
            assertThat(u.label()).contains("state");
            assertThat(u.counter()).hasValue(3);
        }
        assertThat(binding.peer(1, InetAddress.getLoopbackAddress(), 2)).contains(TaoName.of("key([01])", new byte[] {1}));
    }

    @Test
    void refusals_comeOutAsTheApiExceptionOfTheirKind() {
        Tao unseal = new ApiBinding(new FixedBridge(null, new TaoBridge.Refusal(TaoBridge.Refusal.Kind.UNSEAL, "unseal failed", 0, 0))).parent();
        Tao stale = new ApiBinding(new FixedBridge(null, new TaoBridge.Refusal(TaoBridge.Refusal.Kind.STALE, "", 1, 2))).parent();
        Tao refused = new ApiBinding(new FixedBridge(null, new TaoBridge.Refusal(TaoBridge.Refusal.Kind.REFUSED, "no counter", 0, 0))).parent();

        assertThatThrownBy(() -> unseal.unseal(new byte[0])).isInstanceOf(UnsealException.class).hasMessage("unseal failed");
        assertThatThrownBy(() -> stale.rollbackProtectedUnseal(new byte[0])).isInstanceOfSatisfying(StaleStateException.class, e -> {
            assertThat(e.counter()).isEqualTo(1);
            assertThat(e.expected()).isEqualTo(2);
        });
        assertThatThrownBy(() -> refused.getCounter("x")).isExactlyInstanceOf(TaoException.class).hasMessage("no counter");
        Tao group = new ApiBinding(new FixedBridge(null, new TaoBridge.Refusal(TaoBridge.Refusal.Kind.GROUP_REFUSED, "not a member", 0, 0))).parent();
        assertThatThrownBy(() -> group.getGroupKey(List.of(TaoName.of("key([01])", new byte[] {1})), 32))
                .isExactlyInstanceOf(GroupKeyRefusedException.class).hasMessage("not a member");
    }

    /** Answers with {@code who} and fixed plaintexts, or throws {@code refusal} from every Tao call. */
    private record FixedBridge(TaoBridge.Name who, TaoBridge.Refusal refusal) implements TaoBridge {
        private <T> T answer(T value) throws Refusal {
            if (refusal != null) {
                throw refusal;
            }
            return value;
        }

        @Override
        public Name name() throws Refusal {
            return answer(who);
        }

        @Override
        public void extendName(String extensions) throws Refusal {
            answer(null);
        }

        @Override
        public byte[] randomBytes(int n) throws Refusal {
            return answer(new byte[n]);
        }

        @Override
        public byte[] sharedSecret(int n, String policy) throws Refusal {
            return answer(new byte[n]);
        }

        @Override
        public byte[] groupKey(List<Name> members, int n) throws Refusal {
            return answer(new byte[n]);
        }

        @Override
        public Signed attest(String statement) throws Refusal {
            return answer(new Signed(new byte[] {1}, statement));
        }

        @Override
        public byte[] seal(byte[] data, String policy) throws Refusal {
            return answer(data.clone());
        }

        @Override
        public Opened unseal(byte[] sealed) throws Refusal {
            return answer(new Opened(new byte[] {7}, "self", null, 0));
        }

        @Override
        public long initCounter(String label) throws Refusal {
            return answer(0L);
        }

        @Override
        public long counter(String label) throws Refusal {
            return answer(0L);
        }

        @Override
        public byte[] rollbackProtectedSeal(String label, byte[] data, String policy) throws Refusal {
            return answer(data.clone());
        }

        @Override
        public Opened rollbackProtectedUnseal(byte[] sealed) throws Refusal {
            return answer(new Opened(new byte[] {7}, "self", "state", 3));
        }

        @Override
        public Name peer(int localPort, InetAddress remote, int remotePort) {
            return who;
        }
    }
}
