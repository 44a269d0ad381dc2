package dev.cloudproxy.tao.kms;

import java.util.Optional;

/**
 * What a protected object holds, with its stable wire code. Codes are never reused; a new type
 * (for example {@code ecdsa-p256}, planned for group signing keys) takes the next one.
 */
public enum ObjectType {
    /** A 32-byte AES-256-GCM key; the only type that can protect other objects. */
    AES_256_GCM(1, "aes-256-gcm", 32),
    /** A 32-byte HMAC-SHA256 key. */
    HMAC_SHA256(2, "hmac-sha256", 32),
    /** Opaque content of any length up to {@link Link#MAX_PAYLOAD}. */
    FILE(3, "file", -1),
    /**
     * An ECDSA P-256 signing key: its private scalar, 32 big-endian bytes in [1, n-1]. Disclosed
     * to a set of programs it makes them one signer toward systems outside the domain (a group
     * key, a "service account"); {@link ObjectMaterial#signer()} turns it into a signer.
     */
    ECDSA_P256(4, "ecdsa-p256", 32);

    private final int code;
    private final String text;
    private final int keyBytes;

    ObjectType(int code, String text, int keyBytes) {
        this.code = code;
        this.text = text;
        this.keyBytes = keyBytes;
    }

    /** The byte that stands for this type in stored links. */
    public int code() {
        return code;
    }

    /** Length of the key material, or -1 for content of any length. */
    public int keyBytes() {
        return keyBytes;
    }

    /** Whether objects of this type may protect others. */
    public boolean canProtect() {
        return this == AES_256_GCM;
    }

    public static Optional<ObjectType> fromCode(int code) {
        for (ObjectType t : values()) {
            if (t.code == code) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }

    /** Parses {@code aes-256-gcm}, {@code hmac-sha256}, {@code file} or {@code ecdsa-p256}. */
    public static ObjectType parse(String text) {
        for (ObjectType t : values()) {
            if (t.text.equals(text)) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown object type (expected aes-256-gcm, hmac-sha256, file or ecdsa-p256)");
    }

    @Override
    public String toString() {
        return text;
    }
}
