package dev.cloudproxy.tao.domain;

import dev.cloudproxy.tao.VerificationException;
import dev.cloudproxy.tao.auth.AuthFormatException;
import dev.cloudproxy.tao.auth.AuthText;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.keys.Signer;
import dev.cloudproxy.tao.keys.Verifier;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.bc.BcX509ExtensionUtils;

/**
 * X.509 certificates that the policy key issues to a Tao principal's key: program certificates
 * from the domain service, host certificates from {@code tao host init}. One format for both:
 *
 * <ul>
 *   <li>issuer: the policy certificate's subject; signed ECDSA-SHA256 by the policy key;
 *   <li>subject: the policy certificate's C, ST, L, O; {@code OU} = the principal's text;
 *       {@code CN} = {@code tao } followed by the first 16 hex digits of the SHA-256 of the
 *       principal's binary encoding (short, stable, and no longer than X.520 allows);
 *   <li>subject alternative name: one URI {@code tao:<principal text, percent-encoded>} (every
 *       byte of the UTF-8 text except RFC 3986 unreserved characters is percent-encoded);
 *   <li>random positive 128-bit serial; basic constraints {@code CA:false} (critical); key usage
 *       {@code digitalSignature} (critical); extended key usage {@code serverAuth, clientAuth};
 *       subject and authority key identifiers;
 *   <li>valid from one minute before issuance for the requested lifetime, but never past the
 *       policy certificate's own expiry.
 * </ul>
 *
 * <p>{@link #verify} is the only way to get a principal out of a certificate: the principal comes
 * from a certificate whose signature by the policy key, validity and shape were checked, never from
 * an unverified field. The SAN URI is authoritative; the OU must agree with it.
 */
public final class ProgramCertificate {
    /** The URI scheme of the subject alternative name. */
    public static final String URI_SCHEME = "tao";
    /** Longest principal text accepted in a certificate (bytes of UTF-8). */
    public static final int MAX_PRINCIPAL_TEXT = 8 * 1024;
    private static final String ECDSA_SHA256 = X9ObjectIdentifiers.ecdsa_with_SHA256.getId();
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Duration BACKDATE = Duration.ofMinutes(1);
    private static final int SAN_URI = 6;

    private ProgramCertificate() {}

