package dev.cloudproxy.tao.keys;

import dev.cloudproxy.tao.TaoException;

/**
 * A stored key set cannot be used whatever the password: it is not a key set file, is of an
 * unsupported version, is truncated, oversized or corrupted, or asks for password-hashing
 * parameters outside the accepted range. Retrying will not help; restore the file from a backup
 * or make a new key set.
 */
public final class InvalidKeySetException extends TaoException {
    private static final long serialVersionUID = 1L;

    InvalidKeySetException(String message) {
        super(message);
    }
}
