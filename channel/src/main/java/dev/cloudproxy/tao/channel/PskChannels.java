package dev.cloudproxy.tao.channel;

import dev.cloudproxy.tao.auth.Prin;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import org.bouncycastle.tls.TlsClientProtocol;
import org.bouncycastle.tls.TlsServerProtocol;
import org.bouncycastle.tls.crypto.TlsCrypto;
import org.bouncycastle.tls.crypto.TlsSecret;

/**
 * Tao channels in the pre-shared-key mode (issue 22, seed 003): no domain service, no
 * certificates, no revocation. Two programs that share an ancestor Tao each ask it for the key of
 * the group of exactly the two of them ({@link GroupKeySource}); TLS 1.3 with that key as an
 * external PSK authenticates both.
 *
 * <p>The guarantees of a channel it makes:
 * <ul>
 *   <li>TLS 1.3 only, {@code TLS_AES_128_GCM_SHA256}, with the PSK key exchange mode
 *       {@code psk_dhe_ke} only: each session's keys depend on a fresh x25519 (or P-256) exchange
 *       as well as the PSK, so someone who later learns the PSK (or the group key) still cannot
 *       decrypt a recorded session. A peer that offers or picks anything else is refused;
 *   <li>the PSK identity is {@code (client, server)}, the two full principal names
 *       ({@link PskIdentity}); the client puts the name of the server it wants, the server refuses
 *       an identity that does not name it as the server, that names it as the client too, that
 *       is malformed or over {@value PskIdentity#MAX_BYTES} bytes, or whose client its
 *       {@link PeerPolicy} does not accept, before it asks for any key;
 *   <li>the handshake completes only if both sides derived the same TLS PSK from the group key
 *       of that pair (the PSK binder and the Finished messages prove it), and the common ancestor
 *       gives that key only to the two members; so {@link TaoChannel#peer()} is the other
 *       member's full name, on both sides. A wrong key fails on both sides with a
 *       {@link PskMismatchException}, a refusal with a {@link PeerRefusedException} naming the
 *       reason on the refusing side ("the server refused the channel" on the client);
 *   <li>both sides learn of a refusal during the handshake, before the channel is used.
 * </ul>
 *
 * <p>What it trusts: the common ancestor Tao (and every Tao below it, which can ask in a member's
 * name), and that the {@link GroupKeySource} really asks it. What it does not give: revocation
 * (a member cannot be cut off but by changing the policy here or its name), and privacy of the
 * names: the PSK identity, with both names, travels in the clear in the ClientHello.
 *
 * <pre>{@code
 * PskChannels channels = PskChannels.builder(tao.getTaoName(), GroupKeySource.of(tao::getGroupKey))
 *         .peerPolicy(PeerPolicy.subprincipalsOf(List.of(expectedClient)))   // for listeners
 *         .build();
 * try (TaoChannel c = channels.dial("127.0.0.1", 8443, serverName)) { ... }
 * try (TaoListener l = channels.listen(8443)) { TaoChannel c = l.accept(); Prin client = c.peer(); }
 * }</pre>
 *
 * <p>Immutable and thread-safe. Every connection is a full handshake (no resumption).
 */
public final class PskChannels {
    private final Prin self;
    private final GroupKeySource keys;
    private final PeerPolicy policy;
    private final Duration handshakeTimeout;
    private final int maxMessageBytes;

    private PskChannels(Builder b) {
        this.self = b.self;
        this.keys = b.keys;
        this.policy = b.peerPolicy;
        this.handshakeTimeout = b.handshakeTimeout;
        this.maxMessageBytes = b.maxMessageBytes;
    }

    /**
     * Channels of the program named {@code self} (its full name, as its Tao gives it), with keys
     * from {@code keys}.
     */
    public static Builder builder(Prin self, GroupKeySource keys) {
        return new Builder(self, keys);
    }

    /** Optional settings; every one has a secure default. */
    public static final class Builder {
        private final Prin self;
        private final GroupKeySource keys;
        private PeerPolicy peerPolicy = PeerPolicy.anyPeer();
        private Duration handshakeTimeout = TaoChannels.DEFAULT_HANDSHAKE_TIMEOUT;
        private int maxMessageBytes = TaoChannels.DEFAULT_MAX_MESSAGE_BYTES;

        private Builder(Prin self, GroupKeySource keys) {
            this.self = Objects.requireNonNull(self, "self");
            this.keys = Objects.requireNonNull(keys, "keys");
        }

        /**
         * Which peers to accept by name: clients a listener accepts, servers a client may dial.
         * By default any peer whose key the common ancestor gives out, which is any program under
         * it: a listener should name its clients.
         */
        public Builder peerPolicy(PeerPolicy policy) {
            this.peerPolicy = Objects.requireNonNull(policy, "policy");
            return this;
        }

        /** Time allowed for connecting and the handshake; 10 seconds by default. */
        public Builder handshakeTimeout(Duration timeout) {
            this.handshakeTimeout = ChannelConfig.checkTimeout(timeout, "the handshake timeout");
            return this;
        }

        /** Largest message a {@link TaoChannel} sends or accepts; 1 MiB by default. */
        public Builder maxMessageBytes(int max) {
            this.maxMessageBytes = ChannelConfig.checkMessageBound(max);
            return this;
        }

        public PskChannels build() {
            return new PskChannels(this);
        }
    }

    /** These channels with {@code policy} instead of their peer policy (a listener's own, say). */
    public PskChannels withPeerPolicy(PeerPolicy policy) {
        return builder(self, keys).peerPolicy(policy).handshakeTimeout(handshakeTimeout).maxMessageBytes(maxMessageBytes)
                .build();
    }

    /** This program's name, the one its channels claim. */
    public Prin self() {
        return self;
    }

