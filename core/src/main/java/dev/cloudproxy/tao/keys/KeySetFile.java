package dev.cloudproxy.tao.keys;

import dev.cloudproxy.tao.DecryptionException;
import dev.cloudproxy.tao.VerificationException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.Arrays;

/**
 * The key set file format, version 1. All integers are unsigned big-endian.
 *
 * <pre>
 *   size  field
 *   8     magic "TAOKEYS\0"
 *   1     format version = 1
 *   1     protection = 1: password, Argon2id v1.3 key -> AES-256-GCM (the {@link Crypter} format)
 *   4     Argon2id memory in KiB
 *   4     Argon2id iterations
 *   1     Argon2id parallelism
 *   1     salt length s (16..64)
 *   s     salt, random per save
 *   2     public key length k (at most 1024)
 *   k     signing public key, PKIX DER (91 bytes for P-256): readable without the password
 *   2     sealed length c (at most 2048)
 *   c     Crypter ciphertext of the secret payload; its associated data is every byte above,
 *         from the magic through the public key, so none of them can be changed
 *   32    SHA-256 of every byte above: catches accidental corruption before any password work
 * </pre>
 *
 * <p>Secret payload: a count byte, then that many entries of {@code type(1) length(1) bytes}, in
 * this order for version 1: type 1 = the ECDSA P-256 private scalar (32 bytes), type 2 = the
 * AES-256 crypting key (32), type 3 = the HKDF-SHA256 deriving secret (32).
 *
 * <p>Other protections (for example keys sealed to a parent Tao and its policy) get new protection
 * values; a reader refuses values it does not know rather than guessing.
 */
final class KeySetFile {
    static final int MAX_FILE_BYTES = 4096;

    private static final byte[] MAGIC = {'T', 'A', 'O', 'K', 'E', 'Y', 'S', 0};
    private static final int VERSION = 1;
    private static final int PROTECTION_PASSWORD_ARGON2ID = 1;
    private static final int SALT_BYTES = 16;
    private static final int MIN_SALT_BYTES = 16;
    private static final int MAX_SALT_BYTES = 64;
    private static final int MAX_PUBLIC_KEY_BYTES = 1024;
    private static final int MAX_SEALED_BYTES = 2048;
    private static final int CHECKSUM_BYTES = 32;
    private static final int WRAPPING_KEY_BYTES = Crypter.KEY_BYTES;

    private static final int ENTRY_SIGNING = 1;
    private static final int ENTRY_CRYPTING = 2;
    private static final int ENTRY_DERIVING = 3;
    private static final int ENTRY_KEY_BYTES = 32;
    private static final int PAYLOAD_BYTES = 1 + 3 * (2 + ENTRY_KEY_BYTES);

    private KeySetFile() {}

    /** The parts of a file that can be read without the password. Not secret. */
    static final class Header {
        final byte[] associatedData;
        final Argon2Params params;
        final byte[] salt;
        final Verifier verifier;
        final byte[] sealed;

        private Header(byte[] associatedData, Argon2Params params, byte[] salt, Verifier verifier,
                byte[] sealed) {
            this.associatedData = associatedData;
            this.params = params;
            this.salt = salt;
            this.verifier = verifier;
            this.sealed = sealed;
        }
    }

    static byte[] encode(Keys keys, char[] password, Argon2Params params, byte[] salt) {
        byte[] pkix = keys.verifier().pkix();
        ByteBuffer header = ByteBuffer.allocate(MAGIC.length + 12 + salt.length + 2 + pkix.length);
        header.put(MAGIC).put((byte) VERSION).put((byte) PROTECTION_PASSWORD_ARGON2ID)
                .putInt(params.memoryKiB()).putInt(params.iterations()).put((byte) params.parallelism())
                .put((byte) salt.length).put(salt)
                .putShort((short) pkix.length).put(pkix);
        byte[] associatedData = header.array();

        byte[] payload = new byte[PAYLOAD_BYTES];
        byte[] wrappingKey = PasswordKdf.argon2id(password, salt, params, WRAPPING_KEY_BYTES);
        byte[] sealed;
        try (Crypter wrapper = Crypter.fromSecretKeyMaterial(wrappingKey)) {
            payload[0] = 3;
            int at = 1;
            at = putEntry(payload, at, ENTRY_SIGNING, keys.signer().exportSecretKeyMaterial());
            at = putEntry(payload, at, ENTRY_CRYPTING, keys.crypter().exportSecretKeyMaterial());
            putEntry(payload, at, ENTRY_DERIVING, keys.deriver().exportSecretKeyMaterial());
            sealed = wrapper.encrypt(payload, associatedData);
        } finally {
            Arrays.fill(wrappingKey, (byte) 0);
            Arrays.fill(payload, (byte) 0);
        }

        ByteBuffer file = ByteBuffer.allocate(associatedData.length + 2 + sealed.length + CHECKSUM_BYTES);
        file.put(associatedData).putShort((short) sealed.length).put(sealed);
        file.put(P256.sha256(Arrays.copyOf(file.array(), file.position())));
        return file.array();
    }

