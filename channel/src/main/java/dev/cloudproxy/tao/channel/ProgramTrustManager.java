package dev.cloudproxy.tao.channel;

import dev.cloudproxy.tao.VerificationException;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.domain.ProgramCertificate;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Trusts exactly the program certificates that a domain's policy key issued, and of those only
 * the peers the {@link PeerPolicy} accepts. Fails closed: anything it cannot check is refused.
 *
 * <p>The chain must be the program certificate alone or followed by the policy certificate
 * itself; the principal comes from {@link ProgramCertificate#verify} of that certificate. The
 * handshake must be TLS 1.3 when JSSE tells which. Endpoint identification (host names) is
 * ignored on purpose: a Tao peer's identity is its principal, which the policy judges. With a
 * {@link RevocationChecker}, a certificate the domain's CRL revokes is refused, and so is every
 * certificate while no current CRL is at hand.
 *
 * <p>Verifying a certificate is one ECDSA verification; the principals of the last 256 verified
 * certificates are remembered by their exact DER bytes (the verification depends on nothing
 * else), and each use checks the validity window again against the clock.
 */
final class ProgramTrustManager extends X509ExtendedTrustManager {
    private static final int CACHE_MAX = 256;
    private static final String TLS13 = "TLSv1.3";

    private final X509Certificate policyCertificate;
    private final PeerPolicy policy;
    private final Clock clock;
    private final Optional<RevocationChecker> revocation;
    private final Map<ByteBuffer, Prin> verified = new LinkedHashMap<>(64, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<ByteBuffer, Prin> eldest) {
            return size() > CACHE_MAX;
        }
    };

    ProgramTrustManager(X509Certificate policyCertificate, PeerPolicy policy, Clock clock,
            Optional<RevocationChecker> revocation) {
        this.policyCertificate = policyCertificate;
        this.policy = policy;
        this.clock = clock;
        this.revocation = revocation;
    }

    PeerPolicy policy() {
        return policy;
    }

    Clock clock() {
        return clock;
    }

    Optional<RevocationChecker> revocation() {
        return revocation;
    }

    /**
     * Refuses a verified peer certificate that the domain's CRL revokes, or any while the CRL is
     * unknown; does nothing without a {@link RevocationChecker}.
     */
    void checkRevocation(X509Certificate cert, Prin peer) throws VerificationException {
        if (revocation.isPresent()) {
            try {
                revocation.get().check(cert);
            } catch (VerificationException e) {
                throw new VerificationException("peer " + peer + " refused: " + e.getMessage(), e);
            }
        }
    }

    /**
     * The principal of a program certificate of this domain that is valid at {@code at}.
     *
     * @throws VerificationException if it is not one
     */
    Prin principalOf(X509Certificate cert, Instant at) throws VerificationException {
        ByteBuffer der;
        try {
            der = ByteBuffer.wrap(cert.getEncoded());
        } catch (CertificateEncodingException e) {
            throw new VerificationException("the certificate does not encode", e);
        }
        Prin known;
        synchronized (verified) {
            known = verified.get(der);
        }
        if (known != null) {
            Date when = Date.from(at);
            if (when.before(cert.getNotBefore()) || when.after(cert.getNotAfter())) {
                throw new VerificationException("the certificate is not valid at " + at + " (valid "
                        + cert.getNotBefore().toInstant() + " to " + cert.getNotAfter().toInstant() + ")");
            }
            return known;
        }
        Prin principal = ProgramCertificate.verify(cert, policyCertificate, at);
        synchronized (verified) {
            verified.put(der, principal);
        }
        return principal;
    }

    /** The verified principal of a peer chain, which the policy accepts. */
    Prin check(X509Certificate[] chain, SSLSession handshake) throws CertificateException {
        if (handshake != null && !TLS13.equals(handshake.getProtocol())) {
            throw new CertificateException("Tao channels use TLS 1.3 only, not " + handshake.getProtocol());
        }
        if (chain == null || chain.length == 0) {
            throw new CertificateException("the peer sent no certificate");
        }
        if (chain.length > 2 || (chain.length == 2 && !ProgramCredentials.sameCertificate(chain[1], policyCertificate))) {
            throw new CertificateException("the peer's chain is neither its program certificate alone nor followed "
                    + "by this domain's policy certificate");
        }
        Prin peer;
        try {
            peer = principalOf(chain[0], clock.instant());
        } catch (VerificationException e) {
            throw new CertificateException("the peer's certificate is not a valid program certificate of this domain: "
                    + e.getMessage(), e);
        }
        // Revocation before the policy: a guard's answer about a revoked program is moot.
        try {
            checkRevocation(chain[0], peer);
        } catch (VerificationException e) {
            throw new CertificateException(e.getMessage(), e);
        }
        if (!policy.accepts(peer)) {
            throw new CertificateException("peer " + peer + " is not accepted by " + policy);
        }
        return peer;
    }

    private static SSLSession handshakeOf(Socket socket) {
        return socket instanceof SSLSocket s ? s.getHandshakeSession() : null;
    }

    private static SSLSession handshakeOf(SSLEngine engine) {
        return engine == null ? null : engine.getHandshakeSession();
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        check(chain, null);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        check(chain, null);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        check(chain, handshakeOf(socket));
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        check(chain, handshakeOf(socket));
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        check(chain, handshakeOf(engine));
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        check(chain, handshakeOf(engine));
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[] {policyCertificate};
    }
}
