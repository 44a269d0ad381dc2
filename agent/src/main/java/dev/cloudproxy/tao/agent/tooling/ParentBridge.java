package dev.cloudproxy.tao.agent.tooling;

import dev.cloudproxy.tao.CoreTao;
import dev.cloudproxy.tao.GroupKeyRefusedException;
import dev.cloudproxy.tao.SealPolicy;
import dev.cloudproxy.tao.SignedStatement;
import dev.cloudproxy.tao.StaleStateException;
import dev.cloudproxy.tao.Tao;
import dev.cloudproxy.tao.TaoException;
import dev.cloudproxy.tao.TaoName;
import dev.cloudproxy.tao.UnsealException;
import dev.cloudproxy.tao.Unsealed;
import dev.cloudproxy.tao.agent.TaoBridge;
import dev.cloudproxy.tao.auth.AuthFormatException;
import dev.cloudproxy.tao.auth.AuthText;
import dev.cloudproxy.tao.bridge.ApiTao;
import java.io.IOException;
import java.net.InetAddress;
import java.util.List;

/**
 * Tier 3's side of {@link TaoBridge}: the agent's own connection to its parent Tao (the one premain
 * checked and the paradigm extended), and the relay's view of each connection's peer. Plaintexts
 * cross to tier 1 once: the copy tier 3's {@link Unsealed} held is zeroed when this returns.
 */
final class ParentBridge implements TaoBridge {
    private final Tao tao;
    private final TaoChannels channels;

    ParentBridge(CoreTao parent, TaoChannels channels) {
        this.tao = ApiTao.of(parent);
        this.channels = channels;
    }

    @Override
    public Name name() throws IOException, Refusal {
        return refusing(() -> name(tao.getTaoName()));
    }

    @Override
    public void extendName(String extensions) throws IOException, Refusal {
        refusing(() -> {
            tao.extendTaoName(extensions);
            return null;
        });
    }

    @Override
    public byte[] randomBytes(int n) throws IOException, Refusal {
        return refusing(() -> tao.getRandomBytes(n));
    }

    @Override
    public byte[] sharedSecret(int n, String policy) throws IOException, Refusal {
        return refusing(() -> tao.getSharedSecret(n, SealPolicy.fromText(policy)));
    }

    @Override
    public byte[] groupKey(List<Name> members, int n) throws IOException, Refusal {
        List<TaoName> names = members.stream().map(m -> TaoName.of(m.text(), m.encoded())).toList();
        return refusing(() -> tao.getGroupKey(names, n));
    }

    @Override
    public Signed attest(String statement) throws IOException, Refusal {
        SignedStatement s = refusing(() -> tao.attest(statement));
        return new Signed(s.attestation(), s.statement());
    }

    @Override
    public byte[] seal(byte[] data, String policy) throws IOException, Refusal {
        return refusing(() -> tao.seal(data, SealPolicy.fromText(policy)));
    }

    @Override
    public Opened unseal(byte[] sealed) throws IOException, Refusal {
        try (Unsealed u = refusing(() -> tao.unseal(sealed))) {
            return new Opened(u.data(), u.policy().text(), null, 0);
        }
    }

    @Override
    public long initCounter(String label) throws IOException, Refusal {
        return refusing(() -> tao.initCounter(label));
    }

    @Override
    public long counter(String label) throws IOException, Refusal {
        return refusing(() -> tao.getCounter(label));
    }

    @Override
    public byte[] rollbackProtectedSeal(String label, byte[] data, String policy) throws IOException, Refusal {
        return refusing(() -> tao.rollbackProtectedSeal(label, data, SealPolicy.fromText(policy)));
    }

    @Override
    public Opened rollbackProtectedUnseal(byte[] sealed) throws IOException, Refusal {
        try (Unsealed u = refusing(() -> tao.rollbackProtectedUnseal(sealed))) {
            return new Opened(u.data(), u.policy().text(), u.label().orElseThrow(), u.counter().orElseThrow());
        }
    }

    @Override
    public Name peer(int localPort, InetAddress remote, int remotePort) throws IOException {
        String peer = channels.peer(localPort, remote, remotePort);
        if (peer == null) {
            return null;
        }
        try {
            return name(ApiTao.name(AuthText.parsePrin(peer)));
        } catch (AuthFormatException e) {
            // The relay printed this name from a verified certificate: it always parses.
            throw new IOException("tao-agent: the peer's name did not parse", e);
        }
    }

    private static Name name(TaoName n) {
        return new Name(n.text(), n.encoded());
    }

    /** One call of the Tao. */
    private interface TaoCall<T> {
        T call() throws IOException, TaoException;
    }

    /** Makes the call, turning a {@link TaoException} into the refusal of its kind. */
    private static <T> T refusing(TaoCall<T> c) throws IOException, Refusal {
        try {
            return c.call();
        } catch (TaoException e) {
            throw refusal(e);
        }
    }

    private static Refusal refusal(TaoException e) {
        if (e instanceof StaleStateException s) {
            return new Refusal(Refusal.Kind.STALE, s.getMessage(), s.counter(), s.expected());
        }
        if (e instanceof UnsealException) {
            return new Refusal(Refusal.Kind.UNSEAL, e.getMessage(), 0, 0);
        }
        if (e instanceof GroupKeyRefusedException) {
            return new Refusal(Refusal.Kind.GROUP_REFUSED, e.getMessage(), 0, 0);
        }
        return new Refusal(Refusal.Kind.REFUSED, e.getMessage(), 0, 0);
    }
}
