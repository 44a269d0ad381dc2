package dev.cloudproxy.tao;

import dev.cloudproxy.tao.auth.Form;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.Says;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What to attest: a message, and optionally the issuer (the caller or one of its subprincipals)
 * and the validity window in Unix seconds. Unset bounds default to "now" and "now + 1 year".
 *
 * <pre>{@code
 * tao.attest(AttestRequest.of(new Speaksfor(key, name)).until(expiry));
 * }</pre>
 */
public final class AttestRequest {
    /** Validity of an attestation whose end is not given. */
    public static final long DEFAULT_VALIDITY_SECONDS = 365L * 24 * 60 * 60;

    private final Form message;
    private final Prin issuer;
    private final OptionalLong from;
    private final OptionalLong until;

    private AttestRequest(Form message, Prin issuer, OptionalLong from, OptionalLong until) {
        this.message = Objects.requireNonNull(message, "message");
        this.issuer = issuer;
        this.from = from;
        this.until = until;
    }

    /** A request to attest {@code message} as the caller, valid from now for a year. */
    public static AttestRequest of(Form message) {
        return new AttestRequest(message, null, OptionalLong.empty(), OptionalLong.empty());
    }

    /** The same request, issued by {@code issuer} (the caller or a subprincipal of it). */
    public AttestRequest issuer(Prin issuer) {
        return new AttestRequest(message, Objects.requireNonNull(issuer, "issuer"), from, until);
    }

    /** The same request, valid from {@code unixSeconds}. */
    public AttestRequest from(long unixSeconds) {
        return new AttestRequest(message, issuer, OptionalLong.of(unixSeconds), until);
    }

    /** The same request, valid until {@code unixSeconds}. */
    public AttestRequest until(long unixSeconds) {
        return new AttestRequest(message, issuer, from, OptionalLong.of(unixSeconds));
    }

    /**
     * The statement a Tao signs for this request on behalf of {@code caller} at time
     * {@code nowUnixSeconds}: the issuer defaults to the caller and must be the caller or a
     * subprincipal of it; the window defaults to now until a year later.
     *
     * @throws TaoException if the issuer is neither the caller nor a subprincipal of it
     * @throws IllegalArgumentException if a default end would overflow
     */
    public Says statementFor(Prin caller, long nowUnixSeconds) throws TaoException {
        Prin by = issuer == null ? caller : issuer;
        if (!by.isIdenticalOrExtensionOf(caller)) {
            throw new TaoException("cannot attest as " + by + ": not this program or a subprincipal of it");
        }
        long start = from.orElse(nowUnixSeconds);
        long end;
        try {
            end = until.isPresent() ? until.getAsLong() : Math.addExact(start, DEFAULT_VALIDITY_SECONDS);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("attestation window start is out of range");
        }
        return new Says(by, OptionalLong.of(start), OptionalLong.of(end), message);
    }

    public Form message() {
        return message;
    }

    public Optional<Prin> issuer() {
        return Optional.ofNullable(issuer);
    }

    public OptionalLong from() {
        return from;
    }

    public OptionalLong until() {
        return until;
    }

    @Override
    public String toString() {
        return "AttestRequest[" + (issuer == null ? "caller" : issuer) + " says " + message + "]";
    }
}
