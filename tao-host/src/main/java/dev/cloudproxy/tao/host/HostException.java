package dev.cloudproxy.tao.host;

import dev.cloudproxy.tao.TaoException;

/**
 * A host cannot be set up, opened or used as asked: its directory is missing or malformed, its
 * configuration is not signed by its key, its parent refuses it, or a program may not run on it.
 * The message is one line and never holds a secret.
 */
public class HostException extends TaoException {
    private static final long serialVersionUID = 1L;

    public HostException(String message) {
        super(message);
    }

    public HostException(String message, Throwable cause) {
        super(message, cause);
    }
}
