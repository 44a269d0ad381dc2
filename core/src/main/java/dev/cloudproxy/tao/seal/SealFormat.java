package dev.cloudproxy.tao.seal;

import dev.cloudproxy.tao.DecryptionException;
import dev.cloudproxy.tao.Tao;
import dev.cloudproxy.tao.UnsealException;
import dev.cloudproxy.tao.Unsealed;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.keys.Crypter;
import dev.cloudproxy.tao.keys.Deriver;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * How a Tao that holds its own keys seals data and derives shared secrets for a program.
 *
 * <p>Sealed blob, version 1:
 * <pre>
 *   "TAOS" | version (1) | policy (1 = self, 2 = any) | u16 parameter length | parameters
 *   | Crypter ciphertext (AES-256-GCM: version, nonce, ciphertext, tag)
 * </pre>
 * The associated data of the encryption is everything before the ciphertext followed by the
 * binary auth encoding of the principal the policy binds to: the caller's full name for
 * {@code self}, the Tao's own name for {@code any} (every program of a Tao has a name that extends
 * it). So the policy travels in the blob, authenticated, and the name never does: unsealing
 * recomputes it from who is asking. Policy parameters are empty for {@code self} and {@code any};
 * they leave room for policies planned later (a monotonic counter value for rollback protection, a
 * policy-signed program family and minimum version) without a new format version.
 *
 * <p>Every failure to unseal is the same {@link UnsealException}.
 */
public final class SealFormat {
    private static final byte[] MAGIC = "TAOS".getBytes(StandardCharsets.US_ASCII);
    private static final int VERSION = 1;
    private static final int POLICY_SELF = 1;
    private static final int POLICY_ANY = 2;
    private static final int HEADER = MAGIC.length + 4;
    private static final int MAX_PARAMS = 1 << 12;
    private static final byte[] SECRET_SALT = "Tao Shared Secret V1".getBytes(StandardCharsets.US_ASCII);

    /** Largest blob {@link #unseal} reads. */
    public static final int MAX_BLOB_BYTES = Tao.MAX_SEAL_BYTES + HEADER + MAX_PARAMS + Crypter.OVERHEAD;

    private SealFormat() {}

    /**
     * Seals {@code data} for {@code caller} under {@code policy}.
     *
     * @param tao the name of the Tao itself (for {@code any})
     * @throws IllegalArgumentException for an unknown policy or oversized data
     */
    public static byte[] seal(Crypter crypter, byte[] data, String policy, Prin caller, Prin tao) {
        Objects.requireNonNull(data, "data");
        if (data.length > Tao.MAX_SEAL_BYTES) {
            throw new IllegalArgumentException("cannot seal more than " + Tao.MAX_SEAL_BYTES + " bytes");
        }
        int id = policyId(policy);
        byte[] header = header(id);
        byte[] ct = crypter.encrypt(data, associatedData(header, bound(id, caller, tao)));
        byte[] blob = Arrays.copyOf(header, header.length + ct.length);
        System.arraycopy(ct, 0, blob, header.length, ct.length);
        return blob;
    }

    /** Opens a blob made by {@link #seal} for the same caller (or Tao, for {@code any}) and keys. */
    public static Unsealed unseal(Crypter crypter, byte[] blob, Prin caller, Prin tao) throws UnsealException {
        Objects.requireNonNull(blob, "blob");
        if (blob.length < HEADER || blob.length > MAX_BLOB_BYTES
                || !Arrays.equals(blob, 0, MAGIC.length, MAGIC, 0, MAGIC.length)
                || blob[MAGIC.length] != VERSION) {
            throw new UnsealException();
        }
        int id = blob[MAGIC.length + 1];
        int params = ((blob[MAGIC.length + 2] & 0xff) << 8) | (blob[MAGIC.length + 3] & 0xff);
        if ((id != POLICY_SELF && id != POLICY_ANY) || params != 0) {
            throw new UnsealException();
        }
        byte[] header = Arrays.copyOf(blob, HEADER);
        byte[] ct = Arrays.copyOfRange(blob, HEADER, blob.length);
        try {
            byte[] data = crypter.decrypt(ct, associatedData(header, bound(id, caller, tao)));
            return new Unsealed(data, id == POLICY_SELF ? Tao.SEAL_POLICY_SELF : Tao.SEAL_POLICY_ANY);
        } catch (DecryptionException e) {
            throw new UnsealException();
        }
    }

    /**
     * A secret of {@code n} bytes for {@code caller} ({@code self}) or for every program of the Tao
     * ({@code any}): HKDF-SHA256 with the Tao's deriving key, the policy, the bound principal and
     * the length as context, so different lengths give unrelated secrets.
     */
    public static byte[] sharedSecret(Deriver deriver, int n, String policy, Prin caller, Prin tao) {
        if (n < 1 || n > Tao.MAX_SHARED_SECRET_BYTES) {
            throw new IllegalArgumentException("shared secret length must be 1.." + Tao.MAX_SHARED_SECRET_BYTES);
        }
        int id = policyId(policy);
        byte[] name = bound(id, caller, tao).encode();
        ByteBuffer info = ByteBuffer.allocate(1 + 4 + name.length);
        info.put((byte) id).putInt(n).put(name);
        return deriver.derive(SECRET_SALT, info.array(), n);
    }

    private static int policyId(String policy) {
        Objects.requireNonNull(policy, "policy");
        return switch (policy) {
            case Tao.SEAL_POLICY_SELF -> POLICY_SELF;
            case Tao.SEAL_POLICY_ANY -> POLICY_ANY;
            default -> throw new IllegalArgumentException("unknown policy (use \"self\" or \"any\")");
        };
    }

    private static Prin bound(int id, Prin caller, Prin tao) {
        return id == POLICY_SELF ? Objects.requireNonNull(caller, "caller") : Objects.requireNonNull(tao, "tao");
    }

    private static byte[] header(int id) {
        byte[] h = Arrays.copyOf(MAGIC, HEADER);
        h[MAGIC.length] = VERSION;
        h[MAGIC.length + 1] = (byte) id;
        return h; // parameter length 0
    }

    private static byte[] associatedData(byte[] header, Prin bound) {
        byte[] name = bound.encode();
        return ByteBuffer.allocate(header.length + 4 + name.length).put(header).putInt(name.length).put(name).array();
    }
}
