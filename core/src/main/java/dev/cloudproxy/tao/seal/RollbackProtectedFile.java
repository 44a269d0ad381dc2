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
        Objects.requireNonNull(tao, "tao");
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
            if (u.policy() != SealPolicy.SELF) {
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
        return u;
    }

    /** Writes {@code plain} to {@code file} rollback-protected under {@code label}, and commits it. */
    public static void write(CoreTao tao, Path file, String label, byte[] plain) throws IOException, TaoException {
        byte[] blob = tao.rollbackProtectedSeal(label, plain, CoreTao.SEAL_POLICY_SELF);
        AtomicFiles.writeOwnerOnly(file, blob);
        tao.rollbackProtectedUnseal(blob).close();
    }
}
