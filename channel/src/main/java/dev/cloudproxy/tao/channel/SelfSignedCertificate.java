package dev.cloudproxy.tao.channel;

import dev.cloudproxy.tao.domain.ProgramCertificate;
import dev.cloudproxy.tao.keys.Signer;
import dev.cloudproxy.tao.keys.X509ContentSigner;
import java.io.IOException;
import java.math.BigInteger;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509v3CertificateBuilder;

/**
 * The throw-away self-signed certificate of the certificate-free mode: it only carries the TLS
 * key, which the attestation then ties to a principal. Nothing in it is trusted.
 */
final class SelfSignedCertificate {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final X500Name SUBJECT = new X500Name("CN=Tao attested channel key");

    private SelfSignedCertificate() {}

    static X509Certificate create(Signer key, Instant notBefore, Instant notAfter) {
        SubjectPublicKeyInfo spki = SubjectPublicKeyInfo.getInstance(key.verifier().pkix());
        X509v3CertificateBuilder builder = new X509v3CertificateBuilder(SUBJECT, new BigInteger(128, RANDOM).setBit(128),
                Date.from(notBefore), Date.from(notAfter), SUBJECT, spki);
        try {
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
            return ProgramCertificate.parseDer(builder.build(new X509ContentSigner(key)).getEncoded());
        } catch (IOException | CertificateException e) {
            throw new IllegalStateException("cannot build a self-signed certificate", e);
        }
    }
}
