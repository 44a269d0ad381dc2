package dev.cloudproxy.tao.tpm;

import dev.cloudproxy.tao.DecryptionException;
import dev.cloudproxy.tao.TaoException;
import dev.cloudproxy.tao.VerificationException;
import dev.cloudproxy.tao.attestation.Attestation;
import dev.cloudproxy.tao.attestation.AttestationVerifier;
import dev.cloudproxy.tao.attestation.Tpm2Quote;
import dev.cloudproxy.tao.attestation.VerifiedStatement;
import dev.cloudproxy.tao.keys.Crypter;
import dev.cloudproxy.tao.keys.Signer;
import dev.cloudproxy.tao.keys.X509ContentSigner;
import dev.cloudproxy.tao.keys.Verifier;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import tss.tpm.TPMA_OBJECT;
import tss.tpm.TPMS_ECC_PARMS;
import tss.tpm.TPMT_PUBLIC;
import tss.tpm.TPM_ALG_ID;

/**
 * The service side of certifying a TPM attestation key (the CloudProxy papers' "attest service"):
 * given a TPM's endorsement key (EK) with its certificate, an attestation key (AK) and a quote by
 * that AK, it issues an AK certificate signed by the policy key, encrypted so that only the TPM
 * holding both the EK and the AK can read it ({@code TPM2_MakeCredential} /
 * {@code TPM2_ActivateCredential}).
 *
 * <p>Checks, each failing with {@link VerificationException}: the EK certificate is signed by one
 * of the trusted EK issuers (a TPM manufacturer; in development, the policy key, see
 * {@link #developmentEkCertificate}) and certifies exactly the EK in the request; the EK is an
 * ECC P-256 restricted decryption key; the AK is a restricted ECDSA P-256 signing key that cannot
 * leave its TPM ({@code fixedTPM}, {@code fixedParent}, {@code sensitiveDataOrigin}); the quote is
 * a valid {@code tpm2} attestation by that AK. The credential binds the AK's TPM name, so a TPM
 * that holds the EK but not this AK (or an AK without these attributes) learns nothing.
 *
 * <p>The certificate's subject common name is {@code tpm2 AK} and the first 16 bytes (hex) of the
 * AK principal's hash; the principal {@code tpm2([..])} is the SHA-256 of its key. It says that
 * the policy key believes that key lives in a TPM. Which PCR values to accept is the relying
 * party's policy, decided per attestation, not here.
 */
public final class AkCertifier {
    /** How long an AK certificate is valid. */
    public static final Duration VALIDITY = Duration.ofDays(365);
    private static final int AK_ATTRIBUTES = new TPMA_OBJECT(TPMA_OBJECT.fixedTPM, TPMA_OBJECT.fixedParent,
            TPMA_OBJECT.sensitiveDataOrigin, TPMA_OBJECT.userWithAuth, TPMA_OBJECT.restricted, TPMA_OBJECT.sign).toInt();
    private static final int EK_REQUIRED = new TPMA_OBJECT(TPMA_OBJECT.fixedTPM, TPMA_OBJECT.fixedParent,
            TPMA_OBJECT.restricted, TPMA_OBJECT.decrypt).toInt();
    private static final int SIGN = TPMA_OBJECT.sign.toInt();
    private static final int MAX_AREA = 1024;
    private static final int MAX_CERTIFICATE = 16 * 1024;

    private final Signer policyKey;
    private final List<Verifier> trustedEkIssuers;
    private final AttestationVerifier verifier;
    private final SecureRandom random = new SecureRandom();

    /**
     * @param policyKey signs AK certificates (the caller keeps ownership)
     * @param trustedEkIssuers keys whose EK certificates are believed
     */
    public AkCertifier(Signer policyKey, List<Verifier> trustedEkIssuers, AttestationVerifier verifier) {
        this.policyKey = Objects.requireNonNull(policyKey, "policyKey");
        this.trustedEkIssuers = List.copyOf(trustedEkIssuers);
        this.verifier = Objects.requireNonNull(verifier, "verifier");
    }

    /** What the AK's owner sends. */
    public record Request(byte[] akPublicArea, byte[] ekPublicArea, byte[] ekCertificate, byte[] quote) {
        public Request {
            akPublicArea = akPublicArea.clone();
            ekPublicArea = ekPublicArea.clone();
            ekCertificate = ekCertificate.clone();
            quote = quote.clone();
        }

