package dev.cloudproxy.tao.keys;

import dev.cloudproxy.tao.DecryptionException;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Objects;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.security.auth.Destroyable;

/**
 * Authenticated encryption with AES-256-GCM, in a small self-describing format.
 *
 * <p>Ciphertext layout (version 1):
 *
 * <pre>
 *   offset  size  field
 *   0       1     version = 0x01 (AES-256-GCM, 96-bit nonce, 128-bit tag)
 *   1       12    nonce, fresh from SecureRandom for every message
 *   13      n+16  GCM ciphertext of the n plaintext bytes, then the tag
 * </pre>
 *
 * <p>The tag covers the version byte followed by the caller's associated data, so neither the
 * format byte nor the context the data was bound to can be changed. Decryption returns plaintext
 * only after the tag checks; every failure (tampering, truncation, wrong key, other associated
 * data, unknown version) is the same {@link DecryptionException} with the same message.
 *
 * <p>Random 96-bit nonces are safe for up to 2^32 messages under one key (NIST SP 800-38D); a key
 * that might encrypt more must be rotated.
 *
 * <p>Uses the JDK's AES-GCM, which is hardware-accelerated (several GB/s). Thread-safe.
 * {@link #close()} zeroes this object's copy of the key; the only way to read the key is
 * {@link #exportSecretKeyMaterial()}.
 */
public final class Crypter implements AutoCloseable, Destroyable {
    /** Length of an AES-256 key. */
    public static final int KEY_BYTES = 32;
    /** Bytes a ciphertext has beyond its plaintext: version, nonce and tag. */
    public static final int OVERHEAD = 1 + 12 + 16;

    private static final byte VERSION_1 = 0x01;
    private static final int NONCE_BYTES = 12;
    private static final int TAG_BITS = 128;
    private static final int HEADER_BYTES = 1 + NONCE_BYTES;
    private static final String DECRYPTION_FAILED = "decryption failed";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final SecretGuard guard = new SecretGuard("Crypter");
    private final byte[] key;
    private final SecretKey jceKey;

    private Crypter(byte[] key) {
        this.key = key;
        this.jceKey = new BorrowedAesKey(key);
    }

    /** A new random key. */
    public static Crypter generate() {
        byte[] key = new byte[KEY_BYTES];
        RANDOM.nextBytes(key);
        return new Crypter(key);
    }

    /**
     * The crypter for a 32-byte AES key, as returned by {@link #exportSecretKeyMaterial()}. The
     * argument is copied; the caller should zero its own copy.
     */
    public static Crypter fromSecretKeyMaterial(byte[] key) {
        Objects.requireNonNull(key, "key");
        if (key.length != KEY_BYTES) {
            throw new IllegalArgumentException("an AES-256 key is 32 bytes");
        }
        return new Crypter(key.clone());
    }

    /** Encrypts with no associated data. */
    public byte[] encrypt(byte[] plaintext) {
        return encrypt(plaintext, new byte[0]);
    }

    /**
     * Encrypts {@code plaintext} and binds it to {@code associatedData}, which is authenticated
     * but not encrypted or included; decryption must present the same bytes.
     */
    public byte[] encrypt(byte[] plaintext, byte[] associatedData) {
        Objects.requireNonNull(plaintext, "plaintext");
        Objects.requireNonNull(associatedData, "associatedData");
        if (plaintext.length > Integer.MAX_VALUE - OVERHEAD - 16) {
            throw new IllegalArgumentException("plaintext too large");
        }
        byte[] out = new byte[plaintext.length + OVERHEAD];
        out[0] = VERSION_1;
        byte[] nonce = new byte[NONCE_BYTES];
        RANDOM.nextBytes(nonce);
        System.arraycopy(nonce, 0, out, 1, NONCE_BYTES);
        guard.acquire();
        try {
            Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
            gcm.init(Cipher.ENCRYPT_MODE, jceKey, new GCMParameterSpec(TAG_BITS, nonce));
            gcm.updateAAD(out, 0, 1);
            gcm.updateAAD(associatedData);
            gcm.doFinal(plaintext, 0, plaintext.length, out, HEADER_BYTES);
            return out;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-256-GCM is unavailable", e);
        } finally {
            guard.release();
        }
    }

    /** Decrypts a ciphertext that was made with no associated data. */
    public byte[] decrypt(byte[] ciphertext) throws DecryptionException {
        return decrypt(ciphertext, new byte[0]);
    }

    /**
     * Checks and decrypts a ciphertext made by {@link #encrypt(byte[], byte[])} with the same key
     * and associated data.
     *
     * @throws DecryptionException for any failure, always with the same message
     */
    public byte[] decrypt(byte[] ciphertext, byte[] associatedData) throws DecryptionException {
        Objects.requireNonNull(ciphertext, "ciphertext");
        Objects.requireNonNull(associatedData, "associatedData");
        if (ciphertext.length < OVERHEAD || ciphertext[0] != VERSION_1) {
            throw new DecryptionException(DECRYPTION_FAILED);
        }
        guard.acquire();
        try {
            Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
            gcm.init(Cipher.DECRYPT_MODE, jceKey, new GCMParameterSpec(TAG_BITS, ciphertext, 1, NONCE_BYTES));
            gcm.updateAAD(ciphertext, 0, 1);
            gcm.updateAAD(associatedData);
            return gcm.doFinal(ciphertext, HEADER_BYTES, ciphertext.length - HEADER_BYTES);
        } catch (AEADBadTagException e) {
            throw new DecryptionException(DECRYPTION_FAILED);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-256-GCM is unavailable", e);
        } finally {
            guard.release();
        }
    }

    /**
     * The 32-byte AES key: raw secret key material, for storing the key under encryption. The
     * caller owns the returned copy and must zero it when done.
     */
    public byte[] exportSecretKeyMaterial() {
        return guard.copy(key);
    }

    /** Same as {@link #destroy()}. */
    @Override
    public void close() {
        destroy();
    }

    /** Zeroes the key held here; idempotent. */
    @Override
    public void destroy() {
        guard.destroy(() -> Arrays.fill(key, (byte) 0));
    }

    @Override
    public boolean isDestroyed() {
        return guard.isDestroyed();
    }

    @Override
    public String toString() {
        return "Crypter[redacted]";
    }

    /**
     * Lends the key to the JDK cipher without a long-lived copy of its own: a
     * {@code SecretKeySpec} would keep a second copy that {@link #destroy()} could not reach. The
     * provider takes a short-lived copy for each cipher it initialises.
     */
    private static final class BorrowedAesKey implements SecretKey {
        private static final long serialVersionUID = 1L;
        private final transient byte[] key;

        BorrowedAesKey(byte[] key) {
            this.key = key;
        }

        @Override
        public String getAlgorithm() {
            return "AES";
        }

        @Override
        public String getFormat() {
            return "RAW";
        }

        @Override
        public byte[] getEncoded() {
            return key.clone();
        }

        @Override
        public String toString() {
            return "AES key[redacted]";
        }
    }
}
