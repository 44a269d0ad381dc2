package dev.cloudproxy.tao.keys;

import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.io.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Objects;
import javax.security.auth.Destroyable;

/**
 * A program's or host's key set: a {@link Signer} (its identity, {@code key([hash])}), a
 * {@link Crypter} and a {@link Deriver}, stored together in a directory under a password.
 *
 * <p>Files in the directory:
 *
 * <ul>
 *   <li>{@value #KEY_SET_FILE}: the key set (format in {@code KeySetFile}): versioned, with the
 *       public key and the password-hashing parameters in clear and the private keys under
 *       AES-256-GCM with a key from Argon2id, mode {@code 0600};
 *   <li>{@value #PUBLIC_KEY_FILE}: the public key as PEM, for people and other tools. It is a
 *       convenience copy; {@link #readVerifier} reads the key set file itself.
 * </ul>
 *
 * <p><b>Why Argon2id.</b> It is memory-hard, so guessing passwords on GPUs or ASICs costs memory
 * as well as time, which PBKDF2 at any iteration count does not; it is the first choice of RFC
 * 9106 and OWASP. The parameters travel in the file so they can be raised later, and
 * {@link Argon2Params#FLOOR} is enforced on load so they cannot be lowered by editing the file.
 *
 * <p>Files are written with {@link AtomicFiles}: a crash leaves the old key set or the new one.
 * Loading reads at most {@value #MAX_FILE_BYTES} bytes and turns anything malformed, truncated,
 * oversized, corrupted or out of range into {@link InvalidKeySetException}, and a wrong password
 * into {@link WrongPasswordException}.
 *
 * <p>Passwords are {@code char[]}; this class never keeps or copies them beyond one call, and the
 * caller should zero its array afterwards. {@link #close()} closes the three keys; the
 * {@link Verifier} stays usable.
 */
public final class Keys implements AutoCloseable, Destroyable {
    /** Name of the key set file inside a key directory. */
    public static final String KEY_SET_FILE = "keys.tao";
    /** Name of the PEM public key file written beside it. */
    public static final String PUBLIC_KEY_FILE = "signer.pub.pem";
    /** Largest key set file that {@link #load} reads. */
    public static final int MAX_FILE_BYTES = KeySetFile.MAX_FILE_BYTES;

    static final SecureRandom RANDOM = new SecureRandom();

    private final Signer signer;
    private final Crypter crypter;
    private final Deriver deriver;

    Keys(Signer signer, Crypter crypter, Deriver deriver) {
        this.signer = signer;
        this.crypter = crypter;
        this.deriver = deriver;
    }

    /** A fresh key set. */
    public static Keys generate() {
        return new Keys(Signer.generate(), Crypter.generate(), Deriver.generate());
    }

    /**
     * A key set of the given keys, which it takes ownership of (closing it closes them). For key
     * sets stored in other ways than under a password, e.g. sealed to a parent Tao by a stacked
     * host.
     */
    public static Keys of(Signer signer, Crypter crypter, Deriver deriver) {
        return new Keys(Objects.requireNonNull(signer, "signer"), Objects.requireNonNull(crypter, "crypter"),
                Objects.requireNonNull(deriver, "deriver"));
    }

    /** Whether {@code dir} holds a key set file (it may still fail to load). */
    public static boolean exists(Path dir) {
        return Files.isRegularFile(dir.resolve(KEY_SET_FILE));
    }

    /**
     * Saves this key set in {@code dir} (created with mode {@code 0700} if missing) under
     * {@code password}, with {@link Argon2Params#DEFAULT}, replacing any key set there.
     */
    public void save(Path dir, char[] password) throws IOException {
        save(dir, password, Argon2Params.DEFAULT);
    }

    /**
     * Saves this key set with the given password-hashing cost.
     *
     * @throws IllegalArgumentException if {@code params} are below {@link Argon2Params#FLOOR} or
     *     above {@link Argon2Params#CEILING}, or the password is empty
     */
    public void save(Path dir, char[] password, Argon2Params params) throws IOException {
        save(dir, password, params, Argon2Params.FLOOR);
    }

    /** Saving with a lower floor: lets tests use cheap parameters. Never call it elsewhere. */
    void save(Path dir, char[] password, Argon2Params params, Argon2Params floor) throws IOException {
        Objects.requireNonNull(dir, "dir");
        Objects.requireNonNull(password, "password");
        if (password.length == 0) {
            throw new IllegalArgumentException("password must not be empty");
        }
        if (!params.isAtLeast(floor) || !params.isAtMost(Argon2Params.CEILING)) {
            throw new IllegalArgumentException(params + " is outside " + Argon2Params.FLOOR
                    + " .. " + Argon2Params.CEILING);
        }
        byte[] file = KeySetFile.encode(this, password, params, KeySetFile.newSalt());
        AtomicFiles.createPrivateDirectories(dir);
        AtomicFiles.writeOwnerOnly(dir.resolve(KEY_SET_FILE), file);
        AtomicFiles.write(dir.resolve(PUBLIC_KEY_FILE),
                verifier().toPem().getBytes(StandardCharsets.US_ASCII), AtomicFiles.PUBLIC_READ);
    }

    /**
     * Loads the key set in {@code dir}.
     *
     * @throws WrongPasswordException if the password does not open it (or the file was altered)
     * @throws InvalidKeySetException if the file cannot be used with any password
     * @throws IOException if it cannot be read, for example because it does not exist
     */
    public static Keys load(Path dir, char[] password)
            throws IOException, WrongPasswordException, InvalidKeySetException {
        return load(dir, password, Argon2Params.FLOOR);
    }

    /** Loading with a lower floor: lets tests use cheap parameters. Never call it elsewhere. */
    static Keys load(Path dir, char[] password, Argon2Params floor)
            throws IOException, WrongPasswordException, InvalidKeySetException {
        Objects.requireNonNull(password, "password");
        return KeySetFile.open(KeySetFile.parse(read(dir)), password, floor);
    }

    /**
     * The public key of the key set in {@code dir}, read without the password. Only as
     * trustworthy as the directory: the public part is checksummed, not authenticated, until the
     * key set is loaded with its password.
     */
    public static Verifier readVerifier(Path dir) throws IOException, InvalidKeySetException {
        return KeySetFile.parse(read(dir)).verifier;
    }

    private static byte[] read(Path dir) throws IOException {
        return AtomicFiles.readAtMost(dir.resolve(KEY_SET_FILE), MAX_FILE_BYTES + 1);
    }

    public Signer signer() {
        return signer;
    }

    public Verifier verifier() {
        return signer.verifier();
    }

    public Crypter crypter() {
        return crypter;
    }

    public Deriver deriver() {
        return deriver;
    }

    /** {@code key([SHA-256 of the signer's PKIX public key])}. */
    public Prin principal() {
        return signer.principal();
    }

    /** Same as {@link #destroy()}. */
    @Override
    public void close() {
        destroy();
    }

    /** Closes the signer, crypter and deriver; idempotent. */
    @Override
    public void destroy() {
        signer.destroy();
        crypter.destroy();
        deriver.destroy();
    }

    @Override
    public boolean isDestroyed() {
        return signer.isDestroyed() && crypter.isDestroyed() && deriver.isDestroyed();
    }

    @Override
    public String toString() {
        return "Keys[" + principal() + ", secrets redacted]";
    }
}
