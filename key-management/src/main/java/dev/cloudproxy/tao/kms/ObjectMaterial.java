package dev.cloudproxy.tao.kms;

import dev.cloudproxy.tao.keys.Signer;
import java.util.Arrays;
import java.util.Objects;
import javax.security.auth.Destroyable;

/**
 * The material of one epoch of a protected object (a key, or a file's content), as read through
 * its chain. Holds a secret: no {@code equals}, a {@code toString} that shows only the
 * {@linkplain #info() public description}, and {@link #close()} zeroes this copy. The only way to
 * the bytes is {@link #exportSecretMaterial()}.
 */
public final class ObjectMaterial implements AutoCloseable, Destroyable {
    private final ObjectInfo info;
    private final byte[] material;
    private volatile boolean destroyed;

    /** Takes ownership of {@code material}. */
    ObjectMaterial(ObjectInfo info, byte[] material) {
        this.info = Objects.requireNonNull(info, "info");
        this.material = Objects.requireNonNull(material, "material");
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
        if (destroyed) {
            throw new IllegalStateException("object material was closed");
        }
        return material.clone();
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
        return material.length;
    }

    @Override
    public void close() {
        destroy();
    }

    @Override
    public void destroy() {
        Arrays.fill(material, (byte) 0);
        destroyed = true;
    }

    @Override
    public boolean isDestroyed() {
        return destroyed;
    }

    @Override
    public String toString() {
        return "ObjectMaterial[" + info.id() + " " + info.type() + ", " + material.length + " bytes, redacted]";
    }
}