    /**
     * Connects to the program {@code server} at {@code host:port}.
     *
     * @throws PskMismatchException if the server does not hold the pair's key
     * @throws PeerRefusedException if the policy refuses {@code server}, no key can be had for the
     *     pair, or the server refused this program
     */
    public TaoChannel dial(String host, int port, Prin server) throws IOException {
        Objects.requireNonNull(host, "host");
        Socket socket = new Socket();
        try {
            socket.setTcpNoDelay(true);
            socket.connect(new InetSocketAddress(host, port), timeoutMillis());
        } catch (IOException | RuntimeException e) {
            TaoChannel.closeQuietly(socket, e);
            throw e;
        }
        return connect(socket, server).channel(maxMessageBytes);
    }

    /** Listens on {@code port} of every interface. */
    public TaoListener listen(int port) throws IOException {
        return listen(new InetSocketAddress(port));
    }

    /** Listens on {@code address} (port 0 picks a free port). */
    public TaoListener listen(InetSocketAddress address) throws IOException {
        return TaoListener.bindPlain(address, accepted -> accept(accepted).channel(maxMessageBytes));
    }

    /**
     * Runs the client side of the handshake on a connected socket, for the program {@code server}.
     * The socket is closed if it fails.
     *
     * @throws PskMismatchException if the server does not hold the pair's key
     * @throws PeerRefusedException if the policy refuses {@code server}, no key can be had for the
     *     pair, or the server refused this program
     */
    public PskConnection connect(Socket socket, Prin server) throws IOException {
        Objects.requireNonNull(socket, "socket");
        Objects.requireNonNull(server, "server");
        try {
            if (server.equals(self)) {
                throw new PeerRefusedException("a program cannot open a PSK channel to its own name " + self);
            }
            if (!policy.accepts(server)) {
                throw new PeerRefusedException("peer " + server + " is not accepted by " + policy);
            }
            PskIdentity identity = new PskIdentity(self, server);
            byte[] encoded = identity.encode();
            TlsCrypto crypto = PskTls.crypto();
            PskTls.Client client = new PskTls.Client(crypto, encoded, tlsKey(crypto, identity, encoded), timeoutMillis());
            socket.setSoTimeout(timeoutMillis());
            TlsClientProtocol tls = new TlsClientProtocol(socket.getInputStream(), socket.getOutputStream());
            try {
                tls.connect(client);
            } catch (IOException e) {
                throw PskTls.failure(e, client.refusal, true);
            }
            socket.setSoTimeout(0);
            return new PskConnection(socket, tls, server);
        } catch (IOException | RuntimeException e) {
            TaoChannel.closeQuietly(socket, e);
            throw e;
        }
    }

    /**
     * Runs the server side of the handshake on an accepted socket. The socket is closed if it
     * fails.
     *
     * @throws PskMismatchException if the client does not hold the pair's key
     * @throws PeerRefusedException if the client's identity is malformed or does not name this
     *     program as the server, the policy refuses the client, or no key can be had for the pair
     */
    public PskConnection accept(Socket socket) throws IOException {
        Objects.requireNonNull(socket, "socket");
        try {
            PskTls.Server server = new PskTls.Server(PskTls.crypto(), this::choose, timeoutMillis());
            socket.setSoTimeout(timeoutMillis());
            TlsServerProtocol tls = new TlsServerProtocol(socket.getInputStream(), socket.getOutputStream());
            try {
                tls.accept(server);
            } catch (IOException e) {
                throw PskTls.failure(e, server.refusal, false);
            }
            socket.setSoTimeout(0);
            return new PskConnection(socket, tls, server.client);
        } catch (IOException | RuntimeException e) {
            TaoChannel.closeQuietly(socket, e);
            throw e;
        }
    }

    /** The server's checks of a client's identity, in order, before any key is asked for. */
    private PskTls.Chosen choose(TlsCrypto crypto, byte[] encoded) throws PeerRefusedException {
        PskIdentity identity = PskIdentity.decode(encoded);
        if (!identity.server().equals(self)) {
            throw new PeerRefusedException("the client " + identity.client() + " asked for the program "
                    + identity.server() + ", not this one");
        }
        if (identity.client().equals(self)) {
            throw new PeerRefusedException("the client claims this program's own name");
        }
        if (!policy.accepts(identity.client())) {
            throw new PeerRefusedException("peer " + identity.client() + " is not accepted by " + policy);
        }
        return new PskTls.Chosen(identity.client(), tlsKey(crypto, identity, encoded));
    }

    /** The TLS PSK of {@code identity}, from the group key of its two names (zeroed after use). */
    private TlsSecret tlsKey(TlsCrypto crypto, PskIdentity identity, byte[] encoded) throws PeerRefusedException {
        Prin peer = identity.client().equals(self) ? identity.server() : identity.client();
        byte[] groupKey;
        try {
            groupKey = keys.groupKey(identity.members());
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            throw new PeerRefusedException("no pre-shared key for a channel between " + self + " and " + peer + ": "
                    + e.getMessage(), e);
        }
        try {
            if (groupKey == null || groupKey.length != GroupKeySource.KEY_BYTES) {
                throw new PeerRefusedException("the group key source gave a key of "
                        + (groupKey == null ? "no" : groupKey.length) + " bytes, not " + GroupKeySource.KEY_BYTES);
            }
            return PskTls.tlsKey(crypto, groupKey, encoded);
        } finally {
            if (groupKey != null) {
                Arrays.fill(groupKey, (byte) 0);
            }
        }
    }

    private int timeoutMillis() {
        return (int) Math.min(Integer.MAX_VALUE, Math.max(1, handshakeTimeout.toMillis()));
    }

    @Override
    public String toString() {
        return "PskChannels[" + self + ", " + policy + "]";
    }
}
