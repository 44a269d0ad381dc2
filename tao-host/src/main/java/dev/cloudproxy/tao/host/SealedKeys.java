package dev.cloudproxy.tao.host;

import dev.cloudproxy.tao.CoreTao;
import dev.cloudproxy.tao.SealPolicy;
import dev.cloudproxy.tao.TaoException;
import dev.cloudproxy.tao.Unsealed;
import dev.cloudproxy.tao.VerificationException;
import dev.cloudproxy.tao.keys.Crypter;
import dev.cloudproxy.tao.keys.Deriver;
import dev.cloudproxy.tao.keys.Keys;
import dev.cloudproxy.tao.keys.Signer;
import dev.cloudproxy.tao.keys.Verifier;
import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.Arrays;

/**
 * A stacked host's key set, sealed by its parent Tao ({@code self} policy) instead of encrypted
 * under a password: only the same parent, running the same program under the same name, can
 * open it.
 *
 * <pre>
 *   8  magic "TAOHKEYS"
 *   1  version = 1
 *   2  public key length k (at most 1024), then k bytes: the signing key, PKIX DER (readable
 *      without the parent, for 'tao host show')
 *   4  blob length b (at most 64 KiB), then b bytes: the parent's sealed blob of
 *      1 (payload version) | 32 signing scalar | 32 AES key | 32 HKDF secret
 * </pre>
 *
 * The public key is checked against the unsealed private key, so swapping it is detected.
 */
final class SealedKeys {
    static final int MAX_FILE_BYTES = 70 * 1024;

    private static final byte[] MAGIC = {'T', 'A', 'O', 'H', 'K', 'E', 'Y', 'S'};
    private static final int VERSION = 1;
    private static final int MAX_PUBLIC_KEY = 1024;
    private static final int MAX_BLOB = 64 * 1024;
    private static final int PAYLOAD_BYTES = 1 + 3 * 32;

    private SealedKeys() {}

    /** The file content for {@code keys}, sealed by {@code parent}. */
    static byte[] seal(Keys keys, CoreTao parent) throws IOException, TaoException {
        byte[] payload = new byte[PAYLOAD_BYTES];
        byte[] s = keys.signer().exportSecretKeyMaterial();
        byte[] c = keys.crypter().exportSecretKeyMaterial();
        byte[] d = keys.deriver().exportSecretKeyMaterial();
        try {
            payload[0] = 1;
            System.arraycopy(s, 0, payload, 1, 32);
            System.arraycopy(c, 0, payload, 33, 32);
            System.arraycopy(d, 0, payload, 65, 32);
            byte[] blob = parent.seal(payload, CoreTao.SEAL_POLICY_SELF);
            byte[] pkix = keys.verifier().pkix();
            return ByteBuffer.allocate(MAGIC.length + 1 + 2 + pkix.length + 4 + blob.length)
                    .put(MAGIC).put((byte) VERSION).putShort((short) pkix.length).put(pkix)
                    .putInt(blob.length).put(blob).array();
        } finally {
            Arrays.fill(payload, (byte) 0);
            Arrays.fill(s, (byte) 0);
            Arrays.fill(c, (byte) 0);
            Arrays.fill(d, (byte) 0);
        }
    }

    private record Parsed(Verifier verifier, byte[] blob) {}

    private static Parsed parse(byte[] file) throws HostException {
        if (file.length > MAX_FILE_BYTES) {
            throw new HostException("the sealed key file is larger than " + MAX_FILE_BYTES + " bytes");
        }
        try {
            ByteBuffer in = ByteBuffer.wrap(file);
            byte[] magic = new byte[MAGIC.length];
            in.get(magic);
            if (!Arrays.equals(magic, MAGIC)) {
                throw new HostException("not a sealed host key file");
            }
            int version = in.get() & 0xff;
            if (version != VERSION) {
                throw new HostException("unsupported sealed host key file version " + version);
            }
            int k = in.getShort() & 0xffff;
            if (k > MAX_PUBLIC_KEY) {
                throw new HostException("sealed host key file: public key too long");
            }
            byte[] pkix = new byte[k];
            in.get(pkix);
            long b = in.getInt() & 0xffffffffL;
            if (b > MAX_BLOB) {
                throw new HostException("sealed host key file: sealed blob too long");
            }
            byte[] blob = new byte[(int) b];
            in.get(blob);
            if (in.hasRemaining()) {
                throw new HostException("sealed host key file has trailing bytes");
            }
            return new Parsed(Verifier.fromPkix(pkix), blob);
        } catch (BufferUnderflowException e) {
            throw new HostException("the sealed host key file is truncated");
        } catch (VerificationException e) {
            throw new HostException("the sealed host key file has an invalid public key");
        }
    }

    /** The public key, read without the parent (not authenticated until {@link #unseal}). */
    static Verifier publicKey(byte[] file) throws HostException {
        return parse(file).verifier();
    }

    /**
     * Opens the key set with {@code parent}.
     *
     * @throws HostException if the file is malformed, the parent cannot unseal it (another parent,
     *     or the same parent under another name), or it holds another key than it claims
     */
    static Keys unseal(byte[] file, CoreTao parent) throws IOException, HostException {
        Parsed p = parse(file);
        byte[] payload;
        try (Unsealed u = parent.unseal(p.blob())) {
            if (u.policy() != SealPolicy.SELF) {
                throw new HostException("the host's keys were sealed under the wrong policy");
            }
            payload = u.data().clone();
        } catch (HostException e) {
            throw e;
        } catch (TaoException e) {
            throw new HostException("the parent Tao cannot unseal this host's keys "
                    + "(another parent, or the parent runs under another name now)");
        }
        try {
            if (payload.length != PAYLOAD_BYTES || payload[0] != 1) {
                throw new HostException("the sealed host keys have an unknown layout");
            }
            Signer signer = Signer.fromSecretKeyMaterial(Arrays.copyOfRange(payload, 1, 33));
            Keys keys = Keys.of(signer, Crypter.fromSecretKeyMaterial(Arrays.copyOfRange(payload, 33, 65)),
                    Deriver.fromSecretKeyMaterial(Arrays.copyOfRange(payload, 65, 97)));
            if (!MessageDigest.isEqual(keys.verifier().pkix(), p.verifier().pkix())) {
                keys.close();
                throw new HostException("the sealed host key file's public key does not match its private key");
            }
            return keys;
        } finally {
            Arrays.fill(payload, (byte) 0);
        }
    }
}
