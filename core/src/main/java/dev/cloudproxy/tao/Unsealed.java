package dev.cloudproxy.tao;

import java.util.Arrays;
import java.util.Objects;
import javax.security.auth.Destroyable;

/**
 * The plaintext of an unsealed blob and the policy it was sealed under. Holds a secret: it has no
 * {@code equals}, its {@code toString} shows only the policy and length, and {@link #close()}
 * zeroes its copy.
 */
public final class Unsealed implements AutoCloseable, Destroyable {
    private final byte[] data;
    private final String policy;
    private volatile boolean destroyed;

    /** Takes ownership of {@code data} (the caller must not keep using the array). */
    public Unsealed(byte[] data, String policy) {
        this.data = Objects.requireNonNull(data, "data");
        this.policy = Objects.requireNonNull(policy, "policy");
    }

    /** A copy of the plaintext. */
    public byte[] data() {
        if (destroyed) {
            throw new IllegalStateException("unsealed data was closed");
        }
        return data.clone();
    }

    /** The policy the blob was sealed under, such as {@link Tao#SEAL_POLICY_SELF}. */
    public String policy() {
        return policy;
    }

    @Override
    public void close() {
        destroy();
    }

    @Override
    public void destroy() {
        Arrays.fill(data, (byte) 0);
        destroyed = true;
    }

    @Override
    public boolean isDestroyed() {
        return destroyed;
    }

    @Override
    public String toString() {
        return "Unsealed[policy=" + policy + ", " + data.length + " bytes, redacted]";
    }
}
