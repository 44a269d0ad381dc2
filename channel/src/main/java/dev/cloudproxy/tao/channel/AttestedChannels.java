package dev.cloudproxy.tao.channel;

import dev.cloudproxy.tao.VerificationException;
import dev.cloudproxy.tao.attestation.AttestationVerifier;
import dev.cloudproxy.tao.attestation.VerifiedStatement;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.Speaksfor;
import dev.cloudproxy.tao.keys.Verifier;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Set;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;

/**
 * Tao channels in the certificate-free mode of the papers: no domain, no certificates issued; each
 * side proves its name with an attestation from its Tao.
 *
 * <p>The protocol, after a TLS 1.3 handshake in which each side presents a self-signed certificate
 * for its {@link AttestedCredentials} key {@code K} (and proves it holds {@code K}'s private key
 * with the handshake's {@code CertificateVerify}):
 * <ol>
 *   <li>each side sends its serialized attestation {@code P says key(K) speaksfor P} as one
 *       length-prefixed message (at most 64 KiB) and reads the peer's;
 *   <li>each side checks the peer's: it verifies ({@link AttestationVerifier}: signatures,
 *       delegation chain, time window); its statement is a delegation whose delegate is exactly
 *       the principal of the key in the peer's TLS certificate; the delegator {@code P} is one of
 *       the trusted roots or an extension of one (the verifier has already shown that the chain's
 *       root key speaks for {@code P}); and the {@link PeerPolicy} accepts {@code P};
 *   <li>each side sends a one-byte verdict and reads the peer's, so both learn of a refusal
 *       before the channel is used.
 * </ol>
 *
 * <p><b>What binds the attestation to the session:</b> the key. TLS 1.3 authenticates the whole
 * handshake transcript with a signature by {@code K} (and a resumed session inherits that proof
 * through its pre-shared key), so only the holder of {@code K}'s private key can complete a session
 * whose peer certificate holds {@code K}; the attestation says {@code K} speaks for {@code P}. A
 * replayed attestation is useless without the private key, and an attestation for any other key
 * is refused. No exporter value is needed (JDK 17 has no keying-material exporter).
 *
 * <p>The exchange runs inside the TLS session, so the attestations are not visible on the wire.
 * Immutable and thread-safe.
 */
public final class AttestedChannels {
    /** Largest attestation accepted from a peer. */
    public static final int MAX_ATTESTATION_BYTES = 64 * 1024;
    private static final byte[] ACCEPTED = {1};
    private static final byte[] REFUSED = {0};

    private final AttestedCredentials credentials;
    private final Set<Prin> trustedRoots;
    private final PeerPolicy policy;
    private final AttestationVerifier verifier;
    private final byte[] ownAttestation;
    private final ChannelConfig config;

    private AttestedChannels(Builder b) {
        this.credentials = b.credentials;
        this.trustedRoots = Set.copyOf(b.trustedRoots);
        this.policy = b.peerPolicy;
        this.verifier = AttestationVerifier.create();
        this.ownAttestation = b.credentials.attestation().serialize();
        SignerKeyProvider.install();
        ProgramKeyManager keyManager = new ProgramKeyManager(new X509Certificate[] {b.credentials.certificate()},
                new SignerKey(b.credentials.key()));
        SSLContext base = TaoChannels.initContext(keyManager, new AttestedTrustManager(), b.sessionTimeout);
        SSLContext context = new ConfiguredSslContext(base, TaoChannels.parameters(base));
        this.config = new ChannelConfig(context, b.handshakeTimeout, b.maxMessageBytes, this::authenticate);
    }

    public static Builder builder(AttestedCredentials credentials) {
        return new Builder(credentials);
    }

    /** Settings; at least one trusted root is required, everything else has a secure default. */
    public static final class Builder {
        private final AttestedCredentials credentials;
        private final Set<Prin> trustedRoots = new LinkedHashSet<>();
        private PeerPolicy peerPolicy = PeerPolicy.anyPeer();
        private Duration sessionTimeout = TaoChannels.DEFAULT_SESSION_TIMEOUT;
        private Duration handshakeTimeout = TaoChannels.DEFAULT_HANDSHAKE_TIMEOUT;
        private int maxMessageBytes = TaoChannels.DEFAULT_MAX_MESSAGE_BYTES;

        private Builder(AttestedCredentials credentials) {
            this.credentials = Objects.requireNonNull(credentials, "credentials");
        }

        /**
         * Trusts attestations rooted at {@code root}: a key principal (a host's or TPM's key), or
         * an extension of one to trust only that part of its names. A peer's name must be a root
         * or an extension of one.
         */
        public Builder trustRoot(Prin root) {
            trustedRoots.add(Objects.requireNonNull(root, "root"));
            return this;
        }

        /** {@link #trustRoot} for each. */
        public Builder trustRoots(Collection<Prin> roots) {
            roots.forEach(this::trustRoot);
            return this;
        }

