package dev.cloudproxy.tao.kms;

/**
 * A protected object could not be read: its link was altered, truncated, swapped with another
 * object's or epoch's, stored under the wrong name, or its key material (or a protector's) has
 * been erased. Every such failure gives this one type, so a caller learns nothing about which byte
 * was wrong.
 */
public class ObjectUnreadableException extends KeyManagementException {
    private static final long serialVersionUID = 1L;

    public ObjectUnreadableException(String message) {
        super(message);
    }

    public ObjectUnreadableException(String message, Throwable cause) {
        super(message, cause);
    }
}
