package dev.cloudproxy.tao.launch;

import dev.cloudproxy.tao.VerificationException;
import dev.cloudproxy.tao.attestation.Attestation;
import dev.cloudproxy.tao.attestation.AttestationVerifier;
import dev.cloudproxy.tao.attestation.VerifiedStatement;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.domain.ProgramCertificate;
import dev.cloudproxy.tao.domain.RevocationList;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateException;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;

/**
 * Verifies a launch record offline, with nothing but the domain's policy certificate (and, for
 * revocation, the domain's CRL). A record is accepted only if every one of these holds at the
 * verification time (now unless {@link #at} says otherwise):
 *
 * <ol>
 *   <li>the host certificate is a certificate the policy key issued, valid now
 *       ({@link ProgramCertificate#verify}), and, when a CRL is given, the CRL verifies against
 *       the policy certificate, is current, and does not list it;
 *   <li>the record is an attestation that verifies ({@link AttestationVerifier}: signatures, every
 *       delegation down to the root, the intersection of the time windows contains now; on a
 *       TPM-rooted host the innermost level is a quote);
 *   <li>its top level is signed by the key the host certificate certifies, for the name the
 *       certificate names (or an extension of it): a record signed by another host's key fails,
 *       even if that host is of the same domain;
 *   <li>its message is {@code Launched(...)} ({@link LaunchRecord}) and the program it names
 *       extends the host's name (a host speaks for its programs only);
 *   <li>the nonce is the one the verifier expects: a record made for another nonce fails;
 *   <li>when the output is given, its SHA-256 is the one in the record: one changed byte fails.
 * </ol>
 * Each failure is a {@link VerificationException} naming the check. Immutable and thread-safe.
 */
public final class LaunchRecordVerifier {
    private final X509Certificate policyCertificate;
    private final byte[] crl;
    private final Instant at;

    private LaunchRecordVerifier(X509Certificate policyCertificate, byte[] crl, Instant at) {
        this.policyCertificate = policyCertificate;
        this.crl = crl;
        this.at = at;
    }

    /** A verifier trusting the domain of {@code policyCertificate}, checking at the current time, without a CRL. */
    public static LaunchRecordVerifier forDomain(X509Certificate policyCertificate) {
        return new LaunchRecordVerifier(Objects.requireNonNull(policyCertificate, "policyCertificate"), null, null);
    }

    /** This verifier also refusing host certificates the domain's CRL ({@code derOrPem}) lists. */
    public LaunchRecordVerifier withCrl(byte[] derOrPem) {
        return new LaunchRecordVerifier(policyCertificate, derOrPem.clone(), at);
    }

    /** This verifier checking as of {@code time} instead of now. */
    public LaunchRecordVerifier at(Instant time) {
        return new LaunchRecordVerifier(policyCertificate, crl, Objects.requireNonNull(time, "time"));
    }

    /** Whether this verifier checks revocation (a CRL was given). */
    public boolean checksRevocation() {
        return crl != null;
    }

    /**
     * Verifies {@code record} (a serialized attestation) signed under {@code hostCertificate}
     * (DER) for {@code nonce}; the output is not checked.
     */
    public VerifiedLaunch verify(byte[] record, byte[] hostCertificate, byte[] nonce) throws VerificationException {
        Instant now = at != null ? at : Instant.now();
        X509Certificate cert;
        try {
            cert = ProgramCertificate.parseDer(hostCertificate);
        } catch (CertificateException | RuntimeException e) {
            throw new VerificationException("the host certificate does not parse");
        }
        Prin certified;
        try {
            certified = ProgramCertificate.verify(cert, policyCertificate, now);
        } catch (VerificationException e) {
            throw new VerificationException("the host certificate does not verify: " + e.getMessage(), e);
        }
        if (crl != null) {
            X509CRL list;
            try {
                list = RevocationList.verify(crl, policyCertificate, now);
            } catch (VerificationException e) {
                throw new VerificationException("the CRL does not verify: " + e.getMessage(), e);
            }
            if (list.isRevoked(cert)) {
                throw new VerificationException("the host certificate " + cert.getSerialNumber().toString(16)
                        + " is revoked");
            }
        }
        Attestation attestation = Attestation.parse(record);
        VerifiedStatement statement;
        try {
            statement = AttestationVerifier.at(now.getEpochSecond()).verify(attestation);
        } catch (VerificationException e) {
            throw new VerificationException("the record's signature chain does not verify: " + e.getMessage(), e);
        }
        if (!Arrays.equals(attestation.signerKey().pkix(), cert.getPublicKey().getEncoded())) {
            throw new VerificationException("the record is not signed by the key of the host certificate");
        }
        Prin host = statement.speaker();
        if (!host.isIdenticalOrExtensionOf(certified)) {
            throw new VerificationException("the record's speaker " + statement.speaker()
                    + " is not the host the certificate names, " + certified);
        }
        LaunchRecord launched = LaunchRecord.fromForm(statement.statement().message())
                .orElseThrow(() -> new VerificationException("the statement is not a launch record"));
        if (!launched.program().isIdenticalOrExtensionOf(host) || launched.program().equals(host)) {
            throw new VerificationException("the record names " + launched.program()
                    + ", which is not a program of the host " + host);
        }
        if (!MessageDigest.isEqual(launched.nonce(), Objects.requireNonNull(nonce, "nonce"))) {
            throw new VerificationException("the record was made for another nonce");
        }
        Attestation innermost = attestation;
        while (innermost.delegation().isPresent()) {
            innermost = innermost.delegation().get();
        }
        boolean tpm = innermost.signerType().equals(Attestation.SIGNER_TYPE_TPM2);
        long issued = statement.statement().from().orElse(0);
        return new VerifiedLaunch(launched, host, issued, tpm);
    }

    /** As {@link #verify(byte[], byte[], byte[])}, and {@code output} must be what the record covers. */
    public VerifiedLaunch verify(byte[] record, byte[] hostCertificate, byte[] nonce, byte[] output)
            throws VerificationException {
        VerifiedLaunch v = verify(record, hostCertificate, nonce);
        byte[] digest;
        try {
            digest = MessageDigest.getInstance("SHA-256").digest(output);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("no SHA-256", e);
        }
        if (!MessageDigest.isEqual(digest, v.record().outputSha256())) {
            throw new VerificationException("the output is not the one the record covers (SHA-256 differs)");
        }
        return v;
    }

    @Override
    public String toString() {
        return "LaunchRecordVerifier[" + policyCertificate.getSubjectX500Principal() + (crl != null ? ", CRL" : "")
                + "]";
    }
}
