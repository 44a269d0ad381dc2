package dev.cloudproxy.tao.domainservice;

/** The database refused the store's credentials: check the user and the password source. */
public class StoreAuthenticationException extends StoreException {
    private static final long serialVersionUID = 1L;

    public StoreAuthenticationException(String message) {
        super(message);
    }

    public StoreAuthenticationException(String message, Throwable cause) {
        super(message, cause);
    }
}
