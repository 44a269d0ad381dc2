package dev.cloudproxy.tao;

import dev.cloudproxy.tao.spi.TaoBinding;
import java.io.IOException;
import java.util.List;

/**
 * The Tao: what the host that started this program offers it. The program's identity is its
 * principal name, which the host chose by measuring it; everything below is bound to that name.
 *
 * <p>This is the interface applications compile against ({@code dev.cloudproxy:tao-api}, JDK
 * only). Under the Tao agent it is there even if the application bundles nothing: the agent puts
 * this artifact on the class path behind the application's own, and binds {@link #parent()} to its
 * connection to the host.
 *
 * <p>Guarantees every implementation gives:
 * <ul>
 *   <li>{@link #getTaoName()} is the caller's full name; {@link #extendTaoName} only ever
 *       lengthens it, and there is no way to shorten it again.
 *   <li>{@link #seal} with {@link SealPolicy#SELF} gives a blob only a program with the same full
 *       name on the same Tao can {@link #unseal}; with {@link SealPolicy#ANY}, any program of this
 *       Tao can. Tampering, a wrong name and a wrong Tao all give the same
 *       {@link UnsealException}.
 *   <li>{@link #getSharedSecret} is deterministic for the same Tao, name (or, for
 *       {@link SealPolicy#ANY}, Tao alone), policy and length, across restarts.
 *   <li>Rollback protection: counters are kept per (caller's full name, label) and no call takes a
 *       name, so no program can read, advance or create another's. {@link #rollbackProtectedUnseal}
 *       refuses a blob that is not the label's current state with {@link StaleStateException}.
 *   <li>{@link #attest} signs "{@code caller says statement}" with a chain to the host's root that
 *       a verifier of the domain checks.
 * </ul>
 * Transport failures (a program that lost its host) are {@link IOException}s; refusals and failed
 * checks are {@link TaoException}s; misuse is {@link IllegalArgumentException}. Implementations
 * are safe for use by several threads.
 */
public interface Tao {
    /** Most random bytes one call returns. */
    int MAX_RANDOM_BYTES = 1 << 16;
    /** Longest shared secret. */
    int MAX_SHARED_SECRET_BYTES = 4096;
    /** Largest plaintext one seal takes. */
    int MAX_SEAL_BYTES = 16 << 20;
    /**
     * Longest counter label. Labels are 1..64 characters from {@code A-Z a-z 0-9 . _ - : / $}, so
     * a label is never a secret, a path trick or a control character in a log line.
     */
    int MAX_LABEL_CHARS = 64;
    /** Most members a group key names. */
    int MAX_GROUP_MEMBERS = 64;
    /** Longest group key. */
    int MAX_GROUP_KEY_BYTES = 4096;

    /**
     * The Tao of the host that started this process, shared by the whole process: the Tao agent's
     * connection when the program runs under the agent (the launcher, {@code -javaagent}), else
     * the one {@code tao-core} opens when it is on the class path and the host set
     * {@code TAO_HOST_SOCKET} ({@code tao run}). The host knows the caller by the kernel's
     * credentials for its process, not by anything the process says.
     *
     * @throws TaoException if this process has no Tao host, or the host refuses it
     * @throws IOException if the host cannot be reached
     */
    static Tao parent() throws IOException, TaoException {
        return TaoBinding.provider().parent();
    }

    /** The caller's principal name. */
    TaoName getTaoName() throws IOException, TaoException;

    /**
     * Appends extensions to the caller's name, irreversibly.
     *
     * @param extensions one or more extensions in the auth language's text, such as
     *     {@code PolicyKey([0a1b])} or {@code Role("reader").Epoch(2)}
     * @throws IllegalArgumentException if the text is not a list of extensions
     */
    void extendTaoName(String extensions) throws IOException, TaoException;

    /** {@code n} bytes from the host's cryptographic random source, 0 &lt;= n &lt;= {@link #MAX_RANDOM_BYTES}. */
    byte[] getRandomBytes(int n) throws IOException, TaoException;

