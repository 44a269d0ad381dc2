package dev.cloudproxy.tao.cli;

import java.util.Arrays;
import javax.security.auth.Destroyable;

/**
 * A password a command obtained from {@link Passwords}. It owns its array and zeroes it when
 * closed, so use it in a try-with-resources block. It has no {@code equals} and its
 * {@code toString} never shows the characters.
 */
final class Password implements AutoCloseable, Destroyable {
    private final char[] chars;
    private boolean destroyed;

    /** Takes ownership of {@code chars}: the caller must not keep or zero them itself. */
    Password(char[] chars) {
        this.chars = chars;
    }

    /**
     * The characters themselves, to hand to a key-derivation call; the array stays owned by this
     * object and is zeroed when it is closed.
     *
     * @throws IllegalStateException if this password was already closed
     */
    char[] chars() {
        if (destroyed) {
            throw new IllegalStateException("password already destroyed");
        }
        return chars;
    }

    /** Same as {@link #destroy()}. */
    @Override
    public void close() {
        destroy();
    }

    /** Zeroes the characters; idempotent. */
    @Override
    public void destroy() {
        Arrays.fill(chars, '\0');
        destroyed = true;
    }

    @Override
    public boolean isDestroyed() {
        return destroyed;
    }

    @Override
    public String toString() {
        return "Password[redacted]";
    }
}
