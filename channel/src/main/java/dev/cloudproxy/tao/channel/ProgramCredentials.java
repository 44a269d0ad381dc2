package dev.cloudproxy.tao.channel;

import dev.cloudproxy.tao.VerificationException;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.domain.ProgramCertificate;
import dev.cloudproxy.tao.keys.Signer;
import dev.cloudproxy.tao.keys.Verifier;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * What a program shows its peers on a Tao channel: its private key, its program certificate
 * (issued by the domain's policy key, see {@link ProgramCertificate}) and the domain's policy
 * certificate, which is also the only certificate it trusts for its peers.
 *
 * <p>Construction checks that the certificate verifies against the policy certificate now and
 * certifies the given key, so a misconfigured program fails here rather than in its peers' logs.
 * The private key is only referenced, never copied: the caller keeps owning it (and closing a
 * {@link Signer} makes later handshakes fail). {@link #toString} shows the principal only.
 */
public final class ProgramCredentials {
    private final PrivateKey tlsKey;
    private final List<X509Certificate> chain;
    private final X509Certificate policyCertificate;
    private final Prin principal;
    private volatile TaoChannels defaultChannels;

    private ProgramCredentials(PrivateKey tlsKey, List<X509Certificate> chain, X509Certificate policyCertificate,
            Prin principal) {
        this.tlsKey = tlsKey;
        this.chain = chain;
        this.policyCertificate = policyCertificate;
        this.principal = principal;
    }

    /**
     * Credentials over a core {@link Signer}; TLS handshakes are signed with it directly (through
     * BouncyCastle, the fastest signer on every supported JDK).
     *
     * @param chain the program certificate first, optionally followed by the policy certificate
     * @throws VerificationException if the certificate is not a valid program certificate of the
     *     domain, or certifies another key
     */
    public static ProgramCredentials of(Signer key, List<X509Certificate> chain, X509Certificate policyCertificate)
            throws VerificationException {
        Objects.requireNonNull(key, "key");
        List<X509Certificate> copy = checkedChain(chain, policyCertificate);
        Prin principal = ProgramCertificate.verify(copy.get(0), policyCertificate, Instant.now());
        if (!key.verifier().equals(leafKey(copy.get(0)))) {
            throw new VerificationException("the program certificate certifies another key");
        }
        SignerKeyProvider.install();
        return new ProgramCredentials(new SignerKey(key), copy, policyCertificate, principal);
    }

    /**
     * Credentials over any JCA private key of a P-256 key pair (a PKCS#11 or keystore key, for
     * instance); the handshakes are signed by whichever provider the JCA picks for it. One test
     * signature checks that it is the certificate's key.
     *
     * @throws VerificationException as {@link #of(Signer, List, X509Certificate)}, or if the key
     *     cannot sign with {@code SHA256withECDSA} or is not the certificate's key
     */
    public static ProgramCredentials of(PrivateKey key, List<X509Certificate> chain, X509Certificate policyCertificate)
            throws VerificationException {
        Objects.requireNonNull(key, "key");
        List<X509Certificate> copy = checkedChain(chain, policyCertificate);
        Prin principal = ProgramCertificate.verify(copy.get(0), policyCertificate, Instant.now());
        byte[] probe = new byte[32];
        new SecureRandom().nextBytes(probe);
        try {
            Signature s = Signature.getInstance("SHA256withECDSA");
            s.initSign(key);
            s.update(probe);
            leafKey(copy.get(0)).verify(probe, s.sign());
        } catch (GeneralSecurityException e) {
            throw new VerificationException("the private key is not the program certificate's P-256 key", e);
        }
        return new ProgramCredentials(key, copy, policyCertificate, principal);
    }

    private static List<X509Certificate> checkedChain(List<X509Certificate> chain, X509Certificate policyCertificate)
            throws VerificationException {
        Objects.requireNonNull(chain, "chain");
        Objects.requireNonNull(policyCertificate, "policyCertificate");
        List<X509Certificate> copy = List.copyOf(chain);
        if (copy.isEmpty() || copy.size() > 2) {
            throw new IllegalArgumentException("the chain is the program certificate, optionally followed by the "
                    + "policy certificate");
        }
        if (copy.size() == 2 && !sameCertificate(copy.get(1), policyCertificate)) {
            throw new VerificationException("the second certificate of the chain is not the policy certificate");
        }
        return copy;
    }

    static Verifier leafKey(X509Certificate leaf) throws VerificationException {
        return Verifier.fromPkix(leaf.getPublicKey().getEncoded());
    }

    static boolean sameCertificate(X509Certificate a, X509Certificate b) {
        try {
            return Arrays.equals(a.getEncoded(), b.getEncoded());
        } catch (CertificateEncodingException e) {
            return false;
        }
    }

    /** The principal the program certificate names. */
    public Prin principal() {
        return principal;
    }

    /** The program certificate. */
    public X509Certificate certificate() {
        return chain.get(0);
    }

    /** The chain sent to peers: the program certificate, then possibly the policy certificate. */
    public List<X509Certificate> chain() {
        return chain;
    }

    /** The domain's policy certificate: the only trust anchor for peers. */
    public X509Certificate policyCertificate() {
        return policyCertificate;
    }

    /** The key JSSE signs handshakes with: the JCA key given, or an opaque wrapper of the signer. */
    PrivateKey tlsKey() {
        return tlsKey;
    }

    /** The channels of {@link TaoChannel#dial} and {@link TaoListener#listen}, made once. */
    TaoChannels defaultChannels() {
        TaoChannels c = defaultChannels;
        if (c == null) {
            synchronized (this) {
                c = defaultChannels;
                if (c == null) {
                    c = TaoChannels.of(this);
                    defaultChannels = c;
                }
            }
        }
        return c;
    }

    @Override
    public String toString() {
        return "ProgramCredentials[" + principal + "]";
    }
}
