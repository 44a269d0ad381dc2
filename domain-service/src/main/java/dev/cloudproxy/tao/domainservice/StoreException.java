package dev.cloudproxy.tao.domainservice;

/**
 * The domain service's store failed. Messages say what failed and what to do about it, and never
 * hold a password. Subclasses name the failures an operator can act on.
 */
public class StoreException extends java.io.IOException {
    private static final long serialVersionUID = 1L;

    public StoreException(String message) {
        super(message);
    }

    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
