package dev.cloudproxy.tao;

import java.security.GeneralSecurityException;

/**
 * The root of the Tao's checked failures: something could not be trusted, verified, unlocked or
 * decrypted.
 *
 * <p>Callers that only need to know "this did not work" catch this type; subclasses say what a
 * caller can do differently. Messages are safe to log: they never contain keys, passwords,
 * plaintext or other secret material.
 */
public class TaoException extends GeneralSecurityException {
    private static final long serialVersionUID = 1L;

    public TaoException(String message) {
        super(message);
    }

    public TaoException(String message, Throwable cause) {
        super(message, cause);
    }
}
