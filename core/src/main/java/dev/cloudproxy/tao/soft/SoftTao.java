package dev.cloudproxy.tao.soft;

import dev.cloudproxy.tao.AttestRequest;
import dev.cloudproxy.tao.CoreTao;
import dev.cloudproxy.tao.TaoException;
import dev.cloudproxy.tao.UnsealException;
import dev.cloudproxy.tao.Unsealed;
import dev.cloudproxy.tao.attestation.Attestation;
import dev.cloudproxy.tao.auth.Form;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.Says;
import dev.cloudproxy.tao.auth.SubPrin;
import dev.cloudproxy.tao.keys.Argon2Params;
import dev.cloudproxy.tao.keys.Keys;
import dev.cloudproxy.tao.seal.GroupKeys;
import dev.cloudproxy.tao.seal.SealFormat;
import dev.cloudproxy.tao.seal.RollbackCounters;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.List;
import java.util.Objects;

/**
 * A root Tao whose trust rests on a key set on disk instead of a TPM: the development root, and
 * the reference implementation the other Taos are tested against.
 *
 * <p>Its name is {@code key([hash of its public key])}, extended by {@link #extendTaoName}. It
 * signs attestations with that key directly (no delegation: the name is the key's extension),
 * seals with its AES-256-GCM key in {@link SealFormat} and derives shared secrets with its HKDF
 * key, binding {@code self} to its full current name and {@code any} to its key principal. It
 * derives group keys for groups whose members are all its key principal or extensions of it.
 *
 * <p>Nothing here protects the keys from whoever can read the key directory with the password;
 * that is what a hardware root is for.
 *
 * <p><b>Not rollback-protected.</b> Its rollback counters live in {@value #COUNTERS_FILE} in the
 * key directory, encrypted and authenticated with its keys: nobody without the keys can read or
 * forge them, but whoever can write the directory can put back an older copy of the table
 * together with older blobs, and the soft Tao cannot tell. It says so once per process, on the
 * first counter call. An ephemeral soft Tao keeps its counters in memory. Thread-safe.
 */
public final class SoftTao implements CoreTao, AutoCloseable {
    /** The file in the key directory that holds the counter table. */
    public static final String COUNTERS_FILE = "counters.tao";

    private static final String NOT_PROTECTED = "the soft Tao's rollback counters are NOT rollback-protected: "
            + "whoever can write its key directory can put back an older counter table with older sealed state. "
            + "It is a development root; use a TPM root where rollback matters.";

    private final Keys keys;
    private final RollbackCounters counters;
    private final Prin root;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();
    private volatile Prin name;

    private SoftTao(Keys keys, Clock clock, RollbackCounters counters) {
        this.keys = keys;
        this.counters = counters.warnOnFirstUse(NOT_PROTECTED);
        this.root = keys.principal();
        this.name = root;
        this.clock = clock;
    }

    /** Creates fresh keys, saves them in {@code dir} under {@code password}, and opens them. */
    public static SoftTao create(Path dir, char[] password) throws IOException {
        return create(dir, password, Argon2Params.DEFAULT);
    }

    /** As {@link #create(Path, char[])}, with the given password-hashing cost. */
    public static SoftTao create(Path dir, char[] password, Argon2Params params) throws IOException {
        Keys keys = Keys.generate();
        try {
            keys.save(dir, password, params);
            Files.deleteIfExists(dir.resolve(COUNTERS_FILE)); // another key set's; it would not open
        } catch (IOException | RuntimeException e) {
            keys.close();
            throw e;
        }
        return new SoftTao(keys, Clock.systemUTC(), RollbackCounters.empty(store(dir, keys)));
    }

    /**
     * Opens the key set in {@code dir}.
     *
     * @throws TaoException if the password is wrong or the key set is invalid
     */
    public static SoftTao open(Path dir, char[] password) throws IOException, TaoException {
        Keys keys = Keys.load(dir, password);
        try {
            return new SoftTao(keys, Clock.systemUTC(), RollbackCounters.open(store(dir, keys)));
        } catch (IOException | TaoException | RuntimeException e) {
            keys.close();
            throw e;
        }
    }

    private static RollbackCounters.Store store(Path dir, Keys keys) {
        return RollbackCounters.encryptedFile(dir.resolve(COUNTERS_FILE), keys.crypter(), keys.principal());
    }

    /** A soft Tao over fresh keys kept only in memory. */
    public static SoftTao ephemeral() {
        return new SoftTao(Keys.generate(), Clock.systemUTC(), RollbackCounters.inMemory());
    }

    /** A soft Tao over the given keys (it takes ownership and closes them) and clock. */
    public static SoftTao of(Keys keys, Clock clock) {
        return new SoftTao(Objects.requireNonNull(keys, "keys"), Objects.requireNonNull(clock, "clock"),
                RollbackCounters.inMemory());
    }

    /** The key principal this Tao's name starts with. */
    public Prin rootName() {
        return root;
    }

    @Override
    public Prin getTaoName() {
        return name;
    }

    @Override
    public synchronized void extendTaoName(SubPrin subprin) {
        name = name.extend(Objects.requireNonNull(subprin, "subprin"));
    }

    @Override
    public byte[] getRandomBytes(int n) {
        if (n < 0 || n > MAX_RANDOM_BYTES) {
            throw new IllegalArgumentException("random byte count must be 0.." + MAX_RANDOM_BYTES);
        }
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    @Override
    public byte[] getSharedSecret(int n, String policy) {
        return SealFormat.sharedSecret(keys.deriver(), n, policy, name, root);
    }

    @Override
    public byte[] getGroupKeyFor(Prin asker, List<Prin> members, int n) throws TaoException {
        return GroupKeys.answerAsRoot(keys.deriver(), root, name, asker, members, n);
    }

    @Override
    public Attestation attest(Form message) throws TaoException {
        return attest(AttestRequest.of(message));
    }

    @Override
    public Attestation attest(AttestRequest request) throws TaoException {
        Says statement = request.statementFor(name, clock.instant().getEpochSecond());
        return Attestation.sign(keys.signer(), statement);
    }

    @Override
    public byte[] seal(byte[] data, String policy) {
        return SealFormat.seal(keys.crypter(), data, policy, name, root);
    }

    @Override
    public Unsealed unseal(byte[] sealed) throws UnsealException {
        return SealFormat.unseal(keys.crypter(), sealed, name, root);
    }

    @Override
    public long initCounter(String label) throws IOException, TaoException {
        return counters.init(name, label);
    }

    @Override
    public long getCounter(String label) throws TaoException {
        return counters.get(name, label);
    }

    @Override
    public byte[] rollbackProtectedSeal(String label, byte[] data, String policy) throws IOException, TaoException {
        return counters.seal(keys.crypter(), name, root, label, data, policy);
    }

    @Override
    public Unsealed rollbackProtectedUnseal(byte[] sealed) throws IOException, TaoException {
        return counters.unseal(keys.crypter(), sealed, name, root);
    }

    /** Closes the keys; the Tao cannot be used afterwards. */
    @Override
    public void close() {
        keys.close();
    }

    @Override
    public String toString() {
        return "SoftTao[" + name + "]";
    }
}
