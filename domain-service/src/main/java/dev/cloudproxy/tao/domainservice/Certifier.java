package dev.cloudproxy.tao.domainservice;

import dev.cloudproxy.tao.VerificationException;
import dev.cloudproxy.tao.attestation.Attestation;
import dev.cloudproxy.tao.attestation.AttestationVerifier;
import dev.cloudproxy.tao.attestation.VerifiedStatement;
import dev.cloudproxy.tao.auth.Pred;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.PrinExt;
import dev.cloudproxy.tao.auth.Speaksfor;
import dev.cloudproxy.tao.auth.SubPrin;
import dev.cloudproxy.tao.domain.Domain;
import dev.cloudproxy.tao.domain.DomainServiceProtocol;
import dev.cloudproxy.tao.domain.LaunchedAppHints;
import dev.cloudproxy.tao.domain.ProgramCertificate;
import dev.cloudproxy.tao.guard.Guard;
import dev.cloudproxy.tao.guard.GuardException;
import dev.cloudproxy.tao.keys.Verifier;
import java.io.IOException;
import java.security.cert.CertificateException;
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
 * The domain service's decision, without the network: given a program's attestation, its key and
 * optional host certificates, either issue a program certificate or refuse with a reason.
 *
 * <p>In order (docs/domain-service.md has the rule in full):
 * <ol>
 *   <li><b>The chain verifies</b>: {@link AttestationVerifier} checks every signature, every
 *       delegation rule and the time window against the clock.
 *   <li><b>The statement is exactly</b> {@code P says key(K) speaksfor P}: P is the speaker, K the
 *       key sent with the request (the attestation names it only by its hash), and P is not a
 *       name under the policy key (those are the domain's own, such as the service's).
 *   <li><b>The chain roots in a key the domain trusts</b>: either a host certificate sent with the
 *       request, issued by the policy key, valid now and not revoked, certifies the key that
 *       signed some level of the chain for a name N, and the speaker at that level is N or an
 *       extension of N; or the guard holds {@code TrustedHost(Q)} or {@code TrustedPlatform(Q)}
 *       for P or one of its prefixes Q (every prefix starts with the key that signed the
 *       innermost level, which the verifier guarantees).
 *   <li><b>The guard authorizes P</b>: {@code Authorized(P, "Execute")} holds, or P is
 *       {@code E.PolicyKey([h])} for this domain's policy key hash h and
 *       {@code Authorized(E, "Execute")} holds (the Tao paradigm appends that extension).
 *   <li>Only then: a certificate for K naming P, for the configured lifetime but never beyond the
 *       attestation's window, recorded in {@code issued/} before it is returned.
 * </ol>
 * Refusal reasons name the check that failed and the principal; they never carry a secret.
 *
 * <p>Thread-safe.
 */
public final class Certifier {
    /** The operation the guard is asked about. */
    public static final String OPERATION = "Execute";
    /** Serials drawn for one certificate before a store that keeps refusing them is an error. */
    static final int MAX_SERIAL_ATTEMPTS = 3;

    private final Domain domain;
    private final CertificateStore registry;
    private final Duration lifetime;
    private final Clock clock;
    private final AttestationVerifier verifier;
    private final Prin policyPrincipal;
    private final PrinExt policyKeyExtension;

    /** The outcome of one request. */
    public sealed interface Decision permits Issued, Refused {
        /** The principal the request was for, when the attestation got far enough to name it. */
        Optional<Prin> principal();
    }

    /** A certificate was issued (and recorded). */
    public record Issued(Prin subject, X509Certificate certificate) implements Decision {
        @Override
        public Optional<Prin> principal() {
            return Optional.of(subject);
        }
    }

    /** Which check refused a request: a short, fixed set (metric labels, dashboards). */
    public enum Check {
        /** The attestation does not parse, verify or say the right thing, or expires too soon. */
        ATTESTATION("attestation"),
        /** The program key sent is not the one the attestation delegates to, or not a P-256 key. */
        PROGRAM_KEY("program-key"),
        /** The name is one of the domain's own (under the policy key). */
        RESERVED_NAME("reserved-name"),
        /** The chain does not root in a host the domain trusts. */
        ROOT("untrusted-root"),
        /** The guard does not authorize the name. */
        GUARD("guard"),
        /** The certificate could not be made. */
        ISSUE("cannot-issue");

        private final String label;

        Check(String label) {
            this.label = label;
        }

        /** The label used in metrics. */
        public String label() {
            return label;
        }
    }

    /** The request was refused by {@code check}, for {@code reason}. */
    public record Refused(Check check, Optional<Prin> principal, String reason) implements Decision {}