        @Override
        public byte[] akPublicArea() {
            return akPublicArea.clone();
        }

        @Override
        public byte[] ekPublicArea() {
            return ekPublicArea.clone();
        }

        @Override
        public byte[] ekCertificate() {
            return ekCertificate.clone();
        }

        @Override
        public byte[] quote() {
            return quote.clone();
        }
    }

    /** The answer: a credential blob for ActivateCredential and the AK certificate encrypted under the credential. */
    public record Response(byte[] integrityHmac, byte[] encIdentity, byte[] encryptedSecret, byte[] encryptedCertificate) {
        public Response {
            integrityHmac = integrityHmac.clone();
            encIdentity = encIdentity.clone();
            encryptedSecret = encryptedSecret.clone();
            encryptedCertificate = encryptedCertificate.clone();
        }

        @Override
        public byte[] integrityHmac() {
            return integrityHmac.clone();
        }

        @Override
        public byte[] encIdentity() {
            return encIdentity.clone();
        }

        @Override
        public byte[] encryptedSecret() {
            return encryptedSecret.clone();
        }

        @Override
        public byte[] encryptedCertificate() {
            return encryptedCertificate.clone();
        }
    }

    /**
     * Checks the request and answers it with an encrypted AK certificate.
     *
     * @throws VerificationException naming the check that failed
     */
    public Response certify(Request request) throws VerificationException {
        TPMT_PUBLIC ek = area(request.ekPublicArea(), "EK");
        TPMT_PUBLIC ak = area(request.akPublicArea(), "AK");
        if ((ek.objectAttributes.toInt() & (EK_REQUIRED | SIGN)) != EK_REQUIRED || !isP256(ek)) {
            throw new VerificationException("the EK is not an ECC P-256 restricted decryption key of its TPM");
        }
        if (ak.objectAttributes.toInt() != AK_ATTRIBUTES || !isP256(ak)
                || ((TPMS_ECC_PARMS) ak.parameters).schemeScheme() != TPM_ALG_ID.ECDSA) {
            throw new VerificationException("the AK is not a restricted ECDSA P-256 key fixed to its TPM");
        }
        Verifier ekKey = Templates.eccPublicKey(ek);
        Verifier akKey = Templates.eccPublicKey(ak);
        X509Certificate ekCert = certificate(request.ekCertificate(), "EK certificate");
        if (!Arrays.equals(ekCert.getPublicKey().getEncoded(), ekKey.pkix())) {
            throw new VerificationException("the EK certificate is for another key");
        }
        if (!signedByOneOf(ekCert, trustedEkIssuers)) {
            throw new VerificationException("the EK certificate is not signed by a trusted EK issuer");
        }
        VerifiedStatement quote = verifier.verify(request.quote());
        if (!quote.signer().equals(Tpm2Quote.akPrincipal(akKey))) {
            throw new VerificationException("the quote is not by the AK in the request");
        }
        byte[] akName = name(request.akPublicArea());
        byte[] credential = new byte[32];
        random.nextBytes(credential);
        try {
            byte[] cert = issue(akKey);
            MakeCredential.Result blob = MakeCredential.make(MakeCredential.publicKey(ekKey.pkix()), akName, credential, random);
            byte[] encrypted;
            try (Crypter c = Crypter.fromSecretKeyMaterial(credential)) {
                encrypted = c.encrypt(cert, akName);
            }
            return new Response(blob.integrityHmac(), blob.encIdentity(), blob.encryptedSecret(), encrypted);
        } catch (GeneralSecurityException | IOException e) {
            throw new VerificationException("cannot make the credential: " + e.getMessage(), e);
        } finally {
            Arrays.fill(credential, (byte) 0);
        }
    }

    /** Decrypts the certificate with the credential ActivateCredential recovered (the AK owner's side). */
    static X509Certificate openCertificate(Response response, byte[] credential, byte[] akName, Verifier ak)
            throws TaoException {
        byte[] der;
        try (Crypter c = Crypter.fromSecretKeyMaterial(credential)) {
            der = c.decrypt(response.encryptedCertificate(), akName);
        } catch (DecryptionException | IllegalArgumentException e) {
            throw new VerificationException("the AK certificate does not decrypt with the activated credential");
        }
        X509Certificate cert = certificate(der, "AK certificate");
        if (!Arrays.equals(cert.getPublicKey().getEncoded(), ak.pkix())) {
            throw new VerificationException("the AK certificate is for another key");
        }
        return cert;
    }

