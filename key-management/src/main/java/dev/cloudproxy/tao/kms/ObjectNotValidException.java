package dev.cloudproxy.tao.kms;

/**
 * The object, or a protector on its chain, is outside its validity window at the clock's current
 * time.
 */
public class ObjectNotValidException extends KeyManagementException {
    private static final long serialVersionUID = 1L;

    public ObjectNotValidException(String message) {
        super(message);
    }

    public ObjectNotValidException(String message, Throwable cause) {
        super(message, cause);
    }
}
