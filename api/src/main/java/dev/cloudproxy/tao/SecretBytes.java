package dev.cloudproxy.tao;

import java.util.Arrays;
import java.util.Objects;
import javax.security.auth.Destroyable;

/**
 * The one way this project holds secret bytes in memory: a value that owns its array, hands out
 * copies only while open, and zeroes the array when {@linkplain #close() closed}. Subclasses
 * ({@link Unsealed}, and inside the project protected-object material and the secret service's
 * messages) add the public facts that go with the secret.
 *
 * <p>Holders have no {@code equals} (comparing secrets is the caller's decision, in constant
 * time) and their {@code toString} shows at most the length: subclasses build theirs from
 * {@link #redacted()}. Closing is idempotent; a copy taken before closing is the caller's to zero.
 */
public abstract class SecretBytes implements AutoCloseable, Destroyable {
    private final byte[] secret;
    private volatile boolean destroyed;

    /** Takes ownership of {@code secret}: the caller must not keep using the array. */
    protected SecretBytes(byte[] secret) {
        this.secret = Objects.requireNonNull(secret, "secret");
    }

    /**
     * A copy of the secret; the caller owns it and should zero it when done.
     *
     * @throws IllegalStateException if this holder was closed
     */
    protected final byte[] secretCopy() {
        return open().clone();
    }

    /**
     * The array itself, for a subclass that writes it out without another copy (a protocol
     * encoder); never hand it further.
     *
     * @throws IllegalStateException if this holder was closed
     */
    protected final byte[] secretArray() {
        return open();
    }

    /** Length of the secret in bytes (not secret; still answered after closing). */
    protected final int secretLength() {
        return secret.length;
    }

    /** "N bytes, redacted": what a {@code toString} may show of the secret. */
    protected final String redacted() {
        return secret.length + " bytes, redacted";
    }

    private byte[] open() {
        if (destroyed) {
            throw new IllegalStateException(getClass().getSimpleName() + " was closed");
        }
        return secret;
    }

    /** Same as {@link #destroy()}. */
    @Override
    public final void close() {
        destroy();
    }

    /** Zeroes the secret; idempotent. */
    @Override
    public final void destroy() {
        Arrays.fill(secret, (byte) 0);
        destroyed = true;
    }

    @Override
    public final boolean isDestroyed() {
        return destroyed;
    }
}
