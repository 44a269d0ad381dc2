package dev.cloudproxy.tao.domain;

import dev.cloudproxy.tao.TaoException;

/**
 * A domain directory or template that cannot be used: malformed, inconsistent, or not signed by
 * the domain's policy key. The message says which file and why, and never holds a secret.
 */
public class DomainException extends TaoException {
    private static final long serialVersionUID = 1L;

    public DomainException(String message) {
        super(message);
    }

    public DomainException(String message, Throwable cause) {
        super(message, cause);
    }
}
