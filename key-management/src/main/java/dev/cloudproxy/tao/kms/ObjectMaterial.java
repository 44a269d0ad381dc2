package dev.cloudproxy.tao.kms;

import dev.cloudproxy.tao.SecretBytes;
import dev.cloudproxy.tao.keys.Signer;
import java.util.Arrays;
import java.util.Objects;

/**
 * The material of one epoch of a protected object (a key, or a file's content), as read through
 * its chain. Holds a secret: no {@code equals}, a {@code toString} that shows only the
 * {@linkplain #info() public description}, and {@link #close()} zeroes this copy. The only way to
 * the bytes is {@link #exportSecretMaterial()}.
 */
public final class ObjectMaterial extends SecretBytes {
    private final ObjectInfo info;

    /** Takes ownership of {@code material}. */
    ObjectMaterial(ObjectInfo info, byte[] material) {
        super(Objects.requireNonNull(material, "material"));
        this.info = Objects.requireNonNull(info, "info");
    }

    /**
     * Material that arrived by another path than this program's own chain (the secret service's
     * answer, a peer's disclosure); takes ownership of {@code material}. Its holder vouches for
     * it: the chain's checks were made by whoever read it from its store.
     */
    public static ObjectMaterial received(ObjectInfo info, byte[] material) {
        return new ObjectMaterial(info, material);
    }

    /** Which object and epoch this is, its type, status and window. */
    public ObjectInfo info() {
        return info;
    }

    /** A copy of the secret material; the caller owns it and should zero it when done. */
    public byte[] exportSecretMaterial() {
        return secretCopy();
    }

    /**
     * The signer an {@link ObjectType#ECDSA_P256} object holds (a group key); the caller closes
     * it. It holds its own copy of the scalar, which closing this material does not reach.
     *
     * @throws IllegalStateException if the object is of another type or this material was closed
     * @throws IllegalArgumentException if the material is not a valid P-256 scalar
     */
    public Signer signer() {
        if (info.type() != ObjectType.ECDSA_P256) {
            throw new IllegalStateException(info.id() + " is " + info.type() + ", not an ecdsa-p256 signing key");
        }
        byte[] scalar = exportSecretMaterial();
        try {
            return Signer.fromSecretKeyMaterial(scalar);
        } finally {
            Arrays.fill(scalar, (byte) 0);
        }
    }

    /** Length of the material in bytes. */
    public int length() {
        return secretLength();
    }

    @Override
    public String toString() {
        return "ObjectMaterial[" + info.id() + " " + info.type() + ", " + redacted() + "]";
    }
}
