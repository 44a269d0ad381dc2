package dev.cloudproxy.tao;

import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import javax.security.auth.Destroyable;

/**
 * The plaintext of an unsealed blob and the policy it was sealed under. Holds a secret: it has no
 * {@code equals}, its {@code toString} shows only the policy and length, and {@link #close()}
 * zeroes its copy. A blob from {@link Tao#rollbackProtectedSeal} also names its label and counter
 * value (neither is secret).
 */
public final class Unsealed implements AutoCloseable, Destroyable {
    private final byte[] data;
    private final SealPolicy policy;
    private final String label;
    private final long counter;
    private volatile boolean destroyed;

    /** Takes ownership of {@code data} (the caller must not keep using the array). */
    public Unsealed(byte[] data, SealPolicy policy) {
        this.data = Objects.requireNonNull(data, "data");
        this.policy = Objects.requireNonNull(policy, "policy");
        this.label = null;
        this.counter = 0;
    }

    /** As {@link #Unsealed(byte[], SealPolicy)}, for a rollback-protected blob of {@code label} at {@code counter}. */
    public Unsealed(byte[] data, SealPolicy policy, String label, long counter) {
        this.data = Objects.requireNonNull(data, "data");
        this.policy = Objects.requireNonNull(policy, "policy");
        this.label = Objects.requireNonNull(label, "label");
        this.counter = counter;
    }

    /** A copy of the plaintext. */
    public byte[] data() {
        if (destroyed) {
            throw new IllegalStateException("unsealed data was closed");
        }
        return data.clone();
    }

    /** The policy the blob was sealed under. */
    public SealPolicy policy() {
        return policy;
    }

    /** The label a rollback-protected blob was sealed under; empty for an ordinary seal. */
    public Optional<String> label() {
        return Optional.ofNullable(label);
    }

    /** The counter value a rollback-protected blob was sealed with; empty for an ordinary seal. */
    public OptionalLong counter() {
        return label == null ? OptionalLong.empty() : OptionalLong.of(counter);
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
        String rollback = label == null ? "" : ", label=" + label + ", counter=" + counter;
        return "Unsealed[policy=" + policy + rollback + ", " + data.length + " bytes, redacted]";
    }
}
