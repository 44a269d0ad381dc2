package dev.cloudproxy.tao;

import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The plaintext of an unsealed blob and the policy it was sealed under. Holds a secret: it has no
 * {@code equals}, its {@code toString} shows only the policy and length, and {@link #close()}
 * zeroes its copy ({@link SecretBytes}). A blob from {@link Tao#rollbackProtectedSeal} also names its label and counter
 * value (neither is secret).
 */
public final class Unsealed extends SecretBytes {
    private final SealPolicy policy;
    private final String label;
    private final long counter;

    /** Takes ownership of {@code data} (the caller must not keep using the array). */
    public Unsealed(byte[] data, SealPolicy policy) {
        super(Objects.requireNonNull(data, "data"));
        this.policy = Objects.requireNonNull(policy, "policy");
        this.label = null;
        this.counter = 0;
    }

    /** As {@link #Unsealed(byte[], SealPolicy)}, for a rollback-protected blob of {@code label} at {@code counter}. */
    public Unsealed(byte[] data, SealPolicy policy, String label, long counter) {
        super(Objects.requireNonNull(data, "data"));
        this.policy = Objects.requireNonNull(policy, "policy");
        this.label = Objects.requireNonNull(label, "label");
        this.counter = counter;
    }

    /**
     * A copy of the plaintext; the caller should zero it when done.
     *
     * @throws IllegalStateException if this was closed
     */
    public byte[] data() {
        return secretCopy();
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
    public String toString() {
        String rollback = label == null ? "" : ", label=" + label + ", counter=" + counter;
        return "Unsealed[policy=" + policy + rollback + ", " + redacted() + "]";
    }
}
