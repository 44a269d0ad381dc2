package dev.cloudproxy.tao.launch;

import dev.cloudproxy.tao.io.ServerTrustManager;
import java.security.MessageDigest;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;

/**
 * Trusts a server only if its certificate carries exactly one public key (PKIX DER): the key a
 * verified launch record names. Fails closed: any other key, no certificate, or a client role
 * is refused.
 */
final class PinnedKeyTrustManager extends ServerTrustManager {
    private final byte[] pkix;

    PinnedKeyTrustManager(byte[] pkix) {
        super("a pinned launch endpoint is a server");
        this.pkix = pkix.clone();
    }

    @Override
    protected void checkServer(X509Certificate[] chain) throws CertificateException {
        if (chain == null || chain.length == 0
                || !MessageDigest.isEqual(chain[0].getPublicKey().getEncoded(), pkix)) {
            throw new CertificateException("the endpoint presented another key than the launch record names");
        }
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
    }
}
