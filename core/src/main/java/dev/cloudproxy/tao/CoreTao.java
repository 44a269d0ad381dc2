package dev.cloudproxy.tao;

import dev.cloudproxy.tao.attestation.Attestation;
import dev.cloudproxy.tao.auth.Form;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.SubPrin;
import java.io.IOException;
import java.util.List;

/**
 * The Tao: what a host offers the program it runs. The program's identity is its principal name,
 * which the host chose by measuring it; everything below is bound to that name.
 *
 * <p>Guarantees every implementation gives (the contract tests check them):
 * <ul>
 *   <li>{@link #getTaoName()} is the caller's full name; {@link #extendTaoName} only ever
 *       lengthens it, and there is no way to shorten it again.
 *   <li>{@link #seal} with {@link #SEAL_POLICY_SELF} gives a blob only a program with the same full
 *       name on the same Tao can {@link #unseal}; with {@link #SEAL_POLICY_ANY}, any program of
 *       this Tao can. Tampering, a wrong name and a wrong Tao all give the same
 *       {@link UnsealException}.
 *   <li>{@link #getSharedSecret} is deterministic for the same Tao, name (or, for
 *       {@code any}, Tao alone), policy and length, across restarts.
 *   <li>{@link #getGroupKey} answers only a caller that is one of the members; the key comes from
 *       the nearest Tao above the caller that is an ancestor of every member, depends on the set
 *       of members (not their order) and the length, and is the same across restarts. A host
 *       forwards what it cannot answer to its parent, naming the program that asked
 *       ({@link #getGroupKeyFor}); a Tao speaks for the caller's descendants only.
 *   <li>Rollback protection: counters are kept per (caller's full name, label) and no call takes
 *       a name, so no program can read, advance or create another's. {@link #rollbackProtectedSeal}
 *       advances the label's counter (durably, before it returns) and binds the new value into
 *       the blob; {@link #rollbackProtectedUnseal} refuses a blob that is not the label's current
 *       state with {@link StaleStateException}. Concurrent seals under one label each get their
 *       own counter value; none is lost.
 *   <li>{@link #attest} signs "{@code caller says message}" (or a statement by a subprincipal of
 *       the caller) so that {@link dev.cloudproxy.tao.attestation.AttestationVerifier} traces it
 *       to this Tao's root.
 * </ul>
 * Transport failures (a hosted program that lost its host) are {@link IOException}s; refusals and
 * failed checks are {@link TaoException}s; misuse is {@link IllegalArgumentException}.
 */
public interface CoreTao {
    /** Seal to the caller's full current name: after {@link #extendTaoName} the blob no longer opens. */
    String SEAL_POLICY_SELF = "self";
    /** Seal to this Tao: any program it hosts (or any extension of the caller's name) can open the blob. */
    String SEAL_POLICY_ANY = "any";
    /**
     * Prefix of an app policy, {@code app:<app-id>}: seal to an application rather than to one
     * exact name. Any program of this Tao whose name the host's guard authorizes for the app
     * ({@code Authorized(name, "AppState", "<app-id>")}) can open the blob, so a new version, a new
     * runtime or new options of the program keep its data once the guard admits the new name, and
     * a name the guard does not (or no longer) admit cannot. Only a host with a guard offers it
     * (see {@link dev.cloudproxy.tao.seal.SealFormat#appId(String)} for the id's form).
     */
    String SEAL_POLICY_APP_PREFIX = "app:";

    /** Most random bytes one call returns. */
    int MAX_RANDOM_BYTES = 1 << 16;
    /** Longest shared secret. */
    int MAX_SHARED_SECRET_BYTES = 4096;
    /** Largest plaintext one seal takes. */
    int MAX_SEAL_BYTES = 16 << 20;
    /**
     * Longest counter label. Labels are 1..64 characters from {@code A-Z a-z 0-9 . _ - : / $}
     * (enough for a class and field name), so a label is never a secret, a path trick or a
     * control character in a log line.
     */
    int MAX_LABEL_CHARS = 64;
    /** Most members a group key names. */
    int MAX_GROUP_MEMBERS = 64;
    /** Longest group key. */
    int MAX_GROUP_KEY_BYTES = 4096;
    /** Longest encoded name of a group member (a deep stack's name is well under 1 KiB). */
    int MAX_GROUP_MEMBER_NAME_BYTES = 8192;

    /**
     * The Tao of the host that started this process: a connection to it over the Unix domain
     * socket named by the environment variable {@value dev.cloudproxy.tao.rpc.RpcTao#SOCKET_ENV},
     * shared by the whole process. The host knows the caller by the kernel's credentials for the
     * connecting process, not by anything in the environment.
     *
     * @throws TaoException if this process has no Tao host (the variable is unset) or the host
     *     refuses it
     * @throws IOException if the host cannot be reached
     */
    static CoreTao parent() throws IOException, TaoException {
        return dev.cloudproxy.tao.rpc.RpcTao.parent();
    }

    /** The caller's principal name. */
    Prin getTaoName() throws IOException, TaoException;

    /** Appends {@code subprin} to the caller's name, irreversibly. */
    void extendTaoName(SubPrin subprin) throws IOException, TaoException;

