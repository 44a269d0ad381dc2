package dev.cloudproxy.tao.tpm;

import dev.cloudproxy.tao.DecryptionException;
import dev.cloudproxy.tao.CoreTao;
import dev.cloudproxy.tao.SealPolicy;
import dev.cloudproxy.tao.UnsealException;
import dev.cloudproxy.tao.Unsealed;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.keys.Crypter;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Objects;

/**
 * Blobs sealed by a {@link TpmTao}, with the conventions of core's seal format (magic, version,
 * policy, length-prefixed policy parameters, AES-256-GCM whose associated data is the header and
 * the bound principal):
 * <pre>
 *   "TAOP" | version (1) | policy (1 = self, 2 = any) | u16 parameter length | parameters
 *   | Crypter ciphertext (AES-256-GCM: version, nonce, ciphertext, tag)
 *   parameters = u16 length | TPMT_PUBLIC of the sealed seed | u16 length | TPM2B_PRIVATE buffer
 * </pre>
 * The sealed object's public area carries the PCR policy that releases the seed, so the blob
 * carries its policy. Every failure is the same {@link UnsealException}.
 */
final class TpmSealFormat {
    static final int POLICY_SELF = 1;
    static final int POLICY_ANY = 2;
    private static final byte[] MAGIC = {'T', 'A', 'O', 'P'};
    private static final int VERSION = 1;
    private static final int HEADER = MAGIC.length + 4;
    private static final int MAX_AREA = 1024;
    static final int MAX_BLOB_BYTES = CoreTao.MAX_SEAL_BYTES + HEADER + 4 + 2 * MAX_AREA + Crypter.OVERHEAD;

    private TpmSealFormat() {}

    record Parsed(int policyId, byte[] header, byte[] publicArea, byte[] privateArea, byte[] ciphertext) {}

    static int policyId(String policy) {
        Objects.requireNonNull(policy, "policy");
        return switch (policy) {
            case CoreTao.SEAL_POLICY_SELF -> POLICY_SELF;
            case CoreTao.SEAL_POLICY_ANY -> POLICY_ANY;
            default -> throw new IllegalArgumentException("unknown policy (use \"self\" or \"any\")");
        };
    }

    static byte[] seal(byte[] key, int policyId, byte[] publicArea, byte[] privateArea, byte[] data, Prin bound) {
        int params = 4 + publicArea.length + privateArea.length;
        ByteBuffer h = ByteBuffer.allocate(HEADER + params);
        h.put(MAGIC).put((byte) VERSION).put((byte) policyId).putShort((short) params);
        h.putShort((short) publicArea.length).put(publicArea).putShort((short) privateArea.length).put(privateArea);
        byte[] header = h.array();
        byte[] ct;
        try (Crypter c = Crypter.fromSecretKeyMaterial(key)) {
            ct = c.encrypt(data, associatedData(header, bound));
        } finally {
            Arrays.fill(key, (byte) 0);
        }
        byte[] blob = Arrays.copyOf(header, header.length + ct.length);
        System.arraycopy(ct, 0, blob, header.length, ct.length);
        return blob;
    }

    static Parsed parse(byte[] blob) throws UnsealException {
        Objects.requireNonNull(blob, "blob");
        if (blob.length < HEADER || blob.length > MAX_BLOB_BYTES
                || !Arrays.equals(blob, 0, MAGIC.length, MAGIC, 0, MAGIC.length)
                || blob[MAGIC.length] != VERSION) {
            throw new UnsealException();
        }
        ByteBuffer in = ByteBuffer.wrap(blob);
        in.position(MAGIC.length + 1);
        int policyId = in.get();
        int params = in.getShort() & 0xffff;
        if ((policyId != POLICY_SELF && policyId != POLICY_ANY) || params < 4 || params > blob.length - HEADER) {
            throw new UnsealException();
        }
        int pubLen = in.getShort() & 0xffff;
        if (pubLen > MAX_AREA || pubLen > params - 4) {
            throw new UnsealException();
        }
        byte[] pub = new byte[pubLen];
        in.get(pub);
        int privLen = in.getShort() & 0xffff;
        if (privLen > MAX_AREA || 4 + pubLen + privLen != params) {
            throw new UnsealException();
        }
        byte[] priv = new byte[privLen];
        in.get(priv);
        byte[] header = Arrays.copyOf(blob, HEADER + params);
        byte[] ct = Arrays.copyOfRange(blob, HEADER + params, blob.length);
        return new Parsed(policyId, header, pub, priv, ct);
    }

    static Unsealed open(byte[] key, Parsed blob, Prin bound) throws UnsealException {
        try (Crypter c = Crypter.fromSecretKeyMaterial(key)) {
            byte[] data = c.decrypt(blob.ciphertext(), associatedData(blob.header(), bound));
            return new Unsealed(data, blob.policyId() == POLICY_SELF ? SealPolicy.SELF : SealPolicy.ANY);
        } catch (DecryptionException e) {
            throw new UnsealException();
        } finally {
            Arrays.fill(key, (byte) 0);
        }
    }

    private static byte[] associatedData(byte[] header, Prin bound) {
        byte[] name = bound.encode();
        return ByteBuffer.allocate(header.length + 4 + name.length).put(header).putInt(name.length).put(name).array();
    }
}
