package dev.cloudproxy.tao.kms;

/** No link for the object, or no active epoch of a name, is in the store. */
public class ObjectNotFoundException extends KeyManagementException {
    private static final long serialVersionUID = 1L;

    public ObjectNotFoundException(String message) {
        super(message);
    }

    public ObjectNotFoundException(String message, Throwable cause) {
        super(message, cause);
    }
}
