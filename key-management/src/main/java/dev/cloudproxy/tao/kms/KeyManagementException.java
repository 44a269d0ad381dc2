package dev.cloudproxy.tao.kms;

import dev.cloudproxy.tao.TaoException;

/**
 * The root of this module's checked failures. Messages name objects and epochs, never key material
 * or content.
 */
public class KeyManagementException extends TaoException {
    private static final long serialVersionUID = 1L;

    public KeyManagementException(String message) {
        super(message);
    }

    public KeyManagementException(String message, Throwable cause) {
        super(message, cause);
    }
}
