package dev.cloudproxy.tao.channel;

import dev.cloudproxy.tao.VerificationException;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.domain.ProgramCertificate;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.GeneralSecurityException;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Tao channels in certificate mode: TLS 1.3 with mutual authentication, where both sides present
 * program certificates issued by their domain's policy key, and each learns the other's principal
 * name from the verified certificate.
 *
 * <p>The guarantees, on every TLS stack that uses {@link #sslContext()} ({@code SSLSocket},
 * {@code SSLEngine}, {@code java.net.http.HttpClient}, Netty, Jetty):
 * <ul>
 *   <li>TLS 1.3 only; a server requires a client certificate;
 *   <li>a peer's chain must be its program certificate, alone or followed by the policy
 *       certificate, and the program certificate must verify against the policy certificate
 *       ({@link ProgramCertificate#verify}) and be valid now; nothing else is trusted, and any
 *       check that cannot be made refuses the peer;
 *   <li>the peer's principal is the one {@code ProgramCertificate.verify} returns for that
 *       certificate, never read from an unverified field, and the {@link PeerPolicy} must accept
 *       it; a refusal fails the handshake, and the refusing side's exception says who was refused
 *       and by which policy;
 *   <li>with a {@link RevocationChecker} ({@link Builder#revocation}), a peer whose certificate
 *       the domain's CRL revokes is refused, on the handshake and by {@link #checkPeer}, and so
 *       is every peer while no current CRL is at hand; a revocation reaches new connections
 *       within the checker's refresh interval (60 s by default);
 *   <li>host names are not checked (the identity of a Tao peer is its principal, and program
 *       certificates name no hosts): a client that must reach one particular program says so
 *       with {@link PeerPolicy#only}.
 * </ul>
 *
 * <p>Resumed TLS sessions (within the session timeout, one hour by default) skip the certificate
 * check of the handshake; {@link TaoChannel} therefore checks every connection again with
 * {@link #checkPeer}, and users of the raw {@code SSLContext} who need a changed policy to apply to
 * live sessions do the same.
 *
 * <pre>{@code
 * TaoChannels channels = TaoChannels.builder(credentials)
 *         .peerPolicy(PeerPolicy.guard(domain.guard(), "Connect"))
 *         .build();
 * try (TaoChannel c = channels.dial("server.example", 8443)) {
 *     c.send(request);
 *     Prin who = c.peer();
 * }
 * HttpClient http = HttpClient.newBuilder().sslContext(channels.sslContext()).build();
 * }</pre>
 *
 * <p>Immutable and thread-safe; each instance has its own TLS session cache.
 */
public final class TaoChannels {
    /** Session timeout unless the builder sets one. */
    public static final Duration DEFAULT_SESSION_TIMEOUT = Duration.ofHours(1);
    /** Time allowed for connecting, the handshake and authentication, unless the builder sets one. */
    public static final Duration DEFAULT_HANDSHAKE_TIMEOUT = Duration.ofSeconds(10);
    /** Largest message on a {@link TaoChannel} unless the builder sets another. */
    public static final int DEFAULT_MAX_MESSAGE_BYTES = 1 << 20;
    static final String TLS13 = "TLSv1.3";

    private final ProgramCredentials credentials;
    private final ProgramKeyManager keyManager;
    private final ProgramTrustManager trustManager;
    private final SSLParameters parameters;
    private final SSLContext context;
    private final ChannelConfig config;

    private TaoChannels(Builder b) {
        this.credentials = b.credentials;
        this.keyManager = new ProgramKeyManager(b.credentials.chain().toArray(new X509Certificate[0]),
                b.credentials.tlsKey());
        this.trustManager = new ProgramTrustManager(b.credentials.policyCertificate(), b.peerPolicy, b.clock,
                b.revocation);
        SSLContext base = initContext(keyManager, trustManager, b.sessionTimeout);
        this.parameters = parameters(base);
        this.context = new ConfiguredSslContext(base, parameters);
        this.config = new ChannelConfig(context, b.handshakeTimeout, b.maxMessageBytes,
                socket -> checkPeer(socket.getSession()));
    }

    static SSLContext initContext(KeyManager keyManager, TrustManager trustManager, Duration sessionTimeout) {
        try {
            SSLContext base = SSLContext.getInstance(TLS13);
            base.init(new KeyManager[] {keyManager}, new TrustManager[] {trustManager}, null);
            int seconds = (int) Math.min(Integer.MAX_VALUE, sessionTimeout.toSeconds());
            base.getClientSessionContext().setSessionTimeout(seconds);
            base.getServerSessionContext().setSessionTimeout(seconds);
            return base;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JDK cannot make a TLS 1.3 context", e);
        }
    }

    /** TLS 1.3 and its cipher suites only, client certificates required, no host name checks. */
    static SSLParameters parameters(SSLContext base) {
        String[] suites = Arrays.stream(base.getDefaultSSLParameters().getCipherSuites())
                .filter(s -> s.startsWith("TLS_AES_") || s.startsWith("TLS_CHACHA20_"))
                .toArray(String[]::new);
        SSLParameters p = new SSLParameters(suites, new String[] {TLS13});
        p.setNeedClientAuth(true);
        p.setEndpointIdentificationAlgorithm(null);
        return p;
    }

    /** Channels with {@code credentials} that accept any peer the domain certified. */
    public static TaoChannels of(ProgramCredentials credentials) {
        return builder(credentials).build();
    }

    public static Builder builder(ProgramCredentials credentials) {
        return new Builder(credentials);
    }

    /** Optional settings; every one has a secure default. */
    public static final class Builder {
        private final ProgramCredentials credentials;
        private PeerPolicy peerPolicy = PeerPolicy.anyPeer();
        private Duration sessionTimeout = DEFAULT_SESSION_TIMEOUT;
        private Duration handshakeTimeout = DEFAULT_HANDSHAKE_TIMEOUT;
        private int maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES;
        private Clock clock = Clock.systemUTC();
        private Optional<RevocationChecker> revocation = Optional.empty();

        private Builder(ProgramCredentials credentials) {
            this.credentials = Objects.requireNonNull(credentials, "credentials");
        }

        /** Which verified peers to accept; {@link PeerPolicy#anyPeer()} by default. */
        public Builder peerPolicy(PeerPolicy policy) {
            this.peerPolicy = Objects.requireNonNull(policy, "policy");
            return this;
        }

        /**
         * How long a TLS session may be resumed without a new certificate check; one hour by
         * default, at least one second.
         */
        public Builder sessionTimeout(Duration timeout) {
            this.sessionTimeout = ChannelConfig.checkSessionTimeout(timeout);
            return this;
        }

        /**
         * Checks every peer certificate against the domain's CRL with {@code checker}: a revoked
         * peer is refused, and so is every peer while the checker has no current CRL (fail
         * closed). Without one, revocation is not checked: programs that get their certificates
         * from a domain service should always set one (the agent does).
         */
        public Builder revocation(RevocationChecker checker) {
            this.revocation = Optional.of(Objects.requireNonNull(checker, "checker"));
            return this;
        }

        /** Time allowed for connecting, the handshake and authentication of a {@link TaoChannel}. */
        public Builder handshakeTimeout(Duration timeout) {
            this.handshakeTimeout = ChannelConfig.checkTimeout(timeout, "the handshake timeout");
            return this;
        }

        /** Largest message a {@link TaoChannel} sends or accepts; 1 MiB by default. */
        public Builder maxMessageBytes(int max) {
            this.maxMessageBytes = ChannelConfig.checkMessageBound(max);
            return this;
        }

        /** The clock certificates are checked against (tests). */
        Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        public TaoChannels build() {
            return new TaoChannels(this);
        }
    }

    /**
     * A JSSE context for any TLS stack. Its sockets, server sockets and engines start with
     * {@link #sslParameters()}, and so do stacks that copy its default parameters (such as
     * {@code HttpClient}); a stack that replaces them must keep TLS 1.3 and, on servers,
     * {@code needClientAuth}. It cannot be initialized again.
     */
    public SSLContext sslContext() {
        return context;
    }

    /** The key manager: the program certificate (chain) and key, for client and server alike. */
    public X509ExtendedKeyManager keyManager() {
        return keyManager;
    }

    /** The trust manager: program certificates of this domain that the peer policy accepts. */
    public X509ExtendedTrustManager trustManager() {
        return trustManager;
    }

    /** TLS 1.3 only, client authentication required, no endpoint identification (a copy). */
    public SSLParameters sslParameters() {
        return ConfiguredSslContext.copy(parameters);
    }

    /** A client-mode engine for a connection to {@code peerHost:peerPort} (the pair keys session resumption). */
    public SSLEngine clientEngine(String peerHost, int peerPort) {
        SSLEngine e = context.createSSLEngine(peerHost, peerPort);
        e.setUseClientMode(true);
        return e;
    }

    /** A server-mode engine that requires a client certificate. */
    public SSLEngine serverEngine() {
        SSLEngine e = context.createSSLEngine();
        e.setUseClientMode(false);
        e.setNeedClientAuth(true);
        return e;
    }

    /** The credentials these channels present. */
    public ProgramCredentials credentials() {
        return credentials;
    }

    /** Connects to {@code host:port} and authenticates the peer. */
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

    /**
     * The principal named by the peer's program certificate in an established session of this
     * context: re-derived from the certificate with {@link ProgramCertificate#verify} against the
     * policy certificate, as of the session's creation.
     *
     * @throws SSLPeerUnverifiedException if the session has no peer certificate, or it is not a
     *     program certificate of this domain
     */
    public Prin peerPrincipal(SSLSession session) throws SSLPeerUnverifiedException {
        X509Certificate leaf = peerLeaf(session);
        try {
            return trustManager.principalOf(leaf, Instant.ofEpochMilli(session.getCreationTime()));
        } catch (VerificationException e) {
            throw unverified("the peer certificate is not a program certificate of this domain: " + e.getMessage(), e);
        }
    }

    /**
     * Checks an established session now, as a full handshake would: TLS 1.3, the peer's program
     * certificate still valid and (with a {@link RevocationChecker}) not revoked, the peer policy
     * still accepting it. Use it on resumed sessions when a changed policy or a revocation must
     * apply to them.
     *
     * @return the peer's principal
     * @throws SSLPeerUnverifiedException if the peer has no valid program certificate of this domain
     * @throws PeerRefusedException if the protocol is not TLS 1.3, the peer's certificate is
     *     revoked (or its revocation unknown), or the policy refuses the peer
     */
    public Prin checkPeer(SSLSession session) throws SSLPeerUnverifiedException, PeerRefusedException {
        if (!TLS13.equals(session.getProtocol())) {
            throw new PeerRefusedException("Tao channels use TLS 1.3 only, not " + session.getProtocol());
        }
        X509Certificate leaf = peerLeaf(session);
        Prin peer;
        try {
            peer = trustManager.principalOf(leaf, trustManager.clock().instant());
        } catch (VerificationException e) {
            throw unverified("the peer certificate is not a valid program certificate of this domain: "
                    + e.getMessage(), e);
        }
        try {
            trustManager.checkRevocation(leaf, peer);
        } catch (VerificationException e) {
            throw new PeerRefusedException(e.getMessage(), e);
        }
        if (!trustManager.policy().accepts(peer)) {
            throw new PeerRefusedException("peer " + peer + " is not accepted by " + trustManager.policy());
        }
        return peer;
    }

    /**
     * The principal named by the peer's certificate in {@code session}, verified against
     * {@code policyCertificate} with {@link ProgramCertificate#verify} as of the session's
     * creation: usable on a session from any TLS stack, whatever its trust manager was.
     *
     * @throws SSLPeerUnverifiedException if there is no peer certificate or it does not verify
     */
    public static Prin peerPrincipal(SSLSession session, X509Certificate policyCertificate)
            throws SSLPeerUnverifiedException {
        Objects.requireNonNull(policyCertificate, "policyCertificate");
        X509Certificate leaf = peerLeaf(session);
        try {
            return ProgramCertificate.verify(leaf, policyCertificate, Instant.ofEpochMilli(session.getCreationTime()));
        } catch (VerificationException e) {
            throw unverified("the peer certificate is not a program certificate of this domain: " + e.getMessage(), e);
        }
    }

    static X509Certificate peerLeaf(SSLSession session) throws SSLPeerUnverifiedException {
        Objects.requireNonNull(session, "session");
        Certificate[] chain = session.getPeerCertificates();
        if (chain.length == 0 || !(chain[0] instanceof X509Certificate leaf)) {
            throw new SSLPeerUnverifiedException("the peer has no X.509 certificate");
        }
        return leaf;
    }

    private static SSLPeerUnverifiedException unverified(String message, Throwable cause) {
        SSLPeerUnverifiedException e = new SSLPeerUnverifiedException(message);
        e.initCause(cause);
        return e;
    }

    @Override
    public String toString() {
        return "TaoChannels[" + credentials.principal() + ", " + trustManager.policy() + "]";
    }
}
