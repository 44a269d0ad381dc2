package dev.cloudproxy.tao.domain;

import dev.cloudproxy.tao.VerificationException;
import dev.cloudproxy.tao.keys.Signer;
import dev.cloudproxy.tao.keys.Verifier;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.cert.CRLException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509CRLEntry;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Comparator;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.CRLNumber;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.bc.BcX509ExtensionUtils;

/**
 * X.509 v2 certificate revocation lists issued by a domain's policy key: issuer the policy
 * certificate's subject, signed ECDSA-SHA256, a CRL number (increasing with each list), an
 * authority key identifier, {@code thisUpdate} and {@code nextUpdate}, and one entry (serial,
 * revocation time) per revoked program or host certificate. {@code openssl crl} reads them.
 *
 * <p>{@link #verify} is the only way to believe a list: it checks the issuer, the signature by the
 * policy key, the canonical encoding and that the list is current.
 */
public final class RevocationList {
    /** Largest CRL read, PEM or DER. */
    public static final int MAX_BYTES = 4 << 20;
    private static final String ECDSA_SHA256 = X9ObjectIdentifiers.ecdsa_with_SHA256.getId();
    private static final String PEM_BEGIN = "-----BEGIN X509 CRL-----";
    private static final String PEM_END = "-----END X509 CRL-----";

    /** One revoked certificate. */
    public record Entry(BigInteger serial, Instant revokedAt) {
        public Entry {
            Objects.requireNonNull(serial, "serial");
            Objects.requireNonNull(revokedAt, "revokedAt");
            if (serial.signum() <= 0) {
                throw new IllegalArgumentException("a certificate serial is positive");
            }
        }
    }

    private RevocationList() {}

