package dev.cloudproxy.tao.domainservice;

/**
 * A certificate with the same serial is already recorded: nothing was stored, and the certificate
 * must not be sent (issue another with a fresh serial).
 */
public class DuplicateSerialException extends StoreException {
    private static final long serialVersionUID = 1L;

    public DuplicateSerialException(String message) {
        super(message);
    }

    public DuplicateSerialException(String message, Throwable cause) {
        super(message, cause);
    }
}
