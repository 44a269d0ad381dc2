package dev.cloudproxy.tao.domainservice;

/** The store cannot be reached (database down, network, pool exhausted): retry, or start the database. */
public class StoreUnavailableException extends StoreException {
    private static final long serialVersionUID = 1L;

    public StoreUnavailableException(String message) {
        super(message);
    }

    public StoreUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
