package dev.cloudproxy.tao.channel;

import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;

/**
 * A key manager with one P-256 key and its chain, offered for every ECDSA handshake, on client and
 * server side alike. Extended, so that {@link SSLEngine}s use it too (JSSE gives a plain
 * {@code X509KeyManager} no key for engines).
 */
final class ProgramKeyManager extends X509ExtendedKeyManager {
    static final String ALIAS = "tao";

    private final X509Certificate[] chain;
    private final PrivateKey key;

    ProgramKeyManager(X509Certificate[] chain, PrivateKey key) {
        this.chain = chain.clone();
        this.key = key;
    }

    private static boolean isEc(String keyType) {
        return "EC".equalsIgnoreCase(keyType);
    }

    private String clientAlias(String[] keyTypes) {
        if (keyTypes != null) {
            for (String t : keyTypes) {
                if (isEc(t)) {
                    return ALIAS;
                }
            }
        }
        return null;
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
        return isEc(keyType) ? new String[] {ALIAS} : null;
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
        return clientAlias(keyType);
    }

    @Override
    public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
        return clientAlias(keyType);
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
        return isEc(keyType) ? new String[] {ALIAS} : null;
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        return isEc(keyType) ? ALIAS : null;
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
        return isEc(keyType) ? ALIAS : null;
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
        return ALIAS.equals(alias) ? chain.clone() : null;
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
        return ALIAS.equals(alias) ? key : null;
    }

    @Override
    public String toString() {
        return "ProgramKeyManager[" + chain[0].getSubjectX500Principal().getName() + "]";
    }
}
