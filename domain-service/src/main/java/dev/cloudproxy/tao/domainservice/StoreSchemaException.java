package dev.cloudproxy.tao.domainservice;

/**
 * The database holds a schema this service does not know (another version, or another domain's
 * state): the service refuses to start rather than read or write it.
 */
public class StoreSchemaException extends StoreException {
    private static final long serialVersionUID = 1L;

    public StoreSchemaException(String message) {
        super(message);
    }

    public StoreSchemaException(String message, Throwable cause) {
        super(message, cause);
    }
}