    /**
     * Signs a list with the policy key. A domain's own lists come from
     * {@link Domain#issueRevocationList}, which keeps the numbering; this is public for whoever
     * holds a policy key without a {@link Domain} (tests, and tools that re-sign a list).
     *
     * @throws IllegalArgumentException if {@code nextUpdate} is not after {@code thisUpdate} or
     *     the number is negative
     */
    public static X509CRL issue(Signer policyKey, X509Certificate policyCertificate, Collection<Entry> entries,
            BigInteger number, Instant thisUpdate, Instant nextUpdate) {
        if (!nextUpdate.isAfter(thisUpdate)) {
            throw new IllegalArgumentException("nextUpdate must be after thisUpdate");
        }
        if (number.signum() < 0) {
            throw new IllegalArgumentException("a CRL number is not negative");
        }
        X500Name issuer = X500Name.getInstance(policyCertificate.getSubjectX500Principal().getEncoded());
        X509v2CRLBuilder builder = new X509v2CRLBuilder(issuer, Date.from(thisUpdate));
        builder.setNextUpdate(Date.from(nextUpdate));
        List<Entry> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.comparing(Entry::serial));
        for (Entry e : sorted) {
            builder.addCRLEntry(e.serial(), Date.from(e.revokedAt()), 0);
        }
        try {
            builder.addExtension(Extension.cRLNumber, false, new CRLNumber(number));
            builder.addExtension(Extension.authorityKeyIdentifier, false, new BcX509ExtensionUtils()
                    .createAuthorityKeyIdentifier(SubjectPublicKeyInfo.getInstance(policyKey.verifier().pkix())));
            byte[] der = builder.build(new dev.cloudproxy.tao.keys.X509ContentSigner(policyKey)).getEncoded();
            return parseDer(der);
        } catch (IOException | CRLException e) {
            throw new IllegalStateException("cannot build the CRL", e);
        }
    }

    /**
     * Parses a CRL (DER, or PEM when it starts with the PEM header) and checks that the policy key
     * of {@code policyCertificate} issued it, in canonical DER, and that it is current at
     * {@code at} ({@code thisUpdate} not more than a minute ahead, {@code nextUpdate} not passed).
     *
     * @throws VerificationException if anything does not check out
     */
    public static X509CRL verify(byte[] derOrPem, X509Certificate policyCertificate, Instant at)
            throws VerificationException {
        X509CRL crl = verifySignature(derOrPem, policyCertificate);
        if (crl.getThisUpdate().toInstant().isAfter(at.plusSeconds(60))) {
            throw new VerificationException("the CRL is dated in the future: " + crl.getThisUpdate().toInstant());
        }
        if (crl.getNextUpdate() == null || !crl.getNextUpdate().toInstant().isAfter(at)) {
            throw new VerificationException("the CRL is stale (next update was due "
                    + (crl.getNextUpdate() == null ? "never" : crl.getNextUpdate().toInstant()) + ")");
        }
        return crl;
    }

    /** As {@link #verify}, without the time checks: for reading the domain's own stored list. */
    public static X509CRL verifySignature(byte[] derOrPem, X509Certificate policyCertificate)
            throws VerificationException {
        Objects.requireNonNull(derOrPem, "derOrPem");
        Objects.requireNonNull(policyCertificate, "policyCertificate");
        if (derOrPem.length > MAX_BYTES) {
            throw new VerificationException("a CRL larger than " + MAX_BYTES + " bytes");
        }
        X509CRL crl;
        byte[] der;
        try {
            der = isPem(derOrPem) ? pemToDer(derOrPem) : derOrPem;
            crl = parseDer(der);
        } catch (CRLException e) {
            throw new VerificationException("the CRL does not parse", e);
        }
        if (crl.getVersion() != 2 || !ECDSA_SHA256.equals(crl.getSigAlgOID())) {
            throw new VerificationException("not an X.509 v2 CRL signed ECDSA-SHA256");
        }
        if (!crl.getIssuerX500Principal().equals(policyCertificate.getSubjectX500Principal())) {
            throw new VerificationException("the CRL is not issued by the domain's policy certificate");
        }
        try {
            org.bouncycastle.asn1.x509.CertificateList bc = org.bouncycastle.asn1.x509.CertificateList.getInstance(der);
            if (bc.getSignature().getPadBits() != 0
                    || !bc.getSignatureAlgorithm().equals(bc.getTBSCertList().getSignature())
                    || !java.util.Arrays.equals(der, bc.getEncoded(ASN1Encoding.DER))) {
                throw new VerificationException("the CRL is not in canonical DER");
            }
            Verifier.fromPkix(policyCertificate.getPublicKey().getEncoded())
                    .verify(crl.getTBSCertList(), crl.getSignature());
        } catch (CRLException | IOException | RuntimeException e) {
            // BouncyCastle's ASN.1 classes throw several unchecked types on malformed structures.
            throw new VerificationException("the CRL does not encode", e);
        } catch (VerificationException e) {
            throw new VerificationException("the CRL is not signed by the policy key", e);
        }
        return crl;
    }

    /** The CRL number of a verified list (0 if it has none). */
    public static BigInteger number(X509CRL crl) {
        byte[] ext = crl.getExtensionValue(Extension.cRLNumber.getId());
        if (ext == null) {
            return BigInteger.ZERO;
        }
        try {
            byte[] inner = org.bouncycastle.asn1.ASN1OctetString.getInstance(ext).getOctets();
            return ASN1Integer.getInstance(inner).getPositiveValue();
        } catch (IllegalArgumentException e) {
            return BigInteger.ZERO;
        }
    }

    /** The entries of a verified list. */
    public static List<Entry> entries(X509CRL crl) {
        Set<? extends X509CRLEntry> revoked = crl.getRevokedCertificates();
        if (revoked == null) {
            return List.of();
        }
        List<Entry> out = new ArrayList<>(revoked.size());
        for (X509CRLEntry e : revoked) {
            out.add(new Entry(e.getSerialNumber(), e.getRevocationDate().toInstant()));
        }
        out.sort(Comparator.comparing(Entry::serial));
        return List.copyOf(out);
    }

    /** PEM text of a CRL. */
    public static String toPem(X509CRL crl) {
        try {
            String base64 = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                    .encodeToString(crl.getEncoded());
            return PEM_BEGIN + "\n" + base64 + "\n" + PEM_END + "\n";
        } catch (CRLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean isPem(byte[] bytes) {
        String start = new String(bytes, 0, Math.min(bytes.length, 64), StandardCharsets.US_ASCII).strip();
        return start.startsWith(PEM_BEGIN);
    }

    private static byte[] pemToDer(byte[] pem) throws CRLException {
        String text = new String(pem, StandardCharsets.US_ASCII).strip();
        if (!text.startsWith(PEM_BEGIN) || !text.endsWith(PEM_END)
                || text.indexOf(PEM_BEGIN, 1) >= 0 || text.indexOf(PEM_END) != text.length() - PEM_END.length()) {
            throw new CRLException("not exactly one PEM CRL");
        }
        try {
            return Base64.getMimeDecoder().decode(text.substring(PEM_BEGIN.length(), text.length() - PEM_END.length()));
        } catch (IllegalArgumentException e) {
            throw new CRLException("bad base64 in a PEM CRL");
        }
    }

    private static X509CRL parseDer(byte[] der) throws CRLException {
        try {
            return (X509CRL) CertificateFactory.getInstance("X.509").generateCRL(new ByteArrayInputStream(der));
        } catch (CertificateException e) {
            throw new CRLException("X.509 is not available", e);
        } catch (RuntimeException e) {
            // The JDK's CRL parser has been known to throw unchecked exceptions on odd input.
            throw new CRLException("malformed CRL", e);
        }
    }
}
