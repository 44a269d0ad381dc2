package dev.cloudproxy.tao.kms;

import dev.cloudproxy.tao.VerificationException;
import dev.cloudproxy.tao.attestation.AttestationVerifier;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.keys.Verifier;
import java.time.Clock;
import java.util.Objects;

/**
 * The one verifier of disclosure directives, used by every party that acts on them (the secret
 * service, a program handing its keys to its successor).
 *
 * <p>{@link #verify} returns the directive only if all of these hold, and otherwise throws
 * {@link DirectiveRefusedException}:
 *
 * <ol>
 *   <li>the bytes are a well-formed {@link SignedDirective} within its size bound;
 *   <li>the signature verifies under the domain's policy key, in the directive signing context;
 *   <li>the statement is exactly {@code policy-key from T1 until T2 says Verb(P, "name", epoch)}
 *       and its speaker is the policy key's principal;
 *   <li>the clock (Unix seconds, with {@link AttestationVerifier#DEFAULT_SKEW} of slack, as for
 *       attestations) lies in [T1, T2];
 *   <li>{@code P} is the requester's <em>authenticated</em> name, as the caller learned it from
 *       the Tao channel (the verified peer certificate) or the host; so a directive issued to A
 *       and presented by C over C's own channel is refused;
 *   <li>the object and epoch are the ones requested, and the verb allows the one requested
 *       ({@code Own} allows all).
 * </ol>
 *
 * <p>The signature is checked before anything in the statement is believed. Thread-safe.
 */
public final class DirectiveVerifier {

    private final Verifier policyKey;
    private final Clock clock;
    private final long skewSeconds;

    private DirectiveVerifier(Verifier policyKey, Clock clock, long skewSeconds) {
        this.policyKey = policyKey;
        this.clock = clock;
        this.skewSeconds = skewSeconds;
    }

    /** A verifier that trusts directives of {@code policyKey} (the domain's), at {@code clock}'s time. */
    public static DirectiveVerifier of(Verifier policyKey, Clock clock) {
        Objects.requireNonNull(policyKey, "policyKey");
        Objects.requireNonNull(clock, "clock");
        return new DirectiveVerifier(policyKey, clock, AttestationVerifier.DEFAULT_SKEW.toSeconds());
    }

    /**
     * Checks that {@code signed} lets {@code authenticatedRequester} do {@code verb} on
     * {@code object}, now.
     *
     * @param authenticatedRequester the requester's name as authenticated by the channel or host,
     *     never a name the request itself claims
     * @return the directive that authorizes the request
     * @throws DirectiveRefusedException if it does not, saying which check failed
     */
    public Directive verify(byte[] signed, Prin authenticatedRequester, Verb verb, ObjectId object)
            throws DirectiveRefusedException {
        Objects.requireNonNull(authenticatedRequester, "authenticatedRequester");
        Objects.requireNonNull(verb, "verb");
        Objects.requireNonNull(object, "object");
        SignedDirective.Parts parts = SignedDirective.parse(signed);
        try {
            policyKey.verify(parts.signedMessage(), parts.signature());
        } catch (VerificationException e) {
            throw new DirectiveRefusedException("directive is not signed by the domain's policy key");
        }
        Directive d = Directive.fromStatement(parts.statement());
        if (!d.issuer().equals(policyKey.principal())) {
            throw new DirectiveRefusedException("directive speaker is not the domain's policy key");
        }
        long now = clock.instant().getEpochSecond();
        if (now + skewSeconds < d.notBefore()) {
            throw new DirectiveRefusedException("directive is not valid yet");
        }
        if (now - skewSeconds > d.notAfter()) {
            throw new DirectiveRefusedException("directive has expired");
        }
        if (!d.principal().equals(authenticatedRequester)) {
            throw new DirectiveRefusedException("directive was issued to another principal than the requester");
        }
        if (!d.object().equals(object)) {
            throw new DirectiveRefusedException("directive is for another object or epoch");
        }
        if (!d.verb().allows(verb)) {
            throw new DirectiveRefusedException(
                    "directive grants " + d.verb().predicate() + ", not " + verb.predicate());
        }
        return d;
    }
}
