package dev.cloudproxy.tao.seal;

import dev.cloudproxy.tao.DecryptionException;
import dev.cloudproxy.tao.CoreTao;
import dev.cloudproxy.tao.SealPolicy;
import dev.cloudproxy.tao.UnsealException;
import dev.cloudproxy.tao.Unsealed;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.keys.Crypter;
import dev.cloudproxy.tao.keys.Deriver;
import dev.cloudproxy.tao.auth.PrinExt;
import dev.cloudproxy.tao.auth.Str;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;

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
 * rollback-protected blob cannot be opened around its counter check.
 *
 * <p>Policy 3, {@code app:<app-id>} ({@link CoreTao#SEAL_POLICY_APP_PREFIX}), binds the blob to the
 * Tao's own name (as {@code any} does) and to the app id, which leads its parameters:
 * <pre>
 *   parameters = 2 (app) | u8 app-id length | app-id (ASCII) [ | 1 (rollback) | u64 counter | u8 label length | label ]
 * </pre>
 * The cryptography alone would let any program of the Tao open it: whoever serves the Tao must
 * ask its guard before it seals or opens one ({@link #appIdOf(byte[])} reads the id without
 * opening anything). Only {@link #sealApp}/{@link #unsealApp} and their rollback forms make and
 * open such blobs; {@link #unseal} and {@link #unsealRollback} refuse them, so a Tao that has no
 * guard to ask never opens one by accident.
 *
 * <p>Every failure to unseal is the same {@link UnsealException}.
 */
public final class SealFormat {
    private static final byte[] MAGIC = "TAOS".getBytes(StandardCharsets.US_ASCII);
    private static final int VERSION = 1;
    private static final int POLICY_SELF = 1;
    private static final int POLICY_ANY = 2;
    private static final int POLICY_APP = 3;
    private static final int PARAM_APP = 2;
    /** Longest app id. */
    public static final int MAX_APP_ID_CHARS = 128;
    /**
     * The guard operation that admits a name to an app's sealed state:
     * {@code Authorized(name, "AppState", "<app-id>")}.
     */
    public static final String APP_STATE_OP = "AppState";
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
        return seal(crypter, data, POLICY_SELF, rollbackParams(label, counter), caller, tao);
    }

    /**
     * Seals {@code data} for the app {@code appId} on the Tao named {@code tao}. The caller (the
     * Tao's server) has asked its guard whether the requesting program may.
     *
     * @throws IllegalArgumentException for a bad app id or oversized data
     */
    public static byte[] sealApp(Crypter crypter, byte[] data, String appId, Prin tao) {
        return seal(crypter, data, POLICY_APP, appParams(appId), null, tao);
    }

    /** {@link #sealApp} with {@code label} and {@code counter} bound into the blob, as {@link #sealRollback}. */
    public static byte[] sealAppRollback(Crypter crypter, byte[] data, String appId, Prin tao, String label,
            long counter) {
        byte[] app = appParams(appId);
        byte[] rollback = rollbackParams(label, counter);
        byte[] params = Arrays.copyOf(app, app.length + rollback.length);
        System.arraycopy(rollback, 0, params, app.length, rollback.length);
        return seal(crypter, data, POLICY_APP, params, null, tao);
    }

    private static byte[] appParams(String appId) {
        checkAppId(appId);
        byte[] id = appId.getBytes(StandardCharsets.US_ASCII);
        return ByteBuffer.allocate(2 + id.length).put((byte) PARAM_APP).put((byte) id.length).put(id).array();
    }

    private static byte[] rollbackParams(String label, long counter) {
        RollbackCounters.checkLabel(label);
        if (counter < 1) {
            throw new IllegalArgumentException("counter must be positive");
        }
        byte[] l = label.getBytes(StandardCharsets.US_ASCII);
        return ByteBuffer.allocate(1 + 8 + 1 + l.length)
                .put((byte) PARAM_ROLLBACK).putLong(counter).put((byte) l.length).put(l).array();
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
        Header h = parse(blob);
        if (h.policy == POLICY_APP || h.label != null) {
            throw new UnsealException();
        }
        return new Unsealed(open(crypter, blob, h, caller, tao), SealPolicy.fromText(policyName(h)));
    }

    /**
     * Opens a blob made by {@link #sealRollback} for the same caller and keys; the result names
     * the label and counter, which the caller must still check against its counter table.
     */
    public static Unsealed unsealRollback(Crypter crypter, byte[] blob, Prin caller, Prin tao) throws UnsealException {
        Header h = parse(blob);
        if (h.policy != POLICY_SELF || h.label == null) {
            throw new UnsealException();
        }
        return new Unsealed(open(crypter, blob, h, caller, tao), SealPolicy.SELF, h.label, h.counter);
    }

    /** Opens a blob made by {@link #sealApp} on the Tao named {@code tao} with the same keys. */
    public static Unsealed unsealApp(Crypter crypter, byte[] blob, Prin tao) throws UnsealException {
        Header h = parse(blob);
        if (h.policy != POLICY_APP || h.label != null) {
            throw new UnsealException();
        }
        return new Unsealed(open(crypter, blob, h, null, tao), SealPolicy.fromText(policyName(h)));
    }

    /** Opens a blob made by {@link #sealAppRollback}; the caller checks the counter, as for {@link #unsealRollback}. */
    public static Unsealed unsealAppRollback(Crypter crypter, byte[] blob, Prin tao) throws UnsealException {
        Header h = parse(blob);
        if (h.policy != POLICY_APP || h.label == null) {
            throw new UnsealException();
        }
        return new Unsealed(open(crypter, blob, h, null, tao), SealPolicy.fromText(policyName(h)), h.label, h.counter);
    }

    /**
     * The app id of an app-policy blob, read from its header without opening it (so a Tao can ask
     * its guard first); empty for a blob of another policy.
     *
     * @throws UnsealException if the blob is not in this format at all
     */
    public static Optional<String> appIdOf(byte[] blob) throws UnsealException {
        Header h = parse(blob);
        return h.policy == POLICY_APP ? Optional.of(h.appId) : Optional.empty();
    }

    /**
     * The app id of a policy {@code app:<app-id>}, or empty for another policy.
     *
     * @throws IllegalArgumentException if the policy starts with {@code app:} but the id is not
     *     valid (see {@link #checkAppId})
     */
    public static Optional<String> appId(String policy) {
        Objects.requireNonNull(policy, "policy");
        if (!policy.startsWith(CoreTao.SEAL_POLICY_APP_PREFIX)) {
            return Optional.empty();
        }
        String id = policy.substring(CoreTao.SEAL_POLICY_APP_PREFIX.length());
        checkAppId(id);
        return Optional.of(id);
    }

    /**
     * Checks an app id: 1..{@value #MAX_APP_ID_CHARS} characters from
     * {@code A-Z a-z 0-9 . _ - + : /}, so that it is never a secret, a path trick or a control
     * character in a log line or a guard's fact.
     *
     * @throws IllegalArgumentException if it is not valid
     */
    public static void checkAppId(String id) {
        if (!isValidAppId(id)) {
            throw new IllegalArgumentException("an app id is 1.." + MAX_APP_ID_CHARS
                    + " characters from A-Z a-z 0-9 . _ - + : /");
        }
    }

    private static boolean isValidAppId(String id) {
        return RollbackCounters.isToken(id, MAX_APP_ID_CHARS, "._-+:/");
    }

    /**
     * The owner of an app's rollback counters on the Tao named {@code tao}:
     * {@code tao.AppState("<app-id>")}. No hosted program has this name (a host's programs are
     * named by their measurement, {@code Program}, {@code Jvm}, ...), so an app's counters and a
     * program's never mix.
     */
    public static Prin appOwner(Prin tao, String appId) {
        checkAppId(appId);
        return tao.extend(PrinExt.of(APP_STATE_OP, new Str(appId)));
    }

    /** The policy byte, parameter length, and what the parameters say, of a blob with a valid frame. */
    private record Header(int policy, int paramsLength, String appId, String label, long counter) {}

    /** The blob's header, or {@link UnsealException} for anything but a well-formed one. */
    private static Header parse(byte[] blob) throws UnsealException {
        Objects.requireNonNull(blob, "blob");
        if (blob.length < HEADER || blob.length > MAX_BLOB_BYTES
                || !Arrays.equals(blob, 0, MAGIC.length, MAGIC, 0, MAGIC.length)
                || blob[MAGIC.length] != VERSION) {
            throw new UnsealException();
        }
        int id = blob[MAGIC.length + 1];
        int params = ((blob[MAGIC.length + 2] & 0xff) << 8) | (blob[MAGIC.length + 3] & 0xff);
        if ((id != POLICY_SELF && id != POLICY_ANY && id != POLICY_APP) || params > MAX_PARAMS
                || HEADER + params > blob.length) {
            throw new UnsealException();
        }
        try {
            ByteBuffer p = ByteBuffer.wrap(blob, HEADER, params);
            String appId = null;
            if (id == POLICY_APP) {
                if (p.get() != PARAM_APP) {
                    throw new UnsealException();
                }
                appId = ascii(p, p.get() & 0xff);
                if (!isValidAppId(appId)) {
                    throw new UnsealException();
                }
            }
            String label = null;
            long counter = 0;
            if (p.hasRemaining()) {
                // rollback: type, counter, label length, and the label, to the end
                if (id == POLICY_ANY || p.get() != PARAM_ROLLBACK) {
                    throw new UnsealException();
                }
                counter = p.getLong();
                int labelLength = p.get() & 0xff;
                if (labelLength != p.remaining()) {
                    throw new UnsealException();
                }
                label = ascii(p, labelLength);
                // Authenticated only once opened, but a sealer of this format never writes these.
                if (counter < 1 || !RollbackCounters.isValidLabel(label)) {
                    throw new UnsealException();
                }
            }
            return new Header(id, params, appId, label, counter);
        } catch (BufferUnderflowException e) {
            throw new UnsealException();
        }
    }

    private static String ascii(ByteBuffer b, int n) {
        byte[] s = new byte[n];
        b.get(s);
        return new String(s, StandardCharsets.US_ASCII);
    }

    private static byte[] open(Crypter crypter, byte[] blob, Header h, Prin caller, Prin tao) throws UnsealException {
        byte[] header = Arrays.copyOf(blob, HEADER + h.paramsLength);
        byte[] ct = Arrays.copyOfRange(blob, HEADER + h.paramsLength, blob.length);
        try {
            return crypter.decrypt(ct, associatedData(header, bound(h.policy, caller, tao)));
        } catch (DecryptionException e) {
            throw new UnsealException();
        }
    }

    private static String policyName(Header h) {
        return switch (h.policy) {
            case POLICY_SELF -> CoreTao.SEAL_POLICY_SELF;
            case POLICY_ANY -> CoreTao.SEAL_POLICY_ANY;
            default -> CoreTao.SEAL_POLICY_APP_PREFIX + h.appId;
        };
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
            default -> throw new IllegalArgumentException(policy.startsWith(CoreTao.SEAL_POLICY_APP_PREFIX)
                    ? "this Tao has no guard to decide who may open an app's state: app policies are offered by hosts"
                    : "unknown policy (use \"self\" or \"any\")");
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