    /** {@code n} bytes from the host's cryptographic random source, 0 &lt;= n &lt;= {@link #MAX_RANDOM_BYTES}. */
    byte[] getRandomBytes(int n) throws IOException, TaoException;

    /**
     * A secret of {@code n} bytes derived by the host for the caller ({@link #SEAL_POLICY_SELF}) or
     * for every program of this Tao ({@link #SEAL_POLICY_ANY}); the same inputs give the same
     * secret across restarts.
     */
    byte[] getSharedSecret(int n, String policy) throws IOException, TaoException;

    /**
     * A key of {@code n} bytes for the group of programs named in {@code members}, the caller
     * among them: the same as {@link #getGroupKeyFor} with the caller's full current name as the
     * asker.
     *
     * @throws GroupKeyRefusedException if the caller is not a member or no Tao above it is an
     *     ancestor of every member
     * @throws IllegalArgumentException if the request is malformed (see {@link #getGroupKeyFor})
     */
    default byte[] getGroupKey(List<Prin> members, int n) throws IOException, TaoException {
        return getGroupKeyFor(getTaoName(), members, n);
    }

    /**
     * A key of {@code n} bytes for the group {@code members}, asked for on behalf of
     * {@code asker}: the caller itself, or (when the caller is a host forwarding its program's
     * request) a program below the caller.
     *
     * <p>The Tao answers only if {@code asker} is the caller's name or an extension of it (a host
     * speaks for its own descendants, never for a sibling) and {@code asker} is one of the
     * members. If this Tao is an ancestor of every member (every member's name extends this
     * Tao's name; for a hosted program's Tao, the host's name), it derives the key from its
     * deriving key, its name and the sorted set of the members' suffixes below it
     * ({@link dev.cloudproxy.tao.seal.GroupKeys}); else a host with a parent Tao asks the parent
     * on behalf of the same {@code asker}, and a Tao with no parent refuses.
     *
     * @param members 1 to {@link #MAX_GROUP_MEMBERS} distinct names, each at most
     *     {@link #MAX_GROUP_MEMBER_NAME_BYTES} encoded
     * @param n 1 to {@link #MAX_GROUP_KEY_BYTES}
     * @throws GroupKeyRefusedException if the asker is refused or no Tao above is an ancestor of
     *     every member
     * @throws IllegalArgumentException if the request is malformed
     */
    byte[] getGroupKeyFor(Prin asker, List<Prin> members, int n) throws IOException, TaoException;

    /** Signs "{@code caller from now until now + 1 year says message}". */
    default Attestation attest(Form message) throws IOException, TaoException {
        return attest(AttestRequest.of(message));
    }

    /** Signs the statement the request describes; its issuer must be the caller or a subprincipal of it. */
    Attestation attest(AttestRequest request) throws IOException, TaoException;

    /** Encrypts and binds {@code data} so that only programs the policy names can unseal it. */
    byte[] seal(byte[] data, String policy) throws IOException, TaoException;

    /**
     * Opens a blob made by {@link #seal}.
     *
     * @throws UnsealException if the blob was altered, or was sealed for another program or Tao
     */
    Unsealed unseal(byte[] sealed) throws IOException, TaoException;

    // ---- rollback protection (CloudProxy's InitCounter, GetCounter, RollbackProtectedSeal,
    // RollbackProtectedUnseal) ----

    /**
     * Creates the caller's counter for {@code label} at 0 if it does not exist yet, and returns
     * its value. Idempotent. (CloudProxy's {@code InitCounter(label, c)} also let the caller raise
     * the counter to {@code c}; nothing needs that, and it would only make the caller's own state
     * stale.)
     *
     * @throws IllegalArgumentException if the label is not valid (see {@link #MAX_LABEL_CHARS})
     * @throws TaoException if the Tao cannot keep more counters for this caller
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
     * durable at this Tao, and seals {@code data} with the label and the new value bound into the
     * blob. Only {@link #SEAL_POLICY_SELF} is accepted: state under rollback protection belongs to
     * one program (a counter shared by every program of the Tao would let each make the others'
     * state stale).
     *
     * <p>Once this returns, every earlier blob of the label is stale, with one exception that
     * keeps a crash from locking the program out: until a newer blob of the label has been opened
     * once with {@link #rollbackProtectedUnseal}, the last blob that was opened still opens too.
     * A writer therefore writes the blob durably, then opens it once to commit it; a crash in
     * between leaves the old state or the new one, and an attacker who puts the old file back in
     * that window gets the old state, never an older one.
     */
    byte[] rollbackProtectedSeal(String label, byte[] data, String policy) throws IOException, TaoException;

    /**
     * Opens a blob made by {@link #rollbackProtectedSeal} for the caller, if it holds the label's
     * current state; opening the newest blob commits it (see {@link #rollbackProtectedSeal}).
     * The result names the label and the counter value: check the label is the one expected.
     *
     * @throws StaleStateException if the blob authenticated but is not the current state
     * @throws UnsealException if the blob was altered, sealed for another program or Tao, or
     *     made by an ordinary {@link #seal}
     */
    Unsealed rollbackProtectedUnseal(byte[] sealed) throws IOException, TaoException;
}
