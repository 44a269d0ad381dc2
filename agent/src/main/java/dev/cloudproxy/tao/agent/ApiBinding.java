package dev.cloudproxy.tao.agent;

import dev.cloudproxy.tao.GroupKeyRefusedException;
import dev.cloudproxy.tao.SealPolicy;
import dev.cloudproxy.tao.SignedStatement;
import dev.cloudproxy.tao.StaleStateException;
import dev.cloudproxy.tao.Tao;
import dev.cloudproxy.tao.TaoException;
import dev.cloudproxy.tao.TaoName;
import dev.cloudproxy.tao.UnsealException;
import dev.cloudproxy.tao.Unsealed;
import dev.cloudproxy.tao.spi.TaoBinding;
import dev.cloudproxy.tao.spi.TaoProvider;
import java.io.IOException;
import java.net.InetAddress;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The application's Tao API bound to the agent: {@code Tao.parent()} is the agent's own connection
 * to the host (through {@link TaoBridge} to tier 3), {@code TaoSealedState.flush()} reaches
 * {@link SealedHooks}, {@code TaoConnections.peer} the relay.
 *
 * <p>Tier 1, linked against whichever {@code dev.cloudproxy.tao} classes the system class loader
 * finds: the application's own {@code tao-api} if it bundles one, else the copy premain appended
 * behind the application's class path. So this class is loaded only after that append; premain
 * binds it before any application class runs, and the binding cannot be replaced afterwards
 * ({@link TaoBinding#bind}).
 */
final class ApiBinding implements TaoProvider {
    private final TaoBridge bridge;
    private final Tao tao;

    ApiBinding(TaoBridge bridge) {
        this.bridge = Objects.requireNonNull(bridge, "bridge");
        this.tao = new BridgedTao(bridge);
    }

    /** Binds the application's Tao API to {@code bridge}. */
    static void bind(TaoBridge bridge) {
        TaoBinding.bind(new ApiBinding(bridge));
    }

    @Override
    public Tao parent() {
        return tao;
    }

    @Override
    public void flushSealedState() throws IOException {
        SealedHooks.flush();
    }

    @Override
    public Optional<TaoName> peer(int localPort, InetAddress remote, int remotePort) throws IOException {
        return Optional.ofNullable(bridge.peer(localPort, remote, remotePort)).map(ApiBinding::name);
    }

    private static TaoName name(TaoBridge.Name n) {
        return TaoName.of(n.text(), n.encoded());
    }

    /** One call across the bridge. */
    private interface Crossing<T> {
        T call() throws IOException, TaoBridge.Refusal;
    }

    /** Makes the call, turning a refusal from tier 3 into the API's exception for its kind. */
    private static <T> T crossing(Crossing<T> c) throws IOException, TaoException {
        try {
            return c.call();
        } catch (TaoBridge.Refusal r) {
            throw rethrown(r);
        }
    }

    private static TaoException rethrown(TaoBridge.Refusal r) {
        return switch (r.kind()) {
            case UNSEAL -> new UnsealException();
            case STALE -> new StaleStateException(r.counter(), r.expected());
            case GROUP_REFUSED -> new GroupKeyRefusedException(r.getMessage());
            case REFUSED -> new TaoException(r.getMessage());
        };
    }

    private static Unsealed unsealed(TaoBridge.Opened o) {
        SealPolicy policy = SealPolicy.fromText(o.policy());
        return o.label() == null
                ? new Unsealed(o.takeData(), policy)
                : new Unsealed(o.takeData(), policy, o.label(), o.counter());
    }

    /** {@link Tao} over the bridge: the same call, with the API's types on this side. */
    private record BridgedTao(TaoBridge bridge) implements Tao {
        @Override
        public TaoName getTaoName() throws IOException, TaoException {
            return crossing(() -> name(bridge.name()));
        }

        @Override
        public void extendTaoName(String extensions) throws IOException, TaoException {
            crossing(() -> {
                bridge.extendName(extensions);
                return null;
            });
        }

        @Override
        public byte[] getRandomBytes(int n) throws IOException, TaoException {
            return crossing(() -> bridge.randomBytes(n));
        }

        @Override
        public byte[] getSharedSecret(int n, SealPolicy policy) throws IOException, TaoException {
            return crossing(() -> bridge.sharedSecret(n, policy.text()));
        }

        @Override
        public byte[] getGroupKey(List<TaoName> members, int n) throws IOException, TaoException {
            List<TaoBridge.Name> names = List.copyOf(members).stream()
                    .map(m -> new TaoBridge.Name(m.text(), m.encoded())).toList();
            return crossing(() -> bridge.groupKey(names, n));
        }

        @Override
        public SignedStatement attest(String statement) throws IOException, TaoException {
            TaoBridge.Signed s = crossing(() -> bridge.attest(statement));
            return new SignedStatement(s.attestation(), s.statement());
        }

        @Override
        public byte[] seal(byte[] data, SealPolicy policy) throws IOException, TaoException {
            return crossing(() -> bridge.seal(data, policy.text()));
        }

        @Override
        public Unsealed unseal(byte[] sealed) throws IOException, TaoException {
            return crossing(() -> unsealed(bridge.unseal(sealed)));
        }

        @Override
        public long initCounter(String label) throws IOException, TaoException {
            return crossing(() -> bridge.initCounter(label));
        }

        @Override
        public long getCounter(String label) throws IOException, TaoException {
            return crossing(() -> bridge.counter(label));
        }

        @Override
        public byte[] rollbackProtectedSeal(String label, byte[] data, SealPolicy policy) throws IOException, TaoException {
            return crossing(() -> bridge.rollbackProtectedSeal(label, data, policy.text()));
        }

        @Override
        public Unsealed rollbackProtectedUnseal(byte[] sealed) throws IOException, TaoException {
            return crossing(() -> unsealed(bridge.rollbackProtectedUnseal(sealed)));
        }

        @Override
        public String toString() {
            return "Tao[the Tao agent's parent]";
        }
    }
}