    /**
     * Issues a certificate for {@code subjectKey} naming {@code principal}, signed by
     * {@code policyKey}, whose certificate is {@code policyCertificate}.
     *
     * @throws IllegalArgumentException if {@code policyKey} is not the key of
     *     {@code policyCertificate}, the lifetime is not positive, or the policy certificate has
     *     expired at {@code now}
     */
    public static X509Certificate issue(Signer policyKey, X509Certificate policyCertificate, Verifier subjectKey,
            Prin principal, Duration lifetime, Instant now) {
        Objects.requireNonNull(policyKey, "policyKey");
        Objects.requireNonNull(policyCertificate, "policyCertificate");
        Objects.requireNonNull(subjectKey, "subjectKey");
        Objects.requireNonNull(principal, "principal");
        Objects.requireNonNull(lifetime, "lifetime");
        Objects.requireNonNull(now, "now");
        if (lifetime.isNegative() || lifetime.isZero()) {
            throw new IllegalArgumentException("lifetime must be positive");
        }
        SubjectPublicKeyInfo issuerSpki = SubjectPublicKeyInfo.getInstance(policyKey.verifier().pkix());
        if (!java.util.Arrays.equals(policyKey.verifier().pkix(), policyCertificate.getPublicKey().getEncoded())) {
            throw new IllegalArgumentException("the signing key is not the policy certificate's key");
        }
        Instant policyExpiry = policyCertificate.getNotAfter().toInstant();
        if (!now.isBefore(policyExpiry)) {
            throw new IllegalArgumentException("the policy certificate expired at " + policyExpiry);
        }
        String text = AuthText.print(principal);
        if (text.getBytes(StandardCharsets.UTF_8).length > MAX_PRINCIPAL_TEXT) {
            throw new IllegalArgumentException("the principal name is longer than " + MAX_PRINCIPAL_TEXT + " bytes");
        }
        Instant notAfter = now.plus(lifetime);
        if (notAfter.isAfter(policyExpiry)) {
            notAfter = policyExpiry;
        }
        X500Name issuer = X500Name.getInstance(policyCertificate.getSubjectX500Principal().getEncoded());
        SubjectPublicKeyInfo spki = SubjectPublicKeyInfo.getInstance(subjectKey.pkix());
        BigInteger serial = new BigInteger(128, RANDOM).setBit(128);
        X509v3CertificateBuilder builder = new X509v3CertificateBuilder(issuer, serial,
                Date.from(now.minus(BACKDATE)), Date.from(notAfter), subject(issuer, principal, text), spki);
        BcX509ExtensionUtils utils = new BcX509ExtensionUtils();
        try {
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
            builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(
                    new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
            builder.addExtension(Extension.subjectAlternativeName, false,
                    new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, toUri(principal))));
            builder.addExtension(Extension.subjectKeyIdentifier, false, utils.createSubjectKeyIdentifier(spki));
            builder.addExtension(Extension.authorityKeyIdentifier, false,
                    utils.createAuthorityKeyIdentifier(issuerSpki));
            return parseDer(builder.build(new dev.cloudproxy.tao.keys.X509ContentSigner(policyKey)).getEncoded());
        } catch (IOException | CertificateException e) {
            throw new IllegalStateException("cannot build the certificate", e);
        }
    }

    private static X500Name subject(X500Name issuer, Prin principal, String text) {
        X500NameBuilder b = new X500NameBuilder(BCStyle.INSTANCE);
        for (var type : List.of(BCStyle.C, BCStyle.ST, BCStyle.L, BCStyle.O)) {
            for (RDN rdn : issuer.getRDNs(type)) {
                b.addRDN(rdn.getFirst());
            }
        }
        b.addRDN(BCStyle.OU, text);
        byte[] hash = sha256(principal.encode());
        b.addRDN(BCStyle.CN, "tao " + HexFormat.of().formatHex(hash, 0, 8));
        return b.build();
    }

    private static byte[] sha256(byte[] data) {
        try {
            return java.security.MessageDigest.getInstance("SHA-256").digest(data);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("the platform has no SHA-256", e);
        }
    }

    /** {@code tao:} followed by the percent-encoded text of {@code principal}. */
    public static String toUri(Prin principal) {
        byte[] utf8 = AuthText.print(principal).getBytes(StandardCharsets.UTF_8);
        StringBuilder sb = new StringBuilder(URI_SCHEME.length() + 1 + utf8.length * 3);
        sb.append(URI_SCHEME).append(':');
        for (byte b : utf8) {
            int c = b & 0xff;
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '-' || c == '.' || c == '_' || c == '~') {
                sb.append((char) c);
            } else {
                sb.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
            }
        }
        return sb.toString();
    }

    /**
     * The principal named by a {@code tao:} URI, as made by {@link #toUri}.
     *
     * @throws VerificationException if it is not such a URI or does not name a principal
     */
    public static Prin fromUri(String uri) throws VerificationException {
        String prefix = URI_SCHEME + ":";
        if (uri.length() > prefix.length() + 3 * MAX_PRINCIPAL_TEXT || !uri.startsWith(prefix)) {
            throw new VerificationException("not a tao: URI of bounded length");
        }
        var out = new java.io.ByteArrayOutputStream(uri.length());
        for (int i = prefix.length(); i < uri.length(); i++) {
            char c = uri.charAt(i);
            if (c == '%') {
                int hi = i + 1 < uri.length() ? Character.digit(uri.charAt(i + 1), 16) : -1;
                int lo = i + 2 < uri.length() ? Character.digit(uri.charAt(i + 2), 16) : -1;
                if (hi < 0 || lo < 0) {
                    throw new VerificationException("bad percent escape in a tao: URI at offset " + i);
                }
                out.write(hi << 4 | lo);
                i += 2;
            } else if (c < 0x80 && c > 0x20) {
                out.write(c);
            } else {
                throw new VerificationException("a tao: URI has a character that must be escaped at offset " + i);
            }
        }
        try {
            String text = StandardCharsets.UTF_8.newDecoder()
                    .decode(java.nio.ByteBuffer.wrap(out.toByteArray())).toString();
            return AuthText.parsePrin(text);
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new VerificationException("a tao: URI is not UTF-8", e);
        } catch (AuthFormatException e) {
            throw new VerificationException("a tao: URI does not name a principal: " + e.getMessage(), e);
        }
    }

    /**
     * Checks that {@code cert} was issued by the key of {@code policyCertificate} in the format
     * above and is valid at {@code at}, and returns the principal it names.
     *
     * @throws VerificationException if anything does not check out
     */
    public static Prin verify(X509Certificate cert, X509Certificate policyCertificate, Instant at)
            throws VerificationException {
        Objects.requireNonNull(cert, "cert");
        Objects.requireNonNull(policyCertificate, "policyCertificate");
        Objects.requireNonNull(at, "at");
        if (cert.getVersion() != 3 || !ECDSA_SHA256.equals(cert.getSigAlgOID())) {
            throw new VerificationException("not an X.509 v3 certificate signed ECDSA-SHA256");
        }
        if (!cert.getIssuerX500Principal().equals(policyCertificate.getSubjectX500Principal())) {
            throw new VerificationException("not issued by the domain's policy certificate");
        }
        checkCanonical(cert);
        Verifier policyKey;
        try {
            policyKey = Verifier.fromPkix(policyCertificate.getPublicKey().getEncoded());
            policyKey.verify(cert.getTBSCertificate(), cert.getSignature());
        } catch (CertificateException e) {
            throw new VerificationException("the certificate does not encode", e);
        } catch (VerificationException e) {
            throw new VerificationException("the certificate is not signed by the policy key", e);
        }
        Date when = Date.from(at);
        if (when.before(cert.getNotBefore()) || when.after(cert.getNotAfter())) {
            throw new VerificationException("the certificate is not valid at " + at + " (valid "
                    + cert.getNotBefore().toInstant() + " to " + cert.getNotAfter().toInstant() + ")");
        }
        if (cert.getBasicConstraints() >= 0) {
            throw new VerificationException("a program certificate must not be a CA certificate");
        }
        try {
            Verifier.fromPkix(cert.getPublicKey().getEncoded());
        } catch (VerificationException e) {
            throw new VerificationException("the certified key is not an ECDSA P-256 key", e);
        }
        Prin principal = principalField(cert);
        String ou = organizationalUnit(cert);
        if (!ou.equals(AuthText.print(principal))) {
            throw new VerificationException("the subject OU does not match the certificate's principal URI");
        }
        return principal;
    }

    /**
     * The parts outside the signed TBS structure are not covered by the signature, so they must
     * be the one canonical encoding: no unused bits in the signature bit string, the same
     * algorithm inside and outside, strict DER throughout.
     */
    private static void checkCanonical(X509Certificate cert) throws VerificationException {
        try {
            byte[] der = cert.getEncoded();
            org.bouncycastle.asn1.x509.Certificate bc = org.bouncycastle.asn1.x509.Certificate.getInstance(der);
            if (bc.getSignature().getPadBits() != 0
                    || !bc.getSignatureAlgorithm().equals(bc.getTBSCertificate().getSignature())
                    || !java.util.Arrays.equals(der, bc.getEncoded(org.bouncycastle.asn1.ASN1Encoding.DER))) {
                throw new VerificationException("the certificate is not in canonical DER");
            }
        } catch (CertificateException | IOException | RuntimeException e) {
            // BouncyCastle reports malformed DER with unchecked exceptions of several kinds.
            throw new VerificationException("the certificate does not encode", e);
        }
    }

    private static Prin principalField(X509Certificate cert) throws VerificationException {
        Collection<List<?>> names;
        try {
            names = cert.getSubjectAlternativeNames();
        } catch (CertificateParsingException e) {
            throw new VerificationException("the subject alternative names do not parse", e);
        }
        List<String> uris = new ArrayList<>();
        if (names != null) {
            for (List<?> name : names) {
                if (name.size() == 2 && Integer.valueOf(SAN_URI).equals(name.get(0)) && name.get(1) instanceof String s
                        && s.startsWith(URI_SCHEME + ":")) {
                    uris.add(s);
                }
            }
        }
        if (uris.size() != 1) {
            throw new VerificationException("expected exactly one tao: URI in the subject alternative names, found "
                    + uris.size());
        }
        return fromUri(uris.get(0));
    }

    private static String organizationalUnit(X509Certificate cert) throws VerificationException {
        X500Name name;
        try {
            name = X500Name.getInstance(cert.getSubjectX500Principal().getEncoded());
        } catch (RuntimeException e) {
            throw new VerificationException("the subject name does not parse", e);
        }
        RDN[] rdns = name.getRDNs(BCStyle.OU);
        if (rdns.length != 1 || rdns[0].isMultiValued()) {
            throw new VerificationException("expected exactly one OU in the subject");
        }
        return rdns[0].getFirst().getValue().toString();
    }

    /** PEM text of a certificate. */
    public static String toPem(X509Certificate cert) {
        return PolicyCertificate.toPem(cert);
    }

    /**
     * Parses one PEM certificate, bounded to 64 KiB, without checking anything else; use
     * {@link #verify} before believing it.
     *
     * @throws CertificateException if it is not exactly one PEM X.509 certificate
     */
    public static X509Certificate parsePem(byte[] pem) throws CertificateException {
        return PolicyCertificate.parsePem(pem);
    }

    /** Parses one DER certificate, without checking anything else. */
    public static X509Certificate parseDer(byte[] der) throws CertificateException {
        if (der.length > PolicyCertificate.MAX_PEM_BYTES) {
            throw new CertificateException("a certificate larger than " + PolicyCertificate.MAX_PEM_BYTES + " bytes");
        }
        CertificateFactory factory = CertificateFactory.getInstance("X.509");
        List<? extends java.security.cert.Certificate> all =
                List.copyOf(factory.generateCertificates(new ByteArrayInputStream(der)));
        if (all.size() != 1 || !(all.get(0) instanceof X509Certificate cert)) {
            throw new CertificateException("expected one X.509 certificate");
        }
        return cert;
    }
}
