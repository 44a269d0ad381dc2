package dev.cloudproxy.tao.domainservice;

import dev.cloudproxy.tao.keys.Signer;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/** The service's TLS 1.3 server context: its own key and the certificate the policy key issued it. */
final class ServiceTls {
    private static final String ALIAS = "domain-service";

    private ServiceTls() {}

    static SSLContext context(Signer key, X509Certificate certificate) throws GeneralSecurityException {
        PrivateKey privateKey = key.toJcaPrivateKey();
        SSLContext context = SSLContext.getInstance("TLSv1.3");
        context.init(new KeyManager[] {new OneKey(privateKey, certificate)}, null, null);
        return context;
    }

    /** A key manager with exactly one server key; it never acts as a client. */
    private static final class OneKey extends X509ExtendedKeyManager {
        private final PrivateKey key;
        private final X509Certificate certificate;

        OneKey(PrivateKey key, X509Certificate certificate) {
            this.key = key;
            this.certificate = certificate;
        }

        @Override
        public String[] getClientAliases(String keyType, Principal[] issuers) {
            return null;
        }

        @Override
        public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
            return null;
        }

        @Override
        public String[] getServerAliases(String keyType, Principal[] issuers) {
            return "EC".equals(keyType) ? new String[] {ALIAS} : null;
        }

        @Override
        public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
            return "EC".equals(keyType) ? ALIAS : null;
        }

        @Override
        public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
            return "EC".equals(keyType) ? ALIAS : null;
        }

        @Override
        public X509Certificate[] getCertificateChain(String alias) {
            return ALIAS.equals(alias) ? new X509Certificate[] {certificate} : null;
        }

        @Override
        public PrivateKey getPrivateKey(String alias) {
            return ALIAS.equals(alias) ? key : null;
        }

        @Override
        public String toString() {
            return "ServiceTls.OneKey[redacted]";
        }
    }
}
