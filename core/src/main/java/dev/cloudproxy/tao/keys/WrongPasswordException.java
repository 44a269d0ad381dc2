package dev.cloudproxy.tao.keys;

import dev.cloudproxy.tao.TaoException;

/**
 * A stored key set did not open with the given password. The caller may ask for the password
 * again.
 *
 * <p>Authenticated encryption cannot tell a wrong password from a file that someone altered and
 * re-checksummed on purpose, so this exception also covers the latter; accidental corruption is
 * caught earlier by the file's checksum and reported as {@link InvalidKeySetException}. The
 * message never hints at the password or the keys.
 */
public final class WrongPasswordException extends TaoException {
    private static final long serialVersionUID = 1L;

    WrongPasswordException() {
        super("wrong password, or the key set was altered");
    }
}
