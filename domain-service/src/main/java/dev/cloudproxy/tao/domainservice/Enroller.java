package dev.cloudproxy.tao.domainservice;

import dev.cloudproxy.tao.VerificationException;
import dev.cloudproxy.tao.attestation.AttestationVerifier;
import dev.cloudproxy.tao.attestation.Tpm2Quote;
import dev.cloudproxy.tao.attestation.VerifiedStatement;
import dev.cloudproxy.tao.auth.Pred;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.PrinTail;
import dev.cloudproxy.tao.auth.SubPrin;
import dev.cloudproxy.tao.domain.Domain;
import dev.cloudproxy.tao.domain.Enrollment;
import dev.cloudproxy.tao.domain.PolicyFacts;
import dev.cloudproxy.tao.domain.ProgramCertificate;
import dev.cloudproxy.tao.guard.Guard;
import dev.cloudproxy.tao.guard.GuardException;
import dev.cloudproxy.tao.keys.Verifier;
import dev.cloudproxy.tao.tpm.TpmEnrollment;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The domain service's side of TPM host enrolment ({@link Enrollment}): decides, without the
 * network, whether a TPM-rooted host gets its host certificate.
 *
 * <p>{@link Session#begin} (first request; the host key was parsed as a P-256 key with the
 * request) refuses unless
 * <ol>
 *   <li>the EK public area is a restricted decryption key fixed to its TPM (ECC P-256 or RSA 2048)
 *       and the first certificate sent certifies exactly that key;
 *   <li>the certificates sent form a chain, each signed by the next, valid now, every issuer a CA
 *       ({@code basicConstraints}), that reaches a certificate whose key the guard trusts as an EK
 *       CA ({@code TrustedEkCa([sha256 of its SubjectPublicKeyInfo])}, {@link PolicyFacts#trustedEkCa});
 *   <li>the AK is a restricted ECDSA P-256 signing key with {@code fixedTPM} and {@code fixedParent}
 *       ({@link TpmEnrollment#attestationKey}).
 * </ol>
 * and then answers a challenge: a fresh 32-byte nonce and {@code TPM2_MakeCredential} of a fresh
 * 32-byte secret for that EK and the AK's TPM name. {@link Session#finish} (second request, same
 * connection) refuses unless
 * <ol start="4">
 *   <li>a challenge of this session is outstanding and younger than {@link #CHALLENGE_LIFETIME}
 *       (it is consumed by the first finish, whatever the outcome: single use);
 *   <li>the credential sent equals the secret (compared in constant time): the TPM that holds the
 *       certified EK released it for an object with the AK's name, so the AK is resident there;
 *   <li>the attestation verifies ({@link AttestationVerifier}: the quote's signature by the AK, its
 *       nonce binding the statement, the PCR digest against the values in the name), is signed by
 *       exactly that AK, and says exactly {@link Enrollment#statement} for the
 *       host key sent and this challenge's nonce, spoken by {@code tpm2([ak]).PCRs(..).G} (G: the
 *       one extension the host appends, its guard);
 *   <li>the guard holds {@code TrustedTpmPcrs(ext.PCRs(..))} for the quoted values.
 * </ol>
 * Only then does it issue a host certificate for the host key naming {@code tpm2([ak]).PCRs(..).G}
 * (as {@code tao host init --tpm2 --domain} gets from the policy key), record it, and add
 * {@code TrustedTpm(tpm2([ak]))} to the policy (signed by the policy key) unless the guard already
 * holds it: the service's verified statement that the key is resident in a TPM of a trusted
 * manufacturer, standing in for the operator's {@code --add-tpm2}.
 *
 * <p>Reasons name the check that failed; they never carry the credential. Thread-safe; a
 * {@link Session} belongs to one connection and is used by one thread.
 */
public final class Enroller {
    /** How long a challenge can be answered. */
    public static final Duration CHALLENGE_LIFETIME = Duration.ofSeconds(60);
    private static final int SECRET_BYTES = 32;

    private final Domain domain;
    private final CertificateStore registry;
    private final Duration lifetime;
    private final Clock clock;
    private final AttestationVerifier verifier;
    private final SecureRandom random = new SecureRandom();

    /** The outcome of one enrolment request. */
    public sealed interface Outcome permits Challenged, Enrolled, Refused {
        /** The principal the request was about, when known: the AK, or the host's name. */
        Optional<Prin> principal();
    }

    /** The first request passed: send the challenge. */
    public record Challenged(Prin ak, Enrollment.Challenge challenge) implements Outcome {
        @Override
        public Optional<Prin> principal() {
            return Optional.of(ak);
        }
    }

    /** The host certificate was issued and recorded; {@code addedTrustedTpm} if the fact was new. */
    public record Enrolled(Prin host, X509Certificate certificate, boolean addedTrustedTpm) implements Outcome {
        @Override
        public Optional<Prin> principal() {
            return Optional.of(host);
        }
    }

    /** Refused, for {@code reason}. */
    public record Refused(Optional<Prin> principal, String reason) implements Outcome {}

    /**
     * @param domain the domain, opened with its policy key
     * @param lifetime of the host certificates issued
     */
    public Enroller(Domain domain, CertificateStore registry, Duration lifetime, Clock clock) {
        this.domain = Objects.requireNonNull(domain, "domain");
        this.registry = Objects.requireNonNull(registry, "registry");
        this.lifetime = Objects.requireNonNull(lifetime, "lifetime");
        this.clock = Objects.requireNonNull(clock, "clock");
        if (!domain.hasPolicyKey()) {
            throw new IllegalArgumentException("the domain must be opened with its policy key");
        }
        this.verifier = AttestationVerifier.withClock(clock, AttestationVerifier.DEFAULT_SKEW);
    }

    /** A new session, for one connection. */
    public Session session() {
        return new Session();
    }

    /** What a session remembers between the two requests. The secret is zeroed once used. */
    private static final class Pending {
        final byte[] nonce;
        final byte[] secret;
        final Verifier ak;
        final Verifier hostKey;
        final Instant expires;

        Pending(byte[] nonce, byte[] secret, Verifier ak, Verifier hostKey, Instant expires) {
            this.nonce = nonce;
            this.secret = secret;
            this.ak = ak;
            this.hostKey = hostKey;
            this.expires = expires;
        }
    }

    /** One connection's enrolment: at most one challenge outstanding, answered at most once. */
    public final class Session {
        private Pending pending;

        private Session() {}

        /** The first request: checks 1 to 3, then a challenge. */
        public Outcome begin(Enrollment.Request request) {
            forget();
            Verifier hostKey = request.hostKey();
            PublicKey ek;
            try {
                ek = TpmEnrollment.endorsementKey(request.ekPublicArea());
            } catch (VerificationException e) {
                return refuse(null, e.getMessage());
            }
            Optional<String> untrusted = checkEkChain(request.ekCertificates(), ek);
            if (untrusted.isPresent()) {
                return refuse(null, untrusted.get());
            }
            Verifier ak;
            try {
                ak = TpmEnrollment.attestationKey(request.akPublicArea());
            } catch (VerificationException e) {
                return refuse(null, e.getMessage());
            }
            Prin akName = Tpm2Quote.akPrincipal(ak);
            byte[] nonce = new byte[Enrollment.NONCE_BYTES];
            byte[] secret = new byte[SECRET_BYTES];
            random.nextBytes(nonce);
            random.nextBytes(secret);
            try {
                Enrollment.Challenge c = TpmEnrollment.challenge(ek, TpmEnrollment.name(request.akPublicArea()),
                        secret, nonce);
                pending = new Pending(nonce, secret, ak, hostKey, clock.instant().plus(CHALLENGE_LIFETIME));
                return new Challenged(akName, c);
            } catch (GeneralSecurityException e) {
                Arrays.fill(secret, (byte) 0);
                return refuse(akName, "cannot make the credential for this EK: " + e.getMessage());
            }
        }

        /**
         * The second request: checks 4 to 7, then the host certificate.
         *
         * @throws IOException if the certificate or the policy could not be recorded (then the
         *     certificate is not sent)
         */
        public Outcome finish(byte[] credential, byte[] attestation) throws IOException {
            Pending p = pending;
            pending = null;
            if (p == null) {
                return refuse(null, "no enrolment challenge is outstanding on this connection"
                        + " (a challenge is answered once, on the connection that asked for it)");
            }
            Prin akName = Tpm2Quote.akPrincipal(p.ak);
            try {
                Instant now = clock.instant();
                if (now.isAfter(p.expires)) {
                    return refuse(akName, "the enrolment challenge expired (it is valid for "
                            + CHALLENGE_LIFETIME.toSeconds() + " s)");
                }
                if (!MessageDigest.isEqual(credential, p.secret)) {
                    return refuse(akName, "the activated credential is wrong: the AK is not resident in the TPM"
                            + " that holds the certified EK");
                }
                VerifiedStatement v;
                try {
                    v = verifier.verify(attestation);
                } catch (VerificationException e) {
                    return refuse(akName, "the enrolment quote does not verify: " + e.getMessage());
                }
                Prin host = v.speaker();
                if (!v.signer().equals(akName) || !host.root().equals(akName) || host.ext().size() != 2
                        || !v.statement().speaker().equals(host)) {
                    return refuse(akName, "the enrolment quote must be by " + akName
                            + " itself, for a name tpm2([..]).PCRs(..) extended by the host's guard");
                }
                Optional<byte[]> nonce = Enrollment.nonceOf(v.statement().message(), p.hostKey.principal(), host);
                if (nonce.isEmpty()) {
                    return refuse(host, "the enrolment quote must say 'key(host) speaksfor N and "
                            + Enrollment.NONCE_PREDICATE + "([nonce])' for the host key sent");
                }
                if (!MessageDigest.isEqual(nonce.get(), p.nonce)) {
                    return refuse(host, "the enrolment quote carries another nonce than this challenge's (a replay?)");
                }
                PrinTail pcrs = new PrinTail(new SubPrin(host.ext().exts().subList(0, 1)));
                Guard guard = domain.guard();
                try {
                    if (!guard.query(PolicyFacts.trustedTpmPcrs(pcrs))) {
                        return refuse(host, "the quoted PCR values are not allowed: no TrustedTpmPcrs(" + pcrs
                                + ") in the policy");
                    }
                } catch (GuardException | IllegalArgumentException e) {
                    return refuse(host, "the guard could not answer whether the PCR values are allowed: "
                            + e.getMessage());
                }
                // The fact first: if the policy cannot take it, nothing is issued. It stays if the
                // issue fails after it, which is harmless: the AK did prove where it lives.
                boolean added = trustTpm(guard, akName);
                X509Certificate cert;
                try {
                    cert = domain.issueCertificate(p.hostKey, host, lifetime, now);
                } catch (IllegalArgumentException e) {
                    return refuse(host, "cannot issue: " + e.getMessage());
                }
                registry.record(cert);
                return new Enrolled(host, cert, added);
            } finally {
                Arrays.fill(p.secret, (byte) 0);
            }
        }

        /** Forgets an outstanding challenge (a new begin, or the connection closed). */
        public void forget() {
            if (pending != null) {
                Arrays.fill(pending.secret, (byte) 0);
                pending = null;
            }
        }
    }

    /** Adds {@code TrustedTpm(ak)} to the policy unless the guard holds it; true if added. */
    private boolean trustTpm(Guard guard, Prin ak) throws IOException {
        try {
            synchronized (domain) {
                if (guard.query(PolicyFacts.trustedTpm(ak))) {
                    return false;
                }
                guard.addRule(PolicyFacts.trustedTpm(ak));
                domain.saveGuard();
                return true;
            }
        } catch (GuardException e) {
            throw new IOException("cannot add TrustedTpm(" + ak + ") to the policy: " + e.getMessage(), e);
        }
    }

    /** Empty if {@code der} is a chain from a certificate for {@code ek} to a trusted EK CA, else why not. */
    private Optional<String> checkEkChain(List<byte[]> der, PublicKey ek) {
        List<X509Certificate> chain = new ArrayList<>();
        for (int i = 0; i < der.size(); i++) {
            try {
                chain.add(ProgramCertificate.parseDer(der.get(i)));
            } catch (GeneralSecurityException | RuntimeException e) {
                // The JDK's parser throws unchecked exceptions on some malformed DER.
                return Optional.of("EK certificate " + i + " does not parse");
            }
        }
        if (!Arrays.equals(chain.get(0).getPublicKey().getEncoded(), ek.getEncoded())) {
            return Optional.of("the EK certificate is for another key than this TPM's EK");
        }
        Instant now = clock.instant();
        Guard guard = domain.guard();
        for (int i = 0; i < chain.size(); i++) {
            X509Certificate c = chain.get(i);
            try {
                c.checkValidity(java.util.Date.from(now));
            } catch (GeneralSecurityException e) {
                return Optional.of("EK certificate " + i + " is not valid now");
            }
            if (i > 0) {
                if (c.getBasicConstraints() < 0) {
                    return Optional.of("EK certificate " + i + " is not a CA certificate");
                }
                try {
                    chain.get(i - 1).verify(c.getPublicKey());
                } catch (GeneralSecurityException | RuntimeException e) {
                    return Optional.of("EK certificate " + (i - 1) + " is not signed by certificate " + i);
                }
                try {
                    if (guard.query(PolicyFacts.trustedEkCa(c))) {
                        return Optional.empty();
                    }
                } catch (GuardException e) {
                    return Optional.of("the guard could not answer whether the EK CA is trusted: " + e.getMessage());
                }
            }
        }
        return Optional.of("the EK certificate does not chain to an EK CA the domain trusts (no TrustedEkCa fact"
                + " names a CA among the " + (chain.size() - 1) + " issuer certificates sent)");
    }

    private static Refused refuse(Prin principal, String reason) {
        return new Refused(Optional.ofNullable(principal), reason);
    }
}
