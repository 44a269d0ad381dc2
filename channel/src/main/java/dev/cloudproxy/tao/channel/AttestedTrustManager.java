package dev.cloudproxy.tao.channel;

import dev.cloudproxy.tao.VerificationException;
import dev.cloudproxy.tao.keys.Verifier;
import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The TLS half of the certificate-free mode: accepts one certificate holding a P-256 key and
 * nothing else, in TLS 1.3. It trusts no name in it; TLS 1.3's {@code CertificateVerify} proves the
 * peer holds that key, and the attestation exchanged afterwards says whom the key speaks for. The
 * self-signature is not checked: it would prove only what {@code CertificateVerify} already does.
 */
final class AttestedTrustManager extends X509ExtendedTrustManager {

    static Verifier check(X509Certificate[] chain, SSLSession handshake) throws CertificateException {
        if (handshake != null && !TaoChannels.TLS13.equals(handshake.getProtocol())) {
            throw new CertificateException("Tao channels use TLS 1.3 only, not " + handshake.getProtocol());
        }
        if (chain == null || chain.length != 1) {
            throw new CertificateException("the peer must send exactly one certificate (its attested key)");
        }
        try {
            return Verifier.fromPkix(chain[0].getPublicKey().getEncoded());
        } catch (VerificationException e) {
            throw new CertificateException("the peer's TLS key is not a P-256 key", e);
        }
    }

    private static SSLSession handshakeOf(Socket socket) {
        return socket instanceof SSLSocket s ? s.getHandshakeSession() : null;
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
        check(chain, engine == null ? null : engine.getHandshakeSession());
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        check(chain, engine == null ? null : engine.getHandshakeSession());
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
    }
}
