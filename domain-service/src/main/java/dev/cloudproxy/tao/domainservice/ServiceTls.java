package dev.cloudproxy.tao.domainservice;

import dev.cloudproxy.tao.keys.Signer;
import java.math.BigInteger;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECPrivateKeySpec;
import java.util.Arrays;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/** The service's TLS 1.3 server context: its own key and the certificate the policy key issued it. */
final class ServiceTls {
    private static final String ALIAS = "domain-service";

    private ServiceTls() {}

    static SSLContext context(Signer key, X509Certificate certificate) throws GeneralSecurityException {
        PrivateKey privateKey = toJca(key);
        SSLContext context = SSLContext.getInstance("TLSv1.3");
        context.init(new KeyManager[] {new OneKey(privateKey, certificate)}, null, null);
        return context;
    }

    /** The JDK's form of the key, for JSSE; the exported scalar is zeroed at once. */
    private static PrivateKey toJca(Signer key) throws GeneralSecurityException {
        byte[] scalar = key.exportSecretKeyMaterial();
        try {
            ECPublicKey pub = (ECPublicKey) key.verifier().toJcaPublicKey();
            return KeyFactory.getInstance("EC").generatePrivate(new ECPrivateKeySpec(new BigInteger(1, scalar), pub.getParams()));
        } finally {
            Arrays.fill(scalar, (byte) 0);
        }
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
