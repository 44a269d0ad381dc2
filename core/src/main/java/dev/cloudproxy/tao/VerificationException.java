package dev.cloudproxy.tao;

/**
 * A signature, public key or chain of evidence did not check out.
 *
 * <p>The caller must not trust whatever it was checking; retrying the same input will fail the
 * same way. The message says which check failed, never why a forgery almost worked.
 */
public class VerificationException extends TaoException {
    private static final long serialVersionUID = 1L;

    public VerificationException(String message) {
        super(message);
    }

    public VerificationException(String message, Throwable cause) {
        super(message, cause);
    }
}
