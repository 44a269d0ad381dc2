package dev.cloudproxy.tao;

import dev.cloudproxy.tao.attestation.Attestation;
import dev.cloudproxy.tao.auth.Form;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.SubPrin;
import java.io.IOException;

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
 *   <li>{@link #attest} signs "{@code caller says message}" (or a statement by a subprincipal of
 *       the caller) so that {@link dev.cloudproxy.tao.attestation.AttestationVerifier} traces it
 *       to this Tao's root.
 * </ul>
 * Transport failures (a hosted program that lost its host) are {@link IOException}s; refusals and
 * failed checks are {@link TaoException}s; misuse is {@link IllegalArgumentException}.
 */
public interface Tao {
    /** Seal to the caller's full current name: after {@link #extendTaoName} the blob no longer opens. */
    String SEAL_POLICY_SELF = "self";
    /** Seal to this Tao: any program it hosts (or any extension of the caller's name) can open the blob. */
    String SEAL_POLICY_ANY = "any";

    /** Most random bytes one call returns. */
    int MAX_RANDOM_BYTES = 1 << 16;
    /** Longest shared secret. */
    int MAX_SHARED_SECRET_BYTES = 4096;
    /** Largest plaintext one seal takes. */
    int MAX_SEAL_BYTES = 16 << 20;

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
    static Tao parent() throws IOException, TaoException {
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
}