    /**
     * @param domain a domain opened with its policy key
     * @param lifetime of the certificates issued
     */
    public Certifier(Domain domain, CertificateStore registry, Duration lifetime, Clock clock) {
        this.domain = Objects.requireNonNull(domain, "domain");
        this.registry = Objects.requireNonNull(registry, "registry");
        this.lifetime = Objects.requireNonNull(lifetime, "lifetime");
        this.clock = Objects.requireNonNull(clock, "clock");
        if (lifetime.isNegative() || lifetime.isZero()) {
            throw new IllegalArgumentException("lifetime must be positive");
        }
        if (!domain.hasPolicyKey()) {
            throw new IllegalArgumentException("the domain must be opened with its policy key");
        }
        this.verifier = AttestationVerifier.withClock(clock, AttestationVerifier.DEFAULT_SKEW);
        this.policyPrincipal = domain.policyPrincipal();
        this.policyKeyExtension = DomainServiceProtocol.policyKeyExtension(policyPrincipal);
    }

    /** Records a certificate durably before {@link #certify} returns it. */
    @FunctionalInterface
    public interface Recorder {
        /**
         * Records {@code cert}, issued to {@code subject}; returns only once it is durable.
         *
         * @throws DuplicateSerialException if its serial is already recorded (a fresh one is drawn)
         * @throws IOException if it cannot be recorded (then it is not issued)
         */
        void record(X509Certificate cert, Prin subject) throws IOException;
    }

    /**
     * Decides on one request, recording a certificate in the store given at construction.
     *
     * @throws IOException if the certificate could not be recorded (then nothing is issued)
     */
    public Decision certify(byte[] attestation, byte[] programKey, List<byte[]> hostCertificates) throws IOException {
        return certify(attestation, programKey, hostCertificates, (cert, subject) -> registry.record(cert));
    }

    /**
     * Decides on one request, recording a certificate through {@code recorder} (the service
     * records it together with its audit record: {@link DomainStore#recordIssued}).
     *
     * @throws IOException if the certificate could not be recorded (then nothing is issued)
     */
    public Decision certify(byte[] attestation, byte[] programKey, List<byte[]> hostCertificates, Recorder recorder)
            throws IOException {
        Objects.requireNonNull(recorder, "recorder");
        Objects.requireNonNull(attestation, "attestation");
        Objects.requireNonNull(programKey, "programKey");
        Objects.requireNonNull(hostCertificates, "hostCertificates");
        Instant now = clock.instant();
        Attestation parsed;
        VerifiedStatement verified;
        try {
            parsed = Attestation.parse(attestation);
        } catch (VerificationException e) {
            return refuse(Check.ATTESTATION, null, "the attestation does not parse: " + e.getMessage());
        }
        Prin claimed = parsed.issuer();
        try {
            verified = verifier.verify(parsed);
        } catch (VerificationException e) {
            return refuse(Check.ATTESTATION, claimed, "the attestation does not verify: " + e.getMessage());
        }
        Prin p = verified.speaker();
        if (!(verified.statement().message() instanceof Speaksfor sf)
                || !(sf.delegate() instanceof Prin delegate) || !p.equals(sf.delegator())) {
            return refuse(Check.ATTESTATION, p, "the attestation must say 'P says key(K) speaksfor P' with P its speaker");
        }
        Verifier key;
        try {
            key = Verifier.fromPkix(programKey);
        } catch (VerificationException e) {
            return refuse(Check.PROGRAM_KEY, p, "program_key is not a P-256 public key: " + e.getMessage());
        }
        if (!delegate.equals(key.principal())) {
            return refuse(Check.PROGRAM_KEY, p, "the attestation delegates to " + delegate + ", not to the key sent " + key.principal());
        }
        if (p.isIdenticalOrExtensionOf(policyPrincipal)) {
            return refuse(Check.RESERVED_NAME, p, "names under the policy key are the domain's own and are never certified");
        }
        Optional<String> untrusted = checkRoot(parsed, p, hostCertificates, now);
        if (untrusted.isPresent()) {
            return refuse(Check.ROOT, p, untrusted.get());
        }
        if (!authorized(p)) {
            List<String> missing = LaunchedAppHints.missing(domain.guard(), p);
            return refuse(Check.GUARD, p, "the guard does not authorize " + p + ": Authorized(P, \"" + OPERATION
                    + "\") does not hold" + (missing.isEmpty() ? "" : "; missing " + String.join("; ", missing)));
        }
        Duration life = lifetime;
        if (verified.effectiveUntil().isPresent()) {
            Duration left = Duration.between(now, Instant.ofEpochSecond(verified.effectiveUntil().getAsLong()));
            if (left.compareTo(Duration.ofMinutes(1)) < 0) {
                return refuse(Check.ATTESTATION, p, "the attestation expires within a minute");
            }
            if (left.compareTo(life) < 0) {
                life = left;
            }
        }
        // Serials are random 128-bit numbers, so a repeat is all but impossible; the store still
        // refuses one (replicas share it), and then a fresh serial is drawn.
        for (int attempt = 1; ; attempt++) {
            X509Certificate cert;
            try {
                cert = domain.issueCertificate(key, p, life, now);
            } catch (IllegalArgumentException e) {
                return refuse(Check.ISSUE, p, "cannot issue: " + e.getMessage());
            }
            try {
                recorder.record(cert, p);
                return new Issued(p, cert);
            } catch (DuplicateSerialException e) {
                if (attempt == MAX_SERIAL_ATTEMPTS) {
                    throw e;
                }
            }
        }
    }