    /**
     * A secret of {@code n} bytes derived by the host for the caller ({@link SealPolicy#SELF}) or
     * for every program of this Tao ({@link SealPolicy#ANY}); the same inputs give the same secret
     * across restarts.
     */
    byte[] getSharedSecret(int n, SealPolicy policy) throws IOException, TaoException;

    /**
     * A symmetric key of {@code n} bytes that every program named in {@code members} gets from its
     * own Tao, so that programs sharing an ancestor Tao can protect a channel between themselves
     * (TLS with a pre-shared key, for example) without a domain service or certificates.
     *
     * <p>Guarantees: the caller must be one of the members (by its full current name); the key is
     * derived by the nearest Tao above the caller that is an ancestor of every member (every
     * member's name extends that Tao's name), from that Tao's deriving key, its name and the set of
     * the members' names below it. So the order of {@code members} does not matter; the same group
     * gets the same key across restarts of the programs and hosts; a group differing in any member
     * (a member that extended its name is another member) gets an unrelated key; and a program
     * that is not a member cannot get it from any Tao. A host that is not a common ancestor
     * forwards the request to its own Tao, saying which of its programs asked. Names are compared
     * by their encodings ({@link TaoName#encoded()}).
     *
     * @param members the group: 1 to {@link #MAX_GROUP_MEMBERS} distinct full names, the
     *     caller's among them
     * @param n the key length, 1 to {@link #MAX_GROUP_KEY_BYTES}
     * @throws GroupKeyRefusedException if the caller is not a member, or no Tao above it is an
     *     ancestor of every member
     * @throws IllegalArgumentException if the list is empty, too long, names a principal twice
     *     or holds a name that is not a principal, or {@code n} is out of range
     */
    byte[] getGroupKey(List<TaoName> members, int n) throws IOException, TaoException;

    /**
     * Signs "{@code caller from now until now + 1 year says statement}".
     *
     * @param statement a formula in the auth language's text, such as {@code Ready("db", 3)}
     * @return the serialized attestation, with the statement it signs
     * @throws IllegalArgumentException if the text is not a formula
     */
    SignedStatement attest(String statement) throws IOException, TaoException;

    /** Encrypts and binds {@code data} so that only programs the policy names can unseal it. */
    byte[] seal(byte[] data, SealPolicy policy) throws IOException, TaoException;

    /**
     * Opens a blob made by {@link #seal}.
     *
     * @throws UnsealException if the blob was altered, or was sealed for another program or Tao
     */
    Unsealed unseal(byte[] sealed) throws IOException, TaoException;

    /**
     * Creates the caller's counter for {@code label} at 0 if it does not exist yet, and returns its
     * value. Idempotent.
     *
     * @throws IllegalArgumentException if the label is not valid (see {@link #MAX_LABEL_CHARS})
     */
    long initCounter(String label) throws IOException, TaoException;

    /**
     * The caller's current counter value for {@code label}: the value of its latest
     * {@link #rollbackProtectedSeal}, or 0 if it never sealed under it.
     *
     * @throws TaoException if the caller has no counter with this label
     */
    long getCounter(String label) throws IOException, TaoException;

    /**
     * Advances the caller's counter for {@code label} (creating it if needed), makes the new value
     * durable at the Tao, and seals {@code data} with the label and the new value bound into the
     * blob. Only {@link SealPolicy#SELF} is accepted.
     *
     * <p>Once this returns, every earlier blob of the label is stale, except that until a newer
     * blob has been opened once with {@link #rollbackProtectedUnseal}, the last blob that was
     * opened still opens too. So write the blob durably, then open it once to commit it: a crash
     * in between leaves the old state or the new one, never an older one.
     */
    byte[] rollbackProtectedSeal(String label, byte[] data, SealPolicy policy) throws IOException, TaoException;

    /**
     * Opens a blob made by {@link #rollbackProtectedSeal} for the caller, if it holds the label's
     * current state; opening the newest blob commits it. The result names the label and counter
     * value: check the label is the one expected.
     *
     * @throws StaleStateException if the blob authenticated but is not the current state
     * @throws UnsealException if the blob was altered, sealed for another program or Tao, or made
     *     by an ordinary {@link #seal}
     */
    Unsealed rollbackProtectedUnseal(byte[] sealed) throws IOException, TaoException;
}
