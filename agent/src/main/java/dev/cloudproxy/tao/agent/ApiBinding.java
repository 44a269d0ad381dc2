package dev.cloudproxy.tao.agent;

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

    /** The API's exception for a refusal from tier 3. */
    private static TaoException rethrown(TaoBridge.Refusal r) {
        return switch (r.kind()) {
            case UNSEAL -> new UnsealException();
            case STALE -> new StaleStateException(r.counter(), r.expected());
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
            try {
                return name(bridge.name());
            } catch (TaoBridge.Refusal r) {
                throw rethrown(r);
            }
        }

        @Override
        public void extendTaoName(String extensions) throws IOException, TaoException {
            try {
                bridge.extendName(extensions);
            } catch (TaoBridge.Refusal r) {
                throw rethrown(r);
            }
        }

        @Override
        public byte[] getRandomBytes(int n) throws IOException, TaoException {
            try {
                return bridge.randomBytes(n);
            } catch (TaoBridge.Refusal r) {
                throw rethrown(r);
            }
        }

        @Override
        public byte[] getSharedSecret(int n, SealPolicy policy) throws IOException, TaoException {
            try {
                return bridge.sharedSecret(n, policy.text());
            } catch (TaoBridge.Refusal r) {
                throw rethrown(r);
            }
        }

        @Override
        public SignedStatement attest(String statement) throws IOException, TaoException {
            try {
                TaoBridge.Signed s = bridge.attest(statement);
                return new SignedStatement(s.attestation(), s.statement());
            } catch (TaoBridge.Refusal r) {
                throw rethrown(r);
            }
        }

        @Override
        public byte[] seal(byte[] data, SealPolicy policy) throws IOException, TaoException {
            try {
                return bridge.seal(data, policy.text());
            } catch (TaoBridge.Refusal r) {
                throw rethrown(r);
            }
        }

        @Override
        public Unsealed unseal(byte[] sealed) throws IOException, TaoException {
            try {
                return unsealed(bridge.unseal(sealed));
            } catch (TaoBridge.Refusal r) {
                throw rethrown(r);
            }
        }

        @Override
        public long initCounter(String label) throws IOException, TaoException {
            try {
                return bridge.initCounter(label);
            } catch (TaoBridge.Refusal r) {
                throw rethrown(r);
            }
        }

        @Override
        public long getCounter(String label) throws IOException, TaoException {
            try {
                return bridge.counter(label);
            } catch (TaoBridge.Refusal r) {
                throw rethrown(r);
            }
        }

        @Override
        public byte[] rollbackProtectedSeal(String label, byte[] data, SealPolicy policy) throws IOException, TaoException {
            try {
                return bridge.rollbackProtectedSeal(label, data, policy.text());
            } catch (TaoBridge.Refusal r) {
                throw rethrown(r);
            }
        }

        @Override
        public Unsealed rollbackProtectedUnseal(byte[] sealed) throws IOException, TaoException {
            try {
                return unsealed(bridge.rollbackProtectedUnseal(sealed));
            } catch (TaoBridge.Refusal r) {
                throw rethrown(r);
            }
        }

        @Override
        public String toString() {
            return "Tao[the Tao agent's parent]";
        }
    }
}