        /** Which verified peers to accept, among those under a trusted root; any by default. */
        public Builder peerPolicy(PeerPolicy policy) {
            this.peerPolicy = Objects.requireNonNull(policy, "policy");
            return this;
        }

        /** How long a TLS session may be resumed; one hour by default (attestations are checked on every channel). */
        public Builder sessionTimeout(Duration timeout) {
            this.sessionTimeout = ChannelConfig.checkSessionTimeout(timeout);
            return this;
        }

        /** Time allowed for connecting, the handshake and the attestation exchange. */
        public Builder handshakeTimeout(Duration timeout) {
            this.handshakeTimeout = ChannelConfig.checkTimeout(timeout, "the handshake timeout");
            return this;
        }

        /** Largest message a channel sends or accepts; 1 MiB by default. */
        public Builder maxMessageBytes(int max) {
            this.maxMessageBytes = ChannelConfig.checkMessageBound(max);
            return this;
        }

        /**
         * @throws IllegalStateException if no root is trusted
         */
        public AttestedChannels build() {
            if (trustedRoots.isEmpty()) {
                throw new IllegalStateException("certificate-free channels need at least one trusted root");
            }
            return new AttestedChannels(this);
        }
    }

    /** The roots whose attestations are trusted. */
    public Set<Prin> trustedRoots() {
        return trustedRoots;
    }

    /** Connects to {@code host:port}, exchanges attestations and checks the peer's. */
    public TaoChannel dial(String host, int port) throws IOException {
        return TaoChannel.dial(config, host, port);
    }

    /** Listens on {@code port} of every interface. */
    public TaoListener listen(int port) throws IOException {
        return TaoListener.bind(config, new InetSocketAddress(port));
    }

    /** Listens on {@code address} (port 0 picks a free port). */
    public TaoListener listen(InetSocketAddress address) throws IOException {
        return TaoListener.bind(config, address);
    }

    private Prin authenticate(SSLSocket socket) throws IOException {
        SSLSession session = socket.getSession();
        Verifier tlsKey;
        try {
            java.security.cert.Certificate[] chain = session.getPeerCertificates();
            X509Certificate[] x509 = new X509Certificate[chain.length];
            for (int i = 0; i < chain.length; i++) {
                if (!(chain[i] instanceof X509Certificate c)) {
                    throw new CertificateException("not an X.509 certificate");
                }
                x509[i] = c;
            }
            tlsKey = AttestedTrustManager.check(x509, null);
        } catch (CertificateException e) {
            throw new PeerRefusedException("the peer's TLS certificate is not usable: " + e.getMessage(), e);
        }
        if (!TaoChannels.TLS13.equals(session.getProtocol())) {
            throw new PeerRefusedException("Tao channels use TLS 1.3 only, not " + session.getProtocol());
        }
        MessageStream exchange = new MessageStream(socket.getInputStream(), socket.getOutputStream(),
                MAX_ATTESTATION_BYTES);
        exchange.send(ownAttestation);
        byte[] theirs = exchange.receive();
        Prin peer;
        try {
            peer = verifyPeer(theirs, tlsKey);
        } catch (PeerRefusedException e) {
            try {
                exchange.send(REFUSED);
            } catch (IOException sendFailed) {
                e.addSuppressed(sendFailed);
            }
            throw e;
        }
        exchange.send(ACCEPTED);
        byte[] verdict = exchange.receive();
        if (verdict.length != 1 || verdict[0] != ACCEPTED[0]) {
            throw new PeerRefusedException("the peer refused this program's attestation");
        }
        return peer;
    }

    private Prin verifyPeer(byte[] attestation, Verifier tlsKey) throws PeerRefusedException {
        VerifiedStatement statement;
        try {
            statement = verifier.verify(attestation);
        } catch (VerificationException e) {
            throw new PeerRefusedException("the peer's attestation does not verify: " + e.getMessage(), e);
        }
        Speaksfor delegation = statement.delegation().orElseThrow(() -> new PeerRefusedException(
                "the peer's attestation is not a delegation 'P says key(K) speaksfor P'"));
        if (!tlsKey.principal().equals(delegation.delegate())) {
            throw new PeerRefusedException("the peer's attestation is for another key than its TLS key");
        }
        Prin peer = (Prin) delegation.delegator();
        if (trustedRoots.stream().noneMatch(peer::isIdenticalOrExtensionOf)) {
            throw new PeerRefusedException("peer " + peer + " is not under a trusted root");
        }
        if (!policy.accepts(peer)) {
            throw new PeerRefusedException("peer " + peer + " is not accepted by " + policy);
        }
        return peer;
    }

    @Override
    public String toString() {
        return "AttestedChannels[" + credentials.principal() + ", " + trustedRoots.size() + " trusted root(s), "
                + policy + "]";
    }
}
