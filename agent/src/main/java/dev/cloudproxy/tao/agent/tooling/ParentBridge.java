package dev.cloudproxy.tao.agent.tooling;

import dev.cloudproxy.tao.CoreTao;
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
        try {
            return name(tao.getTaoName());
        } catch (TaoException e) {
            throw refusal(e);
        }
    }

    @Override
    public void extendName(String extensions) throws IOException, Refusal {
        try {
            tao.extendTaoName(extensions);
        } catch (TaoException e) {
            throw refusal(e);
        }
    }

    @Override
    public byte[] randomBytes(int n) throws IOException, Refusal {
        try {
            return tao.getRandomBytes(n);
        } catch (TaoException e) {
            throw refusal(e);
        }
    }

    @Override
    public byte[] sharedSecret(int n, String policy) throws IOException, Refusal {
        try {
            return tao.getSharedSecret(n, SealPolicy.fromText(policy));
        } catch (TaoException e) {
            throw refusal(e);
        }
    }

    @Override
    public Signed attest(String statement) throws IOException, Refusal {
        try {
            SignedStatement s = tao.attest(statement);
            return new Signed(s.attestation(), s.statement());
        } catch (TaoException e) {
            throw refusal(e);
        }
    }

    @Override
    public byte[] seal(byte[] data, String policy) throws IOException, Refusal {
        try {
            return tao.seal(data, SealPolicy.fromText(policy));
        } catch (TaoException e) {
            throw refusal(e);
        }
    }

    @Override
    public Opened unseal(byte[] sealed) throws IOException, Refusal {
        try (Unsealed u = tao.unseal(sealed)) {
            return new Opened(u.data(), u.policy().text(), null, 0);
        } catch (TaoException e) {
            throw refusal(e);
        }
    }

    @Override
    public long initCounter(String label) throws IOException, Refusal {
        try {
            return tao.initCounter(label);
        } catch (TaoException e) {
            throw refusal(e);
        }
    }

    @Override
    public long counter(String label) throws IOException, Refusal {
        try {
            return tao.getCounter(label);
        } catch (TaoException e) {
            throw refusal(e);
        }
    }

    @Override
    public byte[] rollbackProtectedSeal(String label, byte[] data, String policy) throws IOException, Refusal {
        try {
            return tao.rollbackProtectedSeal(label, data, SealPolicy.fromText(policy));
        } catch (TaoException e) {
            throw refusal(e);
        }
    }

    @Override
    public Opened rollbackProtectedUnseal(byte[] sealed) throws IOException, Refusal {
        try (Unsealed u = tao.rollbackProtectedUnseal(sealed)) {
            return new Opened(u.data(), u.policy().text(), u.label().orElseThrow(), u.counter().orElseThrow());
        } catch (TaoException e) {
            throw refusal(e);
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

    private static Refusal refusal(TaoException e) {
        if (e instanceof StaleStateException s) {
            return new Refusal(Refusal.Kind.STALE, s.getMessage(), s.counter(), s.expected());
        }
        if (e instanceof UnsealException) {
            return new Refusal(Refusal.Kind.UNSEAL, e.getMessage(), 0, 0);
        }
        return new Refusal(Refusal.Kind.REFUSED, e.getMessage(), 0, 0);
    }
}
