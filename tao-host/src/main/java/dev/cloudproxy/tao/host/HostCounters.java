package dev.cloudproxy.tao.host;

import dev.cloudproxy.tao.StaleStateException;
import dev.cloudproxy.tao.CoreTao;
import dev.cloudproxy.tao.TaoException;
import dev.cloudproxy.tao.Unsealed;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.io.AtomicFiles;
import dev.cloudproxy.tao.keys.Keys;
import dev.cloudproxy.tao.seal.RollbackCounters;
import dev.cloudproxy.tao.seal.SealFormat;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * Where a host keeps its programs' rollback counters ({@value HostDirectory#COUNTERS} in its
 * directory), and what protects them there.
 *
 * <p><b>Stacked host</b> ({@link #stacked}): the table is sealed with the parent's
 * {@link CoreTao#rollbackProtectedSeal} under a label of the host's own key, so putting back an older
 * table is refused by the parent as stale, and a stack of hosts chains down to its root. Each save
 * is the writer protocol of {@link CoreTao#rollbackProtectedSeal}:
 * <ol>
 *   <li>the parent seals the new table (its counter for the label advances);
 *   <li>the blob replaces the file atomically;
 *   <li>the host opens the blob once with the parent, which commits it.
 * </ol>
 * A crash (of the host or its parent) before step 2 leaves the old file, which the parent still
 * accepts (its last committed state); after step 2 the new file, which the parent accepts and the
 * next open commits. So a restart finds the old table or the new one, never a lock-out. A host
 * answers a program only after the save returned, so a program never holds a blob whose counter
 * the host could lose. A missing file where the parent already has a counter for the label is
 * refused (deleting the table would reset every program's counters).
 *
 * <p>Saves are batched ({@link RollbackCounters}' group commit): the changes programs make while
 * a save is in flight share the next one, one parent seal and commit for all of them (on a TPM
 * root, two NV increments per batch instead of two per change). A crash loses only changes whose
 * programs were not answered yet; each batch restarts all there or not at all.
 *
 * <p><b>Root host on soft keys</b> ({@link #root}): the table is encrypted and authenticated
 * with the host's keys, and NOT rollback-protected: whoever can write the host's directory can
 * put back an older table with older blobs. The host says so once, when it opens (the launcher's
 * development root says it in its own DEVELOPMENT ROOT warning).
 */
final class HostCounters {
    private static final System.Logger LOG = System.getLogger(HostCounters.class.getName());
    private static final AtomicBoolean WARNED = new AtomicBoolean();

    /** Called at each step of a stacked save with the step's name; tests stop the process there. */
    static volatile Consumer<String> stepHook = step -> { };

    private HostCounters() {}

    /**
     * The table of a root host on soft keys: protected by its keys, not against rollback. The
     * caller says so loudly ({@link #warnNotRollbackProtected}, or its own warning).
     */
    static RollbackCounters root(HostDirectory dir, Keys keys) throws IOException, TaoException {
        return RollbackCounters.open(RollbackCounters.encryptedFile(dir.counters(), keys.crypter(), keys.principal()));
    }

    /** Logs once per process that a root host's counters in {@code dir} are not rollback-protected. */
    static void warnNotRollbackProtected(HostDirectory dir) {
        if (WARNED.compareAndSet(false, true)) {
            LOG.log(Level.WARNING, "this root host keeps its programs' rollback counters under its soft keys: they are "
                    + "NOT rollback-protected (whoever can write " + dir.root() + " can put back older state). "
                    + "Use a TPM-rooted host where rollback matters.");
        }
    }

    /**
     * The table of a stacked host, kept with {@code parent}'s rollback-protected seal. The parent
     * must stay open while the host serves: every change of the table is saved through it.
     *
     * @throws StaleStateException if the file is an older table than the parent's counter
     * @throws HostException if the file is missing although the parent has a counter for it
     */
    static RollbackCounters stacked(HostDirectory dir, Keys keys, CoreTao parent) throws IOException, TaoException {
        ParentStore store = new ParentStore(dir.counters(), parent, labelFor(keys.principal()));
        return RollbackCounters.open(store);
    }

    /**
     * Writes a new stacked host's empty table, so that from its first start a missing file means
     * a deleted one (called while the host directory is still being built aside).
     */
    static void initStacked(HostDirectory dir, Keys keys, CoreTao parent) throws IOException, TaoException {
        RollbackCounters.empty(new ParentStore(dir.counters(), parent, labelFor(keys.principal()))).persist();
    }

    /** The parent's label for a host's table: one per host key, so hosts under one parent never share. */
    static String labelFor(Prin hostKey) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(hostKey.encode());
            return "tao.host.counters:" + HexFormat.of().formatHex(h, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A table sealed with the parent's rollback-protected seal. */
    private static final class ParentStore implements RollbackCounters.Store {
        private final Path file;
        private final CoreTao parent;
        private final String label;

        ParentStore(Path file, CoreTao parent, String label) {
            this.file = file;
            this.parent = Objects.requireNonNull(parent, "parent");
            this.label = label;
        }

        @Override
        public byte[] load() throws IOException, TaoException {
            if (!Files.exists(file)) {
                long counter = parent.initCounter(label);
                if (counter > 0) {
                    throw new HostException("the host's counter table " + file + " is missing, but its parent has "
                            + "sealed " + counter + " versions of it: refusing to start with every program's "
                            + "counters reset (put the file back)");
                }
                return null; // a host made before rollback protection, or one that never saved yet
            }
            byte[] blob = AtomicFiles.readAtMost(file, SealFormat.MAX_BLOB_BYTES);
            try (Unsealed u = parent.rollbackProtectedUnseal(blob)) {
                if (!u.label().orElse("").equals(label)) {
                    throw new HostException("the host's counter table " + file + " belongs to another host");
                }
                return u.data();
            }
        }

        @Override
        public void save(byte[] table) throws IOException, TaoException {
            byte[] blob = parent.rollbackProtectedSeal(label, table, CoreTao.SEAL_POLICY_SELF);
            stepHook.accept("parent-sealed");
            AtomicFiles.writeOwnerOnly(file, blob);
            stepHook.accept("table-written");
            parent.rollbackProtectedUnseal(blob).close();
            stepHook.accept("parent-committed");
        }

        @Override
        public String toString() {
            return "ParentStore[" + file + ", " + label + "]";
        }
    }
}
