package dev.cloudproxy.tao.tpm;

import dev.cloudproxy.tao.DecryptionException;
import dev.cloudproxy.tao.StaleStateException;
import dev.cloudproxy.tao.TaoException;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.io.AtomicFiles;
import dev.cloudproxy.tao.keys.Crypter;
import dev.cloudproxy.tao.seal.RollbackCounters;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * A TPM Tao's counter table, anchored in a TPM NV counter: the table file carries the NV value
 * it was committed under, and a table below the NV counter is refused as stale.
 *
 * <p><b>Commit</b> ({@link #save}), the NV counter at {@code N}:
 * <ol>
 *   <li>the table, tagged {@code N + 1}, replaces the file atomically (encrypted and
 *       authenticated under the Tao's TPM-sealed key, bound to the Tao and the NV index);
 *   <li>the NV counter is incremented to {@code N + 1} ({@code TPM2_NV_Increment}, then
 *       {@code TPM2_NV_Read} to check that nobody else moved it).
 * </ol>
 * The caller is answered only after step 2, so no acknowledged change can be lost. Commits
 * are batched by {@link RollbackCounters} (group commit): the changes made while one commit is in
 * flight are carried together by the next, one table write and one increment for all of them,
 * and none of their callers is answered before that commit's step 2. A lone change is committed
 * at once. Cost per commit: {@code TPM2_NV_Increment} and {@code TPM2_NV_Read} (the index was
 * checked to be this Tao's counter when the table was opened; if it was deleted or redefined
 * since, the increment fails or the read shows it moved).
 *
 * <p><b>Open</b> ({@link #load}), the NV counter at {@code N}: a table tagged {@code N} is
 * current; one tagged {@code N + 1} is a commit that crashed between its two steps, and the
 * increment is completed; anything lower is {@link StaleStateException} ("stale state: counter
 * t, expected N"), anything higher is refused. So {@code kill -9} at any step leaves the old
 * table or the new one, never a lock-out. Then open commits the table once more (the fence): a
 * table written before a crash, never acknowledged and kept aside by someone, is tagged at most
 * the new value, and every answered commit after open is tagged above it.
 *
 * <p><b>The window.</b> Between steps 1 and 2 two tables are acceptable (the old, tagged N, and
 * the new, tagged N + 1). Nothing in the new one has been answered yet, so accepting either is
 * "old or new" for the whole batch: a crash there restarts with every change of the batch (the
 * file was written: open completes the increment) or with none of them (it was not). The
 * window batching adds: the changes queued behind a commit in flight live only in memory until
 * the next commit's step 2; a crash loses them, and their callers were never answered (no blob
 * was handed out under those values, no unseal returned), so that too is "old". The reverse
 * order (NV incremented, table not written) cannot happen: the file is written first, and a
 * table tagged below the NV counter is refused for good. A commit that fails after step 1 (the
 * TPM unreachable for the increment) fails its callers and the next commit rewrites the file
 * under the same tag; a crash before that lets the next open complete it: changes whose callers
 * were told they failed (a counter a little ahead, a blob committed), never an older state.
 *
 * <p><b>Undefine and redefine.</b> A counter defined again starts above every value any counter
 * on the TPM ever had, so every table written before stays refused (stale). Anyone who may use
 * the index can increment it or delete it: that locks the Tao out (denial of service), never
 * makes an old table current.
 *
 * <p>Plaintext inside the encryption: {@code "TAON" | 1 | u32 NV index | u64 NV value | table}.
 */
final class AnchoredCounterStore implements RollbackCounters.Store {
    /** How the store reaches the TPM for one NV operation (the Tao's connection, or a fresh one). */
    @FunctionalInterface
    interface TpmAccess {
        <T> T with(WithTpm<T> work) throws IOException, TaoException;
    }

    /** Work on one connection. */
    @FunctionalInterface
    interface WithTpm<T> {
        T run(TpmConnection tpm) throws IOException, TaoException;
    }

    private static final byte[] MAGIC = "TAON".getBytes(StandardCharsets.US_ASCII);
    private static final int VERSION = 1;
    private static final int MAX_FILE_BYTES = 64 << 20;
    private static final byte[] CONTEXT = "Tao TPM Counter Table V2".getBytes(StandardCharsets.US_ASCII);

    /** Called at each step of a commit with the step's name; tests stop the process there. */
    static volatile Consumer<String> stepHook = step -> { };

    private final Path file;
    private final Crypter crypter;
    private final byte[] context;
    private final int index;
    private final TpmAccess access;
    /** The NV value the file on disk was committed under (set by load and save). */
    private long committed = -1;

    AnchoredCounterStore(Path file, Crypter crypter, Prin owner, int index, TpmAccess access) {
        this.file = Objects.requireNonNull(file, "file");
        this.crypter = Objects.requireNonNull(crypter, "crypter");
        this.index = index;
        this.access = Objects.requireNonNull(access, "access");
        byte[] o = owner.encode();
        this.context = ByteBuffer.allocate(CONTEXT.length + 4 + o.length).put(CONTEXT).putInt(index).put(o).array();
    }

    /** The NV index the table is anchored in. */
    int index() {
        return index;
    }

    /**
     * The current table, after checking it against the NV counter and committing it once more
     * (the fence, see the class comment).
     *
     * @throws StaleStateException if the file is older than the NV counter
     * @throws TaoException if the file is missing, altered, from another Tao or index, or ahead of
     *     the counter by more than one commit; or the NV counter is missing
     */
    @Override
    public synchronized byte[] load() throws IOException, TaoException {
        if (!Files.exists(file)) {
            throw new TaoException("the TPM Tao's counter table " + file + " is missing: refusing to start with every "
                    + "counter reset (put the file back)");
        }
        byte[] plain;
        try {
            plain = crypter.decrypt(AtomicFiles.readAtMost(file, MAX_FILE_BYTES), context);
        } catch (DecryptionException e) {
            throw new TaoException("the TPM Tao's counter table " + file + " was altered or belongs to another Tao");
        }
        ByteBuffer b = ByteBuffer.wrap(plain);
        byte[] magic = new byte[MAGIC.length];
        if (plain.length < MAGIC.length + 1 + 4 + 8) {
            throw new TaoException("the TPM Tao's counter table is malformed");
        }
        b.get(magic);
        if (!Arrays.equals(magic, MAGIC) || b.get() != VERSION || b.getInt() != index) {
            throw new TaoException("the TPM Tao's counter table is malformed");
        }
        long tag = b.getLong();
        byte[] table = Arrays.copyOfRange(plain, b.position(), plain.length);
        long now;
        try {
            now = access.with(tpm -> NvCounter.open(tpm, index).read());
        } catch (TpmCommandException e) {
            throw new TaoException("the NV counter 0x" + Integer.toHexString(index) + " that anchors the TPM Tao's "
                    + "counter table is not there (" + e.getMessage() + "): refusing the table", e);
        }
        if (tag < now) {
            throw new StaleStateException(tag, now);
        }
        if (tag > now + 1) {
            throw new TaoException("the TPM Tao's counter table is ahead of its NV counter (" + tag + " > " + now
                    + " + 1): refusing it");
        }
        if (tag == now + 1) {
            increment(tag); // a commit that crashed after writing the file: complete it
        }
        committed = tag;
        save(table); // the fence
        return table;
    }

    /** For a freshly defined counter at {@code now}: the next {@link #save} writes the first table. */
    synchronized void startAt(long now) {
        committed = now;
    }

    @Override
    public synchronized void save(byte[] table) throws IOException, TaoException {
        if (committed < 0) {
            throw new IllegalStateException("the anchored counter table was not loaded");
        }
        long next = committed + 1;
        byte[] plain = ByteBuffer.allocate(MAGIC.length + 1 + 4 + 8 + table.length)
                .put(MAGIC).put((byte) VERSION).putInt(index).putLong(next).put(table).array();
        AtomicFiles.writeOwnerOnly(file, crypter.encrypt(plain, context));
        stepHook.accept("table-written");
        increment(next);
        stepHook.accept("nv-incremented");
        committed = next;
    }

    private void increment(long expected) throws IOException, TaoException {
        long got = access.with(tpm -> NvCounter.checked(tpm, index).increment());
        if (got != expected) {
            throw new TaoException("the NV counter 0x" + Integer.toHexString(index) + " moved by itself (now " + got
                    + ", expected " + expected + "): someone else incremented it; the counter table is refused from now on");
        }
    }

    @Override
    public String toString() {
        return "AnchoredCounterStore[" + file + ", NV 0x" + Integer.toHexString(index) + "]";
    }
}
