package dev.cloudproxy.tao.domain;

import dev.cloudproxy.tao.VerificationException;
import dev.cloudproxy.tao.keys.Signer;
import dev.cloudproxy.tao.keys.Verifier;
import dev.cloudproxy.tao.keys.X509ContentSigner;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.bc.BcX509ExtensionUtils;

/**
 * The self-signed X.509 certificate of a domain's policy key: a CA certificate (basic constraints
 * {@code CA:true}, key usage {@code keyCertSign, cRLSign}, both critical) with subject and issuer
 * {@code C, ST, L, O, OU, CN = domain name}, a random positive 128-bit serial, subject and
 * authority key identifiers, signed ECDSA with SHA-256 by the policy key itself.
 */
public final class PolicyCertificate {
    /** Largest PEM file read. */
    static final int MAX_PEM_BYTES = 64 * 1024;
    private static final String ECDSA_SHA256 = X9ObjectIdentifiers.ecdsa_with_SHA256.getId();
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String PEM_BEGIN = "-----BEGIN CERTIFICATE-----";
    private static final String PEM_END = "-----END CERTIFICATE-----";

    private PolicyCertificate() {}

    /** Makes and signs the certificate, valid from one minute ago for {@code validityDays}. */
    public static X509Certificate create(Signer policyKey, String domainName, DomainTemplate.X509Details details,
            int validityDays) {
        X500Name subject = subject(domainName, details);
        SubjectPublicKeyInfo spki = SubjectPublicKeyInfo.getInstance(policyKey.verifier().pkix());
        Instant now = Instant.now();
        // Positive and exactly 128 bits of randomness: RFC 5280 allows serials up to 20 octets.
        BigInteger serial = new BigInteger(128, RANDOM).setBit(128);
        X509v3CertificateBuilder builder = new X509v3CertificateBuilder(subject, serial,
                Date.from(now.minus(Duration.ofMinutes(1))), Date.from(now.plus(Duration.ofDays(validityDays))),
                subject, spki);
        BcX509ExtensionUtils utils = new BcX509ExtensionUtils();
        try {
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
            builder.addExtension(Extension.keyUsage, true,
                    new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            builder.addExtension(Extension.subjectKeyIdentifier, false, utils.createSubjectKeyIdentifier(spki));
            builder.addExtension(Extension.authorityKeyIdentifier, false, utils.createAuthorityKeyIdentifier(spki));
            return ProgramCertificate.parseDer(builder.build(new X509ContentSigner(policyKey)).getEncoded());
        } catch (IOException | CertificateException e) {
            throw new IllegalStateException("cannot build the policy certificate", e);
        }
    }

    static X500Name subject(String domainName, DomainTemplate.X509Details d) {
        X500NameBuilder b = new X500NameBuilder(BCStyle.INSTANCE);
        addIfPresent(b, BCStyle.C, d.country());
        addIfPresent(b, BCStyle.ST, d.state());
        addIfPresent(b, BCStyle.L, d.locality());
        addIfPresent(b, BCStyle.O, d.organization());
        addIfPresent(b, BCStyle.OU, d.organizationalUnit());
        b.addRDN(BCStyle.CN, domainName);
        return b.build();
    }

    private static void addIfPresent(X500NameBuilder b, ASN1ObjectIdentifier type, String value) {
        if (!value.isEmpty()) {
            b.addRDN(type, value);
        }
    }

    /** PEM text of a certificate. */
    public static String toPem(X509Certificate cert) {
        try {
            String base64 = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                    .encodeToString(cert.getEncoded());
            return PEM_BEGIN + "\n" + base64 + "\n" + PEM_END + "\n";
        } catch (java.security.cert.CertificateEncodingException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Parses a PEM policy certificate and checks it: one certificate, self-issued, a CA for
     * signing certificates, signed ECDSA-SHA256 by its own P-256 key (checked with the strict
     * {@link Verifier}), valid now. Returns the certificate; its key is {@link #policyKey}.
     */
    static X509Certificate verifyPem(byte[] pem, String what) throws DomainException {
        X509Certificate cert;
        try {
            cert = parsePem(pem);
        } catch (CertificateException e) {
            throw new DomainException(what + ": " + e.getMessage(), e);
        }
        check(cert, what);
        return cert;
    }

    /** Parses exactly one PEM certificate of at most {@link #MAX_PEM_BYTES}; checks nothing else. */
    static X509Certificate parsePem(byte[] pem) throws CertificateException {
        if (pem.length > MAX_PEM_BYTES) {
            throw new CertificateException("larger than " + MAX_PEM_BYTES + " bytes");
        }
        String text = new String(pem, StandardCharsets.US_ASCII).strip();
        if (!text.startsWith(PEM_BEGIN) || !text.endsWith(PEM_END)
                || text.indexOf(PEM_BEGIN, 1) >= 0 || text.indexOf(PEM_END) != text.length() - PEM_END.length()) {
            throw new CertificateException("not exactly one PEM certificate");
        }
        try {
            byte[] der = Base64.getMimeDecoder().decode(
                    text.substring(PEM_BEGIN.length(), text.length() - PEM_END.length()));
            return ProgramCertificate.parseDer(der);
        } catch (IllegalArgumentException | CertificateException e) {
            throw new CertificateException("does not parse as an X.509 certificate", e);
        }
    }

    private static void check(X509Certificate cert, String what) throws DomainException {
        if (cert.getVersion() != 3) {
            throw new DomainException(what + ": not an X.509 v3 certificate");
        }
        if (!ECDSA_SHA256.equals(cert.getSigAlgOID())) {
            throw new DomainException(what + ": not signed with ECDSA-SHA256");
        }
        X500Principal subject = cert.getSubjectX500Principal();
        if (!subject.equals(cert.getIssuerX500Principal())) {
            throw new DomainException(what + ": not self-issued");
        }
        if (cert.getBasicConstraints() < 0 || !cert.getCriticalExtensionOIDs().contains(Extension.basicConstraints.getId())) {
            throw new DomainException(what + ": not a CA certificate (basic constraints)");
        }
        boolean[] usage = cert.getKeyUsage();
        if (usage == null || usage.length < 6 || !usage[5]) {
            throw new DomainException(what + ": key usage does not allow signing certificates");
        }
        Verifier key = policyKey(cert, what);
        try {
            key.verify(cert.getTBSCertificate(), cert.getSignature());
        } catch (VerificationException | CertificateException e) {
            throw new DomainException(what + ": the self-signature does not verify", e);
        }
        try {
            cert.checkValidity();
        } catch (CertificateException e) {
            throw new DomainException(what + ": not valid now (" + cert.getNotBefore().toInstant() + " to "
                    + cert.getNotAfter().toInstant() + ")", e);
        }
    }

    /** The policy key of a certificate: its P-256 public key. */
    static Verifier policyKey(X509Certificate cert, String what) throws DomainException {
        try {
            return Verifier.fromPkix(cert.getPublicKey().getEncoded());
        } catch (VerificationException e) {
            throw new DomainException(what + ": the key is not an ECDSA P-256 key", e);
        }
    }

    /** The common name of a certificate's subject (the domain name), or empty if it has none. */
    static String commonName(X509Certificate cert) {
        X500Name name = X500Name.getInstance(cert.getSubjectX500Principal().getEncoded());
        var rdns = name.getRDNs(BCStyle.CN);
        if (rdns.length != 1 || rdns[0].isMultiValued()) {
            return "";
        }
        return rdns[0].getFirst().getValue().toString();
    }
}
