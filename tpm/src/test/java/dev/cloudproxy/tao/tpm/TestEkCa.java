package dev.cloudproxy.tao.tpm;

import dev.cloudproxy.tao.keys.Signer;
import dev.cloudproxy.tao.keys.X509ContentSigner;
import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509v3CertificateBuilder;

/**
 * A test EK CA standing in for a TPM manufacturer: it certifies a TPM's endorsement key and
 * writes the certificate where a manufacturer would ({@link EndorsementCertificates}), so the
 * tests need no swtpm-localca configuration and run as any user.
 */
public final class TestEkCa implements AutoCloseable {
    private static final String NAME = "CN=Test EK CA";
    private final Signer key = Signer.generate();
    private final X509Certificate certificate;

    public TestEkCa() throws Exception {
        certificate = issue(NAME, key.verifier().toJcaPublicKey(), true);
    }

    /** The CA's self-signed certificate, what {@code --add-ek-ca} trusts. */
    public X509Certificate certificate() {
        return certificate;
    }

    /** A certificate by this CA for {@code ek}. */
    public X509Certificate certify(PublicKey ek) throws Exception {
        return issue("CN=test EK", ek, false);
    }

    /**
     * Certifies the TPM's EK of {@code type} and writes the certificate to its NV index, unless
     * one is there already (a manufacturer writes it once); returns what NV holds.
     */
    public byte[] provision(TpmConnection tpm, TpmTao tao, TpmTao.EndorsementKeyType type) throws Exception {
        if (EndorsementCertificates.read(tpm, type.nvIndex()).isEmpty()) {
            PublicKey ek = TpmEnrollment.endorsementKey(tao.endorsementKeyPublicArea(type));
            EndorsementCertificates.write(tpm, type.nvIndex(), certify(ek).getEncoded());
        }
        return EndorsementCertificates.read(tpm, type.nvIndex()).orElseThrow();
    }

    private X509Certificate issue(String subjectName, PublicKey subject, boolean isCa) throws Exception {
        Instant now = Instant.now();
        X509v3CertificateBuilder b = new X509v3CertificateBuilder(new X500Name(NAME),
                new BigInteger(64, new SecureRandom()), Date.from(now.minusSeconds(60)),
                Date.from(now.plus(3650, ChronoUnit.DAYS)), new X500Name(subjectName),
                SubjectPublicKeyInfo.getInstance(subject.getEncoded()));
        if (isCa) {
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
        }
        byte[] der = b.build(new X509ContentSigner(key)).getEncoded();
        return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
    }

    @Override
    public void close() {
        key.close();
    }
}
