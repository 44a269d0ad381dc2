package dev.cloudproxy.tao;

/**
 * Authenticated decryption failed: the data was altered or truncated, was encrypted under another
 * key, or was bound to other associated data.
 *
 * <p>These causes are deliberately indistinguishable (same type, same message) so that a failed
 * decryption tells an attacker nothing about which check failed. The caller must treat the input
 * as unreadable and untrusted.
 */
public class DecryptionException extends TaoException {
    private static final long serialVersionUID = 1L;

    public DecryptionException(String message) {
        super(message);
    }
}