    /** Empty if the chain roots in a key the domain trusts, else why not. */
    private Optional<String> checkRoot(Attestation top, Prin p, List<byte[]> hostCertificates, Instant now) {
        List<Attestation> levels = new ArrayList<>();
        for (Optional<Attestation> a = Optional.of(top); a.isPresent(); a = a.get().delegation()) {
            levels.add(a.get());
        }
        // key([h]) for a software key; tpm2([h]) for a TPM's attestation key, whose quote the
        // verifier checked and whose name then carries the quoted PCR values (tpm2([h]).PCRs(..)).
        Prin root = levels.get(levels.size() - 1).signerPrincipal();
        if (!p.root().equals(root)) {
            // The verifier guarantees this; checked again because the rule below relies on it.
            return Optional.of("the attestation's name " + p + " does not start with its root key " + root);
        }
        List<String> problems = new ArrayList<>();
        for (int i = 0; i < hostCertificates.size(); i++) {
            String problem = checkHostCertificate(hostCertificates.get(i), levels, now);
            if (problem == null) {
                return Optional.empty();
            }
            problems.add("host certificate " + i + ": " + problem);
        }
        try {
            Guard guard = domain.guard();
            for (int n = 0; n <= p.ext().size(); n++) {
                Prin q = new Prin(p.type(), p.key(), new SubPrin(p.ext().exts().subList(0, n)));
                if (guard.query(Pred.of("TrustedHost", q)) || guard.query(Pred.of("TrustedPlatform", q))) {
                    return Optional.empty();
                }
            }
        } catch (GuardException e) {
            return Optional.of("the guard could not answer whether the root is trusted: " + e.getMessage());
        }
        String facts = "no TrustedHost or TrustedPlatform fact names its root key " + root + " or a prefix of the name";
        String why = "the chain does not root in a key the domain trusts: "
                + (problems.isEmpty() ? "no host certificate was sent, and " + facts
                        : String.join("; ", problems) + "; and " + facts);
        return Optional.of(why);
    }

    /** Null if the certificate vouches for a level of the chain, else why not. */
    private String checkHostCertificate(byte[] der, List<Attestation> levels, Instant now) {
        X509Certificate cert;
        Prin named;
        try {
            cert = ProgramCertificate.parseDer(der);
            named = ProgramCertificate.verify(cert, domain.policyCertificate(), now);
        } catch (CertificateException | RuntimeException e) {
            // The JDK's and BouncyCastle's parsers throw unchecked exceptions on some malformed DER.
            return "does not parse";
        } catch (VerificationException e) {
            return e.getMessage();
        }
        try {
            if (registry.isRevoked(cert.getSerialNumber())) {
                return "revoked";
            }
        } catch (IOException | VerificationException e) {
            return "cannot read the CRL: " + e.getMessage();
        }
        byte[] certified = cert.getPublicKey().getEncoded();
        for (Attestation level : levels) {
            if (Arrays.equals(level.signerKey().pkix(), certified) && level.issuer().isIdenticalOrExtensionOf(named)) {
                return null;
            }
        }
        return "certifies " + named + " for a key that signed no level of the chain for that name";
    }

    private boolean authorized(Prin p) {
        Guard guard = domain.guard();
        if (guard.isAuthorized(p, OPERATION, List.of())) {
            return true;
        }
        Optional<PrinExt> last = p.lastExtension();
        return last.isPresent() && last.get().equals(policyKeyExtension)
                && guard.isAuthorized(p.parent().orElseThrow(), OPERATION, List.of());
    }

    private static Refused refuse(Check check, Prin principal, String reason) {
        return new Refused(check, Optional.ofNullable(principal), reason);
    }
}