    /** Checks the structure and checksum and reads the public parts. */
    static Header parse(byte[] file) throws InvalidKeySetException {
        if (file.length > MAX_FILE_BYTES) {
            throw new InvalidKeySetException("key set file is larger than " + MAX_FILE_BYTES + " bytes");
        }
        if (file.length < MAGIC.length + 1
                || !Arrays.equals(file, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            throw new InvalidKeySetException("not a Tao key set file");
        }
        int version = file[MAGIC.length] & 0xff;
        if (version != VERSION) {
            throw new InvalidKeySetException("unsupported key set format version " + version);
        }
        if (file.length < MAGIC.length + CHECKSUM_BYTES) {
            throw new InvalidKeySetException("key set file is truncated");
        }
        int bodyLength = file.length - CHECKSUM_BYTES;
        byte[] expected = P256.sha256(Arrays.copyOf(file, bodyLength));
        if (!MessageDigest.isEqual(expected, Arrays.copyOfRange(file, bodyLength, file.length))) {
            throw new InvalidKeySetException("key set file is corrupted or truncated (checksum mismatch)");
        }

        ByteBuffer in = ByteBuffer.wrap(file, 0, bodyLength);
        in.position(MAGIC.length + 1);
        int protection = u8(in);
        if (protection != PROTECTION_PASSWORD_ARGON2ID) {
            throw new InvalidKeySetException("unsupported key protection " + protection);
        }
        long memory = u32(in);
        long iterations = u32(in);
        int parallelism = u8(in);
        Argon2Params params;
        try {
            params = new Argon2Params((int) Math.min(memory, Integer.MAX_VALUE),
                    (int) Math.min(iterations, Integer.MAX_VALUE), parallelism);
        } catch (IllegalArgumentException e) {
            throw new InvalidKeySetException("key set has invalid Argon2id parameters");
        }
        if (!params.isAtMost(Argon2Params.CEILING)) {
            throw new InvalidKeySetException("key set asks for more Argon2id work than allowed ("
                    + Argon2Params.CEILING + " at most)");
        }
        int saltLength = u8(in);
        if (saltLength < MIN_SALT_BYTES || saltLength > MAX_SALT_BYTES) {
            throw new InvalidKeySetException("key set has a salt of invalid length");
        }
        byte[] salt = bytes(in, saltLength);
        byte[] pkix = bytes(in, u16(in, MAX_PUBLIC_KEY_BYTES));
        int associatedLength = in.position();
        byte[] sealed = bytes(in, u16(in, MAX_SEALED_BYTES));
        if (in.hasRemaining()) {
            throw new InvalidKeySetException("key set file has trailing bytes");
        }
        Verifier verifier;
        try {
            verifier = Verifier.fromPkix(pkix);
        } catch (VerificationException e) {
            throw new InvalidKeySetException("key set's public key is invalid: " + e.getMessage());
        }
        return new Header(Arrays.copyOf(file, associatedLength), params, salt, verifier, sealed);
    }

    /** Unlocks the secret payload of a parsed file. */
    static Keys open(Header header, char[] password, Argon2Params floor)
            throws WrongPasswordException, InvalidKeySetException {
        Argon2Params params = header.params;
        if (!params.isAtLeast(floor)) {
            throw new InvalidKeySetException("key set's password hashing " + params
                    + " is weaker than the minimum " + floor + "; refusing to use it");
        }
        long needed = (long) params.memoryKiB() * 1024;
        if (needed > Runtime.getRuntime().maxMemory() / 2) {
            throw new InvalidKeySetException("unlocking this key set needs " + (needed >> 20)
                    + " MiB for Argon2id, more than half of this JVM's maximum heap");
        }
        byte[] wrappingKey = PasswordKdf.argon2id(password, header.salt, params, WRAPPING_KEY_BYTES);
        byte[] payload;
        try (Crypter wrapper = Crypter.fromSecretKeyMaterial(wrappingKey)) {
            payload = wrapper.decrypt(header.sealed, header.associatedData);
        } catch (DecryptionException e) {
            throw new WrongPasswordException();
        } finally {
            Arrays.fill(wrappingKey, (byte) 0);
        }
        try {
            return readPayload(payload, header.verifier);
        } finally {
            Arrays.fill(payload, (byte) 0);
        }
    }

    private static Keys readPayload(byte[] payload, Verifier expected) throws InvalidKeySetException {
        // Authenticated under the password, so a mismatch here means a writer bug, not an attack.
        if (payload.length != PAYLOAD_BYTES || payload[0] != 3) {
            throw new InvalidKeySetException("key set payload is malformed");
        }
        byte[] scalar = entry(payload, 1, ENTRY_SIGNING);
        byte[] aesKey = entry(payload, 1 + 2 + ENTRY_KEY_BYTES, ENTRY_CRYPTING);
        byte[] secret = entry(payload, 1 + 2 * (2 + ENTRY_KEY_BYTES), ENTRY_DERIVING);
        Signer signer = null;
        try {
            signer = Signer.fromSecretKeyMaterial(scalar);
            if (!signer.verifier().equals(expected)) {
                signer.close();
                throw new InvalidKeySetException("key set's private key does not match its public key");
            }
            return new Keys(signer, Crypter.fromSecretKeyMaterial(aesKey), Deriver.fromSecretKeyMaterial(secret));
        } catch (IllegalArgumentException e) {
            if (signer != null) {
                signer.close();
            }
            throw new InvalidKeySetException("key set payload holds an invalid key");
        } finally {
            Arrays.fill(scalar, (byte) 0);
            Arrays.fill(aesKey, (byte) 0);
            Arrays.fill(secret, (byte) 0);
        }
    }

    private static int putEntry(byte[] payload, int at, int type, byte[] key) {
        try {
            payload[at] = (byte) type;
            payload[at + 1] = (byte) key.length;
            System.arraycopy(key, 0, payload, at + 2, key.length);
            return at + 2 + key.length;
        } finally {
            Arrays.fill(key, (byte) 0);
        }
    }

    private static byte[] entry(byte[] payload, int at, int type) throws InvalidKeySetException {
        if (payload[at] != type || payload[at + 1] != ENTRY_KEY_BYTES) {
            throw new InvalidKeySetException("key set payload is malformed");
        }
        return Arrays.copyOfRange(payload, at + 2, at + 2 + ENTRY_KEY_BYTES);
    }

    static byte[] newSalt() {
        byte[] salt = new byte[SALT_BYTES];
        Keys.RANDOM.nextBytes(salt);
        return salt;
    }

    private static int u8(ByteBuffer in) throws InvalidKeySetException {
        need(in, 1);
        return in.get() & 0xff;
    }

    private static int u16(ByteBuffer in, int max) throws InvalidKeySetException {
        need(in, 2);
        int value = in.getShort() & 0xffff;
        if (value > max) {
            throw new InvalidKeySetException("key set file has an oversized field");
        }
        return value;
    }

    private static long u32(ByteBuffer in) throws InvalidKeySetException {
        need(in, 4);
        return in.getInt() & 0xffffffffL;
    }

    private static byte[] bytes(ByteBuffer in, int length) throws InvalidKeySetException {
        need(in, length);
        byte[] out = new byte[length];
        in.get(out);
        return out;
    }

    private static void need(ByteBuffer in, int length) throws InvalidKeySetException {
        if (in.remaining() < length) {
            throw new InvalidKeySetException("key set file is truncated");
        }
    }
}
