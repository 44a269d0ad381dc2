package dev.cloudproxy.tao.attestation;

import dev.cloudproxy.tao.VerificationException;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.Says;
import dev.cloudproxy.tao.auth.Speaksfor;
import dev.cloudproxy.tao.proto.AttestationProtos.CryptoHeader;
import dev.cloudproxy.tao.proto.AttestationProtos.CryptoVersion;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Verifies attestations: signatures, delegation chains of any depth, and time windows.
 *
 * <p>For an attestation "{@code K} signs {@code I [from] [until] says M}":
 * <ul>
 *   <li>the signature must be {@code K}'s over the statement, in the format of {@link Attestation};
 *   <li>without a delegation, {@code I} must be {@code K} or an extension of it (a key speaks for
 *       its subprincipals);
 *   <li>with a delegation, the delegation must itself verify (recursively) and prove
 *       {@code D speaksfor P} from {@code P} or an ancestor of {@code P}; {@code D} must be {@code K}
 *       or an extension of it, and {@code I} must be {@code P} or an extension of it. A
 *       delegation from anyone else proves nothing (CloudProxy accepted a self-signed delegation
 *       to any name; this never does);
 *   <li>the effective window is the intersection of the windows along the chain, and the current
 *       time (Unix seconds, within the allowed skew) must lie in it;
 *   <li>endorsements must each verify, and are returned to the caller, never trusted here.
 * </ul>
 * A TPM 2.0 attestation (signer type {@code tpm2}) is a quote instead of a signature: the
 * attestation key's signature over the quote structure must verify, the quote's nonce must be
 * {@link Tpm2Quote#nonceFor} the statement, and the issuer must be
 * {@code tpm2([ak]).PCRs("list", "values")} or an extension of it, where the list is exactly the
 * quoted PCR selection and the values hash to the quoted PCR digest. The key speaks for that PCR
 * principal only: which attestation keys belong to real TPMs is the caller's trust decision (an
 * AK certificate), as for any root key.
 * Trust in the chain's root key is the caller's decision: the result names it as the signer at
 * the bottom of the chain, via {@link VerifiedStatement#signer()} of each level.
 *
 * <p>Immutable and thread-safe.
 */
public final class AttestationVerifier {
    /** The clock skew allowed by default when checking windows against a real clock. */
    public static final Duration DEFAULT_SKEW = Duration.ofSeconds(60);

    private final Clock clock;
    private final long fixedTime;
    private final long skewSeconds;

    private AttestationVerifier(Clock clock, long fixedTime, long skewSeconds) {
        this.clock = clock;
        this.fixedTime = fixedTime;
        this.skewSeconds = skewSeconds;
    }

    /** A verifier against the system clock, allowing {@link #DEFAULT_SKEW}. */
    public static AttestationVerifier create() {
        return new AttestationVerifier(Clock.systemUTC(), 0, DEFAULT_SKEW.toSeconds());
    }

    /** A verifier against {@code clock}, allowing {@code skew} either side of each window. */
    public static AttestationVerifier withClock(Clock clock, Duration skew) {
        if (skew.isNegative()) {
            throw new IllegalArgumentException("negative skew");
        }
        return new AttestationVerifier(Objects.requireNonNull(clock, "clock"), 0, skew.toSeconds());
    }

    /** A verifier that checks windows as of exactly {@code unixSeconds}, with no skew. */
    public static AttestationVerifier at(long unixSeconds) {
        return new AttestationVerifier(null, unixSeconds, 0);
    }

    /** Parses and verifies a serialized attestation. */
    public VerifiedStatement verify(byte[] serialized) throws VerificationException {
        return verify(Attestation.parse(serialized));
    }

    /**
     * Verifies {@code attestation}, returning what it proves.
     *
     * @throws VerificationException naming the first check that failed
     */
    public VerifiedStatement verify(Attestation attestation) throws VerificationException {
        long now = clock == null ? fixedTime : clock.instant().getEpochSecond();
        return verify(attestation, now, "");
    }

    private VerifiedStatement verify(Attestation a, long now, String where) throws VerificationException {
        Prin signer;
        Prin speaksFor;
        if (a.tpm2Quote().isPresent()) {
            signer = Tpm2Quote.akPrincipal(a.signerKey());
            speaksFor = verifyQuote(a, a.tpm2Quote().get(), signer, where);
        } else {
            checkHeader(a.header(), where);
            try {
                a.signerKey().verify(Attestation.signedBytes(a.statementBytes()), a.signatureBytes());
            } catch (VerificationException e) {
                throw fail(where, "signature does not verify");
            }
            signer = a.signerKey().principal();
            speaksFor = signer;
        }
        Says stmt = a.statement();
        Prin issuer = a.issuer();
        long from = stmt.from().orElse(Long.MIN_VALUE);
        long until = stmt.until().orElse(Long.MAX_VALUE);

        Optional<Attestation> delegation = a.delegation();
        if (delegation.isEmpty()) {
            if (!issuer.isIdenticalOrExtensionOf(speaksFor)) {
                throw fail(where, "signer " + speaksFor + " does not speak for " + issuer + " and no delegation is attached");
            }
        } else {
            VerifiedStatement d = verify(delegation.get(), now, where + "delegation: ");
            Speaksfor sf = d.delegation().orElseThrow(() -> fail(where,
                    "the attached delegation is not a speaksfor made by the delegator or an ancestor of it"));
            Prin delegate = (Prin) sf.delegate();
            Prin delegator = (Prin) sf.delegator();
            if (!delegate.isIdenticalOrExtensionOf(signer)) {
                throw fail(where, "the attached delegation is to " + delegate + ", not to the signer " + signer);
            }
            if (!issuer.isIdenticalOrExtensionOf(delegator)) {
                throw fail(where, "the attached delegation is for " + delegator + ", not for the issuer " + issuer);
            }
            from = Math.max(from, d.effectiveFrom().orElse(Long.MIN_VALUE));
            until = Math.min(until, d.effectiveUntil().orElse(Long.MAX_VALUE));
        }
        checkWindow(from, until, now, where);

        List<VerifiedStatement> endorsements = new ArrayList<>();
        int i = 0;
        for (Attestation e : a.endorsements()) {
            endorsements.add(verify(e, now, where + "endorsement " + i++ + ": "));
        }
        return new VerifiedStatement(signer, issuer, stmt,
                from == Long.MIN_VALUE ? OptionalLong.empty() : OptionalLong.of(from),
                until == Long.MAX_VALUE ? OptionalLong.empty() : OptionalLong.of(until),
                delegationIn(stmt, issuer), endorsements);
    }

    /**
     * Checks a TPM 2.0 quote: the attestation key's signature over the quote structure, the nonce
     * (which binds the statement), and that the issuer is {@code tpm2([ak]).PCRs(list, values)} (or
     * an extension of it) with exactly the quoted PCR selection and values whose digest the TPM
     * reported. Returns that PCR principal: what the attestation key speaks for.
     */
    private static Prin verifyQuote(Attestation a, Tpm2Quote quote, Prin ak, String where)
            throws VerificationException {
        try {
            a.signerKey().verify(quote.encoded(), a.signatureBytes());
        } catch (VerificationException e) {
            throw fail(where, "tpm2 quote signature does not verify");
        }
        if (!MessageDigest.isEqual(quote.extraData(), Tpm2Quote.nonceFor(a.statementBytes()))) {
            throw fail(where, "tpm2 quote is not for this statement (nonce differs)");
        }
        Prin issuer = a.issuer();
        if (!issuer.root().equals(ak) || issuer.ext().isEmpty()) {
            throw fail(where, "tpm2 attestation key " + ak + " does not speak for " + issuer);
        }
        Tpm2Pcrs pcrs;
        try {
            pcrs = Tpm2Pcrs.fromExtension(issuer.ext().exts().get(0));
        } catch (VerificationException e) {
            throw fail(where, "tpm2 issuer " + issuer + ": " + e.getMessage());
        }
        if (!pcrs.indices().equals(quote.pcrs())) {
            throw fail(where, "tpm2 quote selects PCRs " + quote.pcrs() + ", the issuer names " + pcrs.indices());
        }
        if (!MessageDigest.isEqual(pcrs.digest(), quote.pcrDigest())) {
            throw fail(where, "tpm2 quote's PCR digest does not match the PCR values the issuer names");
        }
        return ak.extend(pcrs.toExtension());
    }

    /** {@code D speaksfor P} in the message, if its speaker is P or an ancestor of P. */
    static Optional<Speaksfor> delegationIn(Says stmt, Prin speaker) {
        if (stmt.message() instanceof Speaksfor sf
                && sf.delegate() instanceof Prin
                && sf.delegator() instanceof Prin delegator
                && delegator.isIdenticalOrExtensionOf(speaker)) {
            return Optional.of(sf);
        }
        return Optional.empty();
    }

    private static void checkHeader(CryptoHeader h, String where) throws VerificationException {
        if (h.getVersion() != CryptoVersion.CRYPTO_VERSION_2) {
            throw fail(where, "signature header is not version 2");
        }
        if (!Attestation.KEY_TYPE.equals(h.getKeyType())) {
            throw fail(where, "signature header names key type other than " + Attestation.KEY_TYPE);
        }
        // CloudProxy's signature does not cover the header; only its name and epoch are free-form.
        if (!"signing".equals(h.getKeyPurpose()) || !"active".equals(h.getKeyStatus())) {
            throw fail(where, "signature header is not for an active signing key");
        }
    }

    private void checkWindow(long from, long until, long now, String where) throws VerificationException {
        if (from > until) {
            throw fail(where, "validity window is empty (from " + from + " until " + until + ")");
        }
        if (until != Long.MAX_VALUE && now - skewSeconds > until) {
            throw fail(where, "expired: valid until " + until + ", now " + now);
        }
        if (from != Long.MIN_VALUE && now + skewSeconds < from) {
            throw fail(where, "not yet valid: valid from " + from + ", now " + now);
        }
    }

    private static VerificationException fail(String where, String what) {
        return new VerificationException(where + what);
    }
}
