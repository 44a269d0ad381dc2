package dev.cloudproxy.tao.channel;

import dev.cloudproxy.tao.VerificationException;

/**
 * Whether a certificate is revoked cannot be told: no list of the domain was fetched, the last
 * one is too old, or it is past its {@code nextUpdate}. The peer is refused (fail closed); the
 * same check may pass once the domain service answers again.
 */
public final class RevocationUnknownException extends VerificationException {
    private static final long serialVersionUID = 1L;

    public RevocationUnknownException(String message) {
        super(message);
    }
}
