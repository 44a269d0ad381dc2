package dev.cloudproxy.tao.seal;

import dev.cloudproxy.tao.StaleStateException;
import dev.cloudproxy.tao.CoreTao;
import dev.cloudproxy.tao.SealPolicy;
import dev.cloudproxy.tao.TaoException;
import dev.cloudproxy.tao.UnsealException;
import dev.cloudproxy.tao.Unsealed;
import dev.cloudproxy.tao.io.AtomicFiles;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A program's state file under rollback protection: the writer protocol of
 * {@link CoreTao#rollbackProtectedSeal} and the reader that goes with it, including the one-time
 * migration of a file written with a plain {@link CoreTao#seal} before rollback protection existed.
 *
 * <p>{@link #write}: seal (the counter advances), replace the file atomically (mode 0600), open
 * the blob once (which commits it). A crash at any step leaves the old file or the new one, and
 * either opens on the next start.
 *
 * <p>{@link #read}: the file's plaintext if it is the program's current state for the label. An
 * older copy is {@link StaleStateException}. A plain {@code self} blob (the earlier format) is
 * returned as such (its {@link Unsealed#label()} is empty) only while the program's counter for
 * the label is still 0, that is, before it ever wrote protected state; the caller checks its
 * content and rewrites it with {@link #write}. After that, an old-format copy put back is
 * refused as stale (counter 0), so the migration path is no way around the counter.
 *
 * <p>The same holds for a move from {@code self} to an app policy ({@code app:<app-id>}, which a
 * new version of the program can open once its host's guard admits it): {@link #read} with the
 * app policy returns a {@code self} blob of the same program as it is ({@link #needsRewrite} says
 * so), and {@link #migrate} writes it under the app policy, then advances and commits the
 * program's own counter, so the {@code self} copy is stale from then on and cannot be fed to the
 * migration again. The window is the writer protocol's: between the two steps the old copy put
 * back still opens once.
 */
public final class RollbackProtectedFile {
    private RollbackProtectedFile() {}

    /**
     * The state in {@code file}, or null if there is none.
     *
     * @throws StaleStateException if the file is an older state than the program last wrote
     * @throws UnsealException if it does not open for this program at all
     * @throws TaoException if it holds another label's state, or a plain blob not sealed {@code self}
     * @throws IOException if it cannot be read or is larger than {@code maxBytes}
     */
    public static Unsealed read(CoreTao tao, Path file, String label, int maxBytes) throws IOException, TaoException {
        return read(tao, file, label, maxBytes, CoreTao.SEAL_POLICY_SELF);
    }

    /**
     * As {@link #read(CoreTao, Path, String, int)}, for state kept under {@code policy}
     * ({@code self} or {@code app:<app-id>}). A blob of the program's own earlier {@code self}
     * state is returned too (to be {@link #migrate}d); one of another app is refused.
     *
     * @throws TaoException also if the host's guard does not admit this program to the app
     */
    public static Unsealed read(CoreTao tao, Path file, String label, int maxBytes, String policy)
            throws IOException, TaoException {
        Objects.requireNonNull(tao, "tao");
        Objects.requireNonNull(policy, "policy");
        RollbackCounters.checkLabel(label);
        byte[] blob;
        try {
            blob = AtomicFiles.readAtMost(file, maxBytes + 1);
        } catch (NoSuchFileException absent) {
            return null;
        }
        if (blob.length > maxBytes) {
            throw new IOException(file + " is larger than " + maxBytes + " bytes");
        }
        Unsealed u;
        try {
            u = tao.rollbackProtectedUnseal(blob);
        } catch (UnsealException notProtected) {
            u = tao.unseal(blob); // the earlier format, or the same UnsealException
            if (!CoreTao.SEAL_POLICY_SELF.equals(u.policy().text())) {
                u.close();
                throw new TaoException(file + " was not sealed to the program alone");
            }
            long counter = tao.initCounter(label);
            if (counter > 0) {
                u.close();
                throw new StaleStateException(0, counter);
            }
            return u;
        }
        if (!u.label().orElseThrow().equals(label)) {
            u.close();
            throw new TaoException(file + " holds the state of another label");
        }
        if (!u.policy().text().equals(policy) && u.policy() != SealPolicy.SELF) {
            u.close();
            throw new TaoException(file + " holds the state of another app (sealed under \"" + u.policy() + "\")");
        }
        return u;
    }

    /**
     * Whether what {@link #read} returned must be written again under {@code policy}: it is in the
     * format before rollback protection, or sealed under another policy (the program's own
     * {@code self} state, on its way to an app policy).
     */
    public static boolean needsRewrite(Unsealed read, String policy) {
        return read.label().isEmpty() || !read.policy().text().equals(policy);
    }

    /**
     * Writes {@code plain}, read from the program's earlier state with {@link #read}, under
     * {@code policy}; if that is not {@code self}, then retires the program's own {@code self}
     * counter for the label (seals and commits an empty blob under it), so the earlier copy is
     * stale from then on.
     */
    public static void migrate(CoreTao tao, Path file, String label, byte[] plain, String policy)
            throws IOException, TaoException {
        write(tao, file, label, plain, policy);
        if (!CoreTao.SEAL_POLICY_SELF.equals(policy)) {
            tao.rollbackProtectedUnseal(tao.rollbackProtectedSeal(label, new byte[0], CoreTao.SEAL_POLICY_SELF)).close();
        }
    }

    /** Writes {@code plain} to {@code file} rollback-protected under {@code label}, and commits it. */
    public static void write(CoreTao tao, Path file, String label, byte[] plain) throws IOException, TaoException {
        write(tao, file, label, plain, CoreTao.SEAL_POLICY_SELF);
    }

    /** As {@link #write(CoreTao, Path, String, byte[])}, under {@code policy} ({@code self} or {@code app:<app-id>}). */
    public static void write(CoreTao tao, Path file, String label, byte[] plain, String policy)
            throws IOException, TaoException {
        byte[] blob = tao.rollbackProtectedSeal(label, plain, policy);
        AtomicFiles.writeOwnerOnly(file, blob);
        tao.rollbackProtectedUnseal(blob).close();
    }
}
