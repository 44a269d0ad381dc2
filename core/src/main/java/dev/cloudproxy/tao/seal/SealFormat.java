package dev.cloudproxy.tao.seal;

import dev.cloudproxy.tao.DecryptionException;
import dev.cloudproxy.tao.CoreTao;
import dev.cloudproxy.tao.SealPolicy;
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
 * a rollback-protected blob ({@link #sealRollback}) carries its label and counter value there:
 * <pre>
 *   parameters = 1 (rollback) | u64 counter | u8 label length | label (ASCII)
 * </pre>
 * Parameters are in the associated data, so they are authenticated like the policy. An ordinary
 * {@link #unseal} refuses a blob with parameters, and {@link #unsealRollback} one without, so a
 * rollback-protected blob cannot be opened around its counter check. The slot leaves room for
 * policies planned later (a policy-signed program family and minimum version) without a new
 * format version.
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
    private static final int PARAM_ROLLBACK = 1;
    private static final byte[] SECRET_SALT = "Tao Shared Secret V1".getBytes(StandardCharsets.US_ASCII);

    /** Largest blob {@link #unseal} reads. */
    public static final int MAX_BLOB_BYTES = CoreTao.MAX_SEAL_BYTES + HEADER + MAX_PARAMS + Crypter.OVERHEAD;

    private SealFormat() {}

    /**
     * Seals {@code data} for {@code caller} under {@code policy}.
     *
     * @param tao the name of the Tao itself (for {@code any})
     * @throws IllegalArgumentException for an unknown policy or oversized data
     */
    public static byte[] seal(Crypter crypter, byte[] data, String policy, Prin caller, Prin tao) {
        return seal(crypter, data, policyId(policy), new byte[0], caller, tao);
    }

    /**
     * Seals {@code data} for {@code caller} with {@code label} and {@code counter} bound into the
     * blob; checking the counter when it is opened is the caller's job
     * ({@link RollbackCounters#check}).
     *
     * @throws IllegalArgumentException for a policy other than {@code self}, a bad label, a
     *     negative counter or oversized data
     */
    public static byte[] sealRollback(Crypter crypter, byte[] data, String policy, Prin caller, Prin tao,
            String label, long counter) {
        if (policyId(policy) != POLICY_SELF) {
            throw new IllegalArgumentException("rollback-protected state can only be sealed with policy \"self\"");
        }
        RollbackCounters.checkLabel(label);
        if (counter < 1) {
            throw new IllegalArgumentException("counter must be positive");
        }
        byte[] l = label.getBytes(StandardCharsets.US_ASCII);
        byte[] params = ByteBuffer.allocate(1 + 8 + 1 + l.length)
                .put((byte) PARAM_ROLLBACK).putLong(counter).put((byte) l.length).put(l).array();
        return seal(crypter, data, POLICY_SELF, params, caller, tao);
    }

    private static byte[] seal(Crypter crypter, byte[] data, int id, byte[] params, Prin caller, Prin tao) {
        Objects.requireNonNull(data, "data");
        if (data.length > CoreTao.MAX_SEAL_BYTES) {
            throw new IllegalArgumentException("cannot seal more than " + CoreTao.MAX_SEAL_BYTES + " bytes");
        }
        byte[] header = header(id, params);
        byte[] ct = crypter.encrypt(data, associatedData(header, bound(id, caller, tao)));
        byte[] blob = Arrays.copyOf(header, header.length + ct.length);
        System.arraycopy(ct, 0, blob, header.length, ct.length);
        return blob;
    }

    /** Opens a blob made by {@link #seal} for the same caller (or Tao, for {@code any}) and keys. */
    public static Unsealed unseal(Crypter crypter, byte[] blob, Prin caller, Prin tao) throws UnsealException {
        int params = paramsLength(blob);
        if (params != 0) {
            throw new UnsealException();
        }
        byte[] data = open(crypter, blob, params, caller, tao);
        return new Unsealed(data, SealPolicy.fromText(policyName(blob[MAGIC.length + 1])));
    }

    /**
     * Opens a blob made by {@link #sealRollback} for the same caller and keys; the result names
     * the label and counter, which the caller must still check against its counter table.
     */
    public static Unsealed unsealRollback(Crypter crypter, byte[] blob, Prin caller, Prin tao) throws UnsealException {
        int params = paramsLength(blob);
        // type, counter, label length, and at least one label character
        if (params < 1 + 8 + 1 + 1 || blob[HEADER] != PARAM_ROLLBACK || blob[MAGIC.length + 1] != POLICY_SELF) {
            throw new UnsealException();
        }
        ByteBuffer p = ByteBuffer.wrap(blob, HEADER + 1, params - 1);
        long counter = p.getLong();
        int labelLength = p.get() & 0xff;
        if (labelLength != p.remaining()) {
            throw new UnsealException();
        }
        String label = new String(blob, HEADER + 1 + 8 + 1, labelLength, StandardCharsets.US_ASCII);
        byte[] data = open(crypter, blob, params, caller, tao);
        // Authenticated by now; a sealer of this format never writes a bad label or counter.
        if (counter < 1 || !RollbackCounters.isValidLabel(label)) {
            Arrays.fill(data, (byte) 0);
            throw new UnsealException();
        }
        return new Unsealed(data, SealPolicy.SELF, label, counter);
    }

    /** The parameter length of a blob with a valid frame, or {@link UnsealException}. */
    private static int paramsLength(byte[] blob) throws UnsealException {
        Objects.requireNonNull(blob, "blob");
        if (blob.length < HEADER || blob.length > MAX_BLOB_BYTES
                || !Arrays.equals(blob, 0, MAGIC.length, MAGIC, 0, MAGIC.length)
                || blob[MAGIC.length] != VERSION) {
            throw new UnsealException();
        }
        int id = blob[MAGIC.length + 1];
        int params = ((blob[MAGIC.length + 2] & 0xff) << 8) | (blob[MAGIC.length + 3] & 0xff);
        if ((id != POLICY_SELF && id != POLICY_ANY) || params > MAX_PARAMS || HEADER + params > blob.length) {
            throw new UnsealException();
        }
        return params;
    }

    private static byte[] open(Crypter crypter, byte[] blob, int params, Prin caller, Prin tao) throws UnsealException {
        byte[] header = Arrays.copyOf(blob, HEADER + params);
        byte[] ct = Arrays.copyOfRange(blob, HEADER + params, blob.length);
        try {
            return crypter.decrypt(ct, associatedData(header, bound(blob[MAGIC.length + 1], caller, tao)));
        } catch (DecryptionException e) {
            throw new UnsealException();
        }
    }

    private static String policyName(int id) {
        return id == POLICY_SELF ? CoreTao.SEAL_POLICY_SELF : CoreTao.SEAL_POLICY_ANY;
    }

    /**
     * A secret of {@code n} bytes for {@code caller} ({@code self}) or for every program of the Tao
     * ({@code any}): HKDF-SHA256 with the Tao's deriving key, the policy, the bound principal and
     * the length as context, so different lengths give unrelated secrets.
     */
    public static byte[] sharedSecret(Deriver deriver, int n, String policy, Prin caller, Prin tao) {
        if (n < 1 || n > CoreTao.MAX_SHARED_SECRET_BYTES) {
            throw new IllegalArgumentException("shared secret length must be 1.." + CoreTao.MAX_SHARED_SECRET_BYTES);
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
            case CoreTao.SEAL_POLICY_SELF -> POLICY_SELF;
            case CoreTao.SEAL_POLICY_ANY -> POLICY_ANY;
            default -> throw new IllegalArgumentException("unknown policy (use \"self\" or \"any\")");
        };
    }

    private static Prin bound(int id, Prin caller, Prin tao) {
        return id == POLICY_SELF ? Objects.requireNonNull(caller, "caller") : Objects.requireNonNull(tao, "tao");
    }

    private static byte[] header(int id, byte[] params) {
        byte[] h = Arrays.copyOf(MAGIC, HEADER + params.length);
        h[MAGIC.length] = VERSION;
        h[MAGIC.length + 1] = (byte) id;
        h[MAGIC.length + 2] = (byte) (params.length >>> 8);
        h[MAGIC.length + 3] = (byte) params.length;
        System.arraycopy(params, 0, h, HEADER, params.length);
        return h;
    }

    private static byte[] associatedData(byte[] header, Prin bound) {
        byte[] name = bound.encode();
        return ByteBuffer.allocate(header.length + 4 + name.length).put(header).putInt(name.length).put(name).array();
    }
}
