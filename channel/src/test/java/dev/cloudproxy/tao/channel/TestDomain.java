package dev.cloudproxy.tao.channel;

import dev.cloudproxy.tao.auth.Bytes;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.PrinExt;
import dev.cloudproxy.tao.domain.DomainTemplate;
import dev.cloudproxy.tao.domain.PolicyCertificate;
import dev.cloudproxy.tao.domain.ProgramCertificate;
import dev.cloudproxy.tao.keys.Signer;
import java.net.Socket;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * A policy key and certificate made in memory, issuing program certificates as a domain service
 * would. Closing it destroys every key it made.
 */
final class TestDomain implements AutoCloseable {
    final Signer policyKey;
    final X509Certificate policyCertificate;
    private final List<Signer> keys = new ArrayList<>();
    private final byte[] hostHash = new byte[32];
    private int programs;

    private TestDomain(String name) {
        policyKey = Signer.generate();
        new java.security.SecureRandom().nextBytes(hostHash);
        policyCertificate = PolicyCertificate.create(policyKey, name, DomainTemplate.X509Details.NONE, 30);
    }

    static TestDomain create(String name) {
        return new TestDomain(name);
    }

    /** A principal under a made-up host key: {@code key([..]).Program([n])}. */
    Prin nextPrincipal() {
        byte[] hash = new byte[32];
        hash[31] = (byte) ++programs;
        return Prin.key(hostHash).extend(PrinExt.of("Program", new Bytes(hash)));
    }

    Signer newKey() {
        Signer k = Signer.generate();
        keys.add(k);
        return k;
    }

    /** A key and its program certificate, valid from {@code now} for {@code lifetime}. */
    Issued issue(Prin principal, Instant now, Duration lifetime) {
        Signer key = newKey();
        X509Certificate cert = ProgramCertificate.issue(policyKey, policyCertificate, key.verifier(), principal,
                lifetime, now);
        return new Issued(key, cert, principal);
    }

    /** Credentials for a new program, valid for a day. */
    ProgramCredentials program() throws Exception {
        Issued i = issue(nextPrincipal(), Instant.now(), Duration.ofDays(1));
        return ProgramCredentials.of(i.key(), List.of(i.certificate()), policyCertificate);
    }

    record Issued(Signer key, X509Certificate certificate, Prin principal) {}


    /** Plain JDK key managers (PKCS#12 in memory) holding the key and chain. */
    static KeyManager[] jdkKeyManagers(PrivateKey key, X509Certificate... chain) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        char[] pw = "test".toCharArray();
        ks.setKeyEntry("k", key, pw, chain);
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, pw);
        return kmf.getKeyManagers();
    }

    /** A plain JDK TLS context that trusts any server and presents the given key managers (or none). */
    static SSLContext trustingJdkContext(String protocol, KeyManager[] keyManagers) throws Exception {
        SSLContext ctx = SSLContext.getInstance(protocol);
        ctx.init(keyManagers, new TrustManager[] {new TrustAll()}, null);
        return ctx;
    }

    static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }

    @Override
    public void close() {
        keys.forEach(Signer::close);
        policyKey.close();
    }

    /** Trusts everything: a careless peer, to show that the Tao side refuses on its own. */
    static final class TrustAll extends X509ExtendedTrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] c, String a) {}

        @Override
        public void checkServerTrusted(X509Certificate[] c, String a) {}

        @Override
        public void checkClientTrusted(X509Certificate[] c, String a, Socket s) {}

        @Override
        public void checkServerTrusted(X509Certificate[] c, String a, Socket s) {}

        @Override
        public void checkClientTrusted(X509Certificate[] c, String a, SSLEngine e) {}

        @Override
        public void checkServerTrusted(X509Certificate[] c, String a, SSLEngine e) {}

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
