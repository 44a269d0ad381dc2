package dev.cloudproxy.tao.keys;

import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Objects;
import javax.security.auth.Destroyable;

/**
 * Derives independent keys and secrets from one 32-byte master secret with HKDF-SHA256 (RFC 5869).
 *
 * <p>{@code derive(salt, info, n)} is HKDF with this object's secret as the input keying material:
 * the same inputs always give the same output, and outputs for different {@code info} (the
 * purpose, e.g. {@code "tao sealing v1"}) are independent of each other and reveal nothing of the
 * master secret.
 *
 * <p>Thread-safe. {@link #close()} zeroes this object's copy of the secret; the only way to read
 * it is {@link #exportSecretKeyMaterial()}.
 */
public final class Deriver implements AutoCloseable, Destroyable {
    /** Length of the master secret. */
    public static final int KEY_BYTES = 32;
    /** The most HKDF-SHA256 can produce in one call: 255 blocks of 32 bytes. */
    public static final int MAX_OUTPUT_BYTES = Hkdf.MAX_OUTPUT_BYTES;

    private static final SecureRandom RANDOM = new SecureRandom();

    private final SecretGuard guard = new SecretGuard("Deriver");
    private final byte[] secret;

    private Deriver(byte[] secret) {
        this.secret = secret;
    }

    /** A new random master secret. */
    public static Deriver generate() {
        byte[] secret = new byte[KEY_BYTES];
        RANDOM.nextBytes(secret);
        return new Deriver(secret);
    }

    /**
     * The deriver for a 32-byte master secret, as returned by {@link #exportSecretKeyMaterial()}.
     * The argument is copied; the caller should zero its own copy.
     */
    public static Deriver fromSecretKeyMaterial(byte[] secret) {
        Objects.requireNonNull(secret, "secret");
        if (secret.length != KEY_BYTES) {
            throw new IllegalArgumentException("a deriving key is 32 bytes");
        }
        return new Deriver(secret.clone());
    }

    /**
     * {@code length} bytes of HKDF-SHA256 output for this secret, {@code salt} (may be empty) and
     * {@code info} (the purpose; may be empty).
     *
     * @throws IllegalArgumentException unless {@code 1 <= length <= 8160}
     */
    public byte[] derive(byte[] salt, byte[] info, int length) {
        Objects.requireNonNull(salt, "salt");
        Objects.requireNonNull(info, "info");
        guard.acquire();
        try {
            return Hkdf.derive(secret, salt, info, length);
        } finally {
            guard.release();
        }
    }

    /**
     * The 32-byte master secret: raw secret key material, for storing the key under encryption.
     * The caller owns the returned copy and must zero it when done.
     */
    public byte[] exportSecretKeyMaterial() {
        return guard.copy(secret);
    }

    /** Same as {@link #destroy()}. */
    @Override
    public void close() {
        destroy();
    }

    /** Zeroes the secret held here; idempotent. */
    @Override
    public void destroy() {
        guard.destroy(() -> Arrays.fill(secret, (byte) 0));
    }

    @Override
    public boolean isDestroyed() {
        return guard.isDestroyed();
    }

    @Override
    public String toString() {
        return "Deriver[redacted]";
    }
}