    /**
     * A development EK certificate: the policy key vouches for an EK, standing in for the TPM
     * manufacturer's certificate (swtpm has none by default). Trust it only in development.
     */
    public static X509Certificate developmentEkCertificate(Signer policyKey, byte[] ekPublicArea)
            throws VerificationException {
        Verifier ek = Templates.eccPublicKey(area(ekPublicArea, "EK"));
        try {
            return certificate(build(policyKey, "Tao development EK issuer", "Tao development EK", ek), "EK certificate");
        } catch (IOException e) {
            throw new VerificationException("cannot issue the EK certificate: " + e.getMessage(), e);
        }
    }

    /** Verifies that {@code akCertificate} is signed by {@code policyKey} and returns the AK's principal's key. */
    public static Verifier verifyAkCertificate(X509Certificate akCertificate, Verifier policyKey) throws VerificationException {
        if (!signedByOneOf(akCertificate, List.of(policyKey))) {
            throw new VerificationException("the AK certificate is not signed by the policy key");
        }
        try {
            akCertificate.checkValidity();
        } catch (GeneralSecurityException e) {
            throw new VerificationException("the AK certificate is not valid now");
        }
        return Verifier.fromPkix(akCertificate.getPublicKey().getEncoded());
    }

    private byte[] issue(Verifier ak) throws IOException {
        // RFC 5280 caps a common name at 64 characters; the full principal follows from the key.
        String hash = ((dev.cloudproxy.tao.auth.Bytes) Tpm2Quote.akPrincipal(ak).key()).hex();
        return build(policyKey, "Tao policy key", "tpm2 AK " + hash.substring(0, 32), ak);
    }

    private static byte[] build(Signer issuer, String issuerName, String subjectName, Verifier subject) throws IOException {
        Instant now = Instant.now();
        byte[] serial = new byte[16];
        new SecureRandom().nextBytes(serial);
        X509v3CertificateBuilder b = new X509v3CertificateBuilder(
                new X500Name("CN=" + issuerName), new BigInteger(1, serial),
                Date.from(now.minusSeconds(60)), Date.from(now.plus(VALIDITY)),
                new X500Name("CN=" + subjectName.replace(",", "\\,").replace("\"", "\\\"")),
                SubjectPublicKeyInfo.getInstance(subject.pkix()));
        return b.build(new X509ContentSigner(issuer)).getEncoded();
    }

    private static boolean signedByOneOf(X509Certificate cert, List<Verifier> issuers) {
        for (Verifier v : issuers) {
            try {
                cert.verify(v.toJcaPublicKey());
                return true;
            } catch (GeneralSecurityException wrongKey) {
                // try the next
            }
        }
        return false;
    }

    private static X509Certificate certificate(byte[] der, String what) throws VerificationException {
        if (der.length > MAX_CERTIFICATE) {
            throw new VerificationException(what + " is too large");
        }
        try {
            return (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(der));
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new VerificationException(what + " is not an X.509 certificate");
        }
    }

    /** Parses a public area with TSS.Java, accepting only bytes that re-encode identically. */
    static TPMT_PUBLIC area(byte[] bytes, String what) throws VerificationException {
        if (bytes.length > MAX_AREA) {
            throw new VerificationException(what + " public area is too large");
        }
        try {
            TPMT_PUBLIC p = TPMT_PUBLIC.fromTpm(bytes);
            if (Arrays.equals(p.toTpm(), bytes) && p.nameAlg == TPM_ALG_ID.SHA256) {
                return p;
            }
        } catch (RuntimeException malformed) {
            // falls through
        }
        throw new VerificationException(what + " public area is malformed or not SHA-256 named");
    }

    private static boolean isP256(TPMT_PUBLIC p) {
        return p.parameters instanceof TPMS_ECC_PARMS e && e.curveID == tss.tpm.TPM_ECC_CURVE.NIST_P256;
    }

    /** The TPM name of a SHA-256-named object: 0x000b || SHA-256(public area). */
    static byte[] name(byte[] publicArea) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(publicArea);
            byte[] out = new byte[2 + h.length];
            out[1] = 0x0b;
            System.arraycopy(h, 0, out, 2, h.length);
            return out;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }
}
