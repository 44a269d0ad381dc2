package dev.cloudproxy.tao.seal;

import dev.cloudproxy.tao.DecryptionException;
import dev.cloudproxy.tao.StaleStateException;
import dev.cloudproxy.tao.CoreTao;
import dev.cloudproxy.tao.TaoException;
import dev.cloudproxy.tao.UnsealException;
import dev.cloudproxy.tao.Unsealed;
import dev.cloudproxy.tao.auth.AuthFormatException;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.io.AtomicFiles;
import dev.cloudproxy.tao.keys.Crypter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A Tao's table of rollback counters: one per (owner's full name, label), where the owner is the
 * program the Tao serves (or the Tao itself, for a root). The Tao chooses the owner from who is
 * calling; nothing here takes a name from a program.
 *
 * <p>Each counter has two values: {@code latest}, the value of the last seal, and
 * {@code committed}, the last value whose blob was opened. A blob opens if its counter is either:
 * the newest state, or (until it is opened once, which commits it, or superseded) the state before
 * it, so that a writer that crashes between sealing and writing its file still finds its old
 * state. Every change is handed to the {@link Store} before the call returns; if the store fails,
 * the table is unchanged and the call fails.
 *
 * <p><b>Group commit.</b> A change is made under the table's lock, but saved outside it: while
 * one save is in flight, the changes that arrive meanwhile wait, and the next save (made by one
 * of their callers) carries them all. So concurrent callers share one save (on a TPM root: one
 * table write and one NV increment), a lone caller's change is saved at once (no timer, no added
 * latency), and no call returns before a save that covers its change has returned:
 * <ul>
 *   <li>{@link #advance} (so a rollback-protected seal) returns its value, and {@link #check}
 *       (so a rollback-protected unseal) returns, only once the table holding that value or that
 *       commit is saved; a blob is never handed out under a counter the store could lose;
 *   <li>{@link #get} reports only saved values;
 *   <li>if a save fails, every change it carried and every change made while it was in flight
 *       is discarded, the table is again the one last saved, and each of those callers fails.
 * </ul>
 * A crash loses only changes whose callers were not yet answered: after a restart every
 * answered change is there, and each batch is all there or not at all (the store writes a table
 * at once). Two threads advancing one counter still get a value each (the change is made under
 * the lock); they may share a save.
 *
 * <p>Table format (inside whatever protection the store adds):
 * <pre>
 *   "TAOC" | version 1 | u32 count | count x (u16 name length | binary auth name
 *          | u8 label length | label | u64 latest | u64 committed)
 * </pre>
 * Thread-safe; the store is called by one thread at a time.
 */
public final class RollbackCounters {
    /** Most counters one owner may have: one program cannot fill its host's table. */
    public static final int MAX_COUNTERS_PER_OWNER = 1024;
    /** Most counters in one table. */
    public static final int MAX_COUNTERS = 1 << 16;

    private static final byte[] MAGIC = "TAOC".getBytes(StandardCharsets.US_ASCII);
    private static final int VERSION = 1;
    private static final int MAX_NAME_BYTES = 1 << 14;
    private static final int MAX_FILE_BYTES = 64 << 20;
    private static final byte[] FILE_CONTEXT = "Tao Counter Table V1".getBytes(StandardCharsets.US_ASCII);

    /**
     * Where a table lives between runs, and what protects it there. The table calls it from one
     * thread at a time (whichever caller carries the current batch), never while holding its lock.
     */
    public interface Store {
        /** The table last saved, or null if none was ever saved. */
        byte[] load() throws IOException, TaoException;

        /** Replaces the saved table durably (old or new after a crash, never a mix). */
        void save(byte[] table) throws IOException, TaoException;
    }

    private record Key(Prin owner, String label) {}

    /** A counter's two values as the store last saved them. */
    private record Saved(long latest, long committed) {}

    /** The changes one save carries, and how it ended (guarded by the table's lock). */
    private static final class Batch {
        boolean hasChanges;
        boolean done;
        Throwable failure;
    }

    private static final class Entry {
        long latest;
        long committed;

        Entry(long latest, long committed) {
            this.latest = latest;
            this.committed = committed;
        }
    }

    private static final Set<String> WARNED = ConcurrentHashMap.newKeySet();

    private final Store store;
    /** Guards the fields below; never held while the store saves. */
    private final Object lock = new Object();
    /** Every change, saved or not yet. */
    private final Map<Key, Entry> entries;
    /** The table as the store last saved it: what {@link #get} reports and a failed save returns to. */
    private Map<Key, Saved> saved;
    /** The batch that collects changes until its save starts. */
    private Batch open = new Batch();
    /** The batch being saved (by one caller, with the lock released), or null. */
    private Batch inFlight;
    private volatile String warning;

    private RollbackCounters(Store store, Map<Key, Entry> entries) {
        this.store = store;
        this.entries = entries;
        this.saved = snapshot(entries);
    }

    /**
     * The table saved in {@code store} (an empty one if none was saved).
     *
     * @throws TaoException if the saved table is malformed
     */
    public static RollbackCounters open(Store store) throws IOException, TaoException {
        Objects.requireNonNull(store, "store");
        byte[] saved = store.load();
        return new RollbackCounters(store, saved == null ? new HashMap<>() : decode(saved));
    }

    /**
     * Makes this table say {@code message} (a WARNING) at its first use, once per process for
     * each distinct message: for a Tao that must say loudly what it does not protect.
     */
    public RollbackCounters warnOnFirstUse(String message) {
        this.warning = Objects.requireNonNull(message, "message");
        return this;
    }

    private void warnIfAsked() {
        String w = warning;
        if (w != null && WARNED.add(w)) {
            System.getLogger(RollbackCounters.class.getName()).log(System.Logger.Level.WARNING, w);
        }
    }

    /** A new, empty table that replaces whatever {@code store} held at its first change. */
    public static RollbackCounters empty(Store store) {
        return new RollbackCounters(Objects.requireNonNull(store, "store"), new HashMap<>());
    }

    /** A table kept only in memory: every counter is gone when the process ends. */
    public static RollbackCounters inMemory() {
        return new RollbackCounters(new Store() {
            @Override
            public byte[] load() {
                return null;
            }

            @Override
            public void save(byte[] table) {}
        }, new HashMap<>());
    }

    /**
     * A store in {@code file}, encrypted and authenticated with {@code crypter} (bound to
     * {@code owner}, the Tao's own name) and replaced atomically with mode 0600. It protects the
     * table's secrecy and integrity, not its freshness: whoever can write the file can put an
     * older copy back. A Tao whose counters must survive that keeps them with its parent.
     */
    public static Store encryptedFile(Path file, Crypter crypter, Prin owner) {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(crypter, "crypter");
        byte[] context = ByteBuffer.allocate(FILE_CONTEXT.length + owner.encode().length)
                .put(FILE_CONTEXT).put(owner.encode()).array();
        return new Store() {
            @Override
            public byte[] load() throws IOException, TaoException {
                if (!Files.exists(file)) {
                    return null;
                }
                try {
                    return crypter.decrypt(AtomicFiles.readAtMost(file, MAX_FILE_BYTES), context);
                } catch (DecryptionException e) {
                    throw new TaoException("the counter table " + file + " was altered or belongs to another Tao");
                }
            }

            @Override
            public void save(byte[] table) throws IOException {
                AtomicFiles.writeOwnerOnly(file, crypter.encrypt(table, context));
            }
        };
    }

    /** Whether {@code label} is a valid counter label (see {@link CoreTao#MAX_LABEL_CHARS}). */
    public static boolean isValidLabel(String label) {
        return isToken(label, CoreTao.MAX_LABEL_CHARS, "._-:/$");
    }

    /**
     * Whether {@code s} is 1..{@code max} characters from {@code A-Z a-z 0-9} and
     * {@code punctuation}: the names (labels, app ids) that may appear in a log line, a path or a
     * guard's fact without quoting.
     */
    static boolean isToken(String s, int max, String punctuation) {
        if (s == null || s.isEmpty() || s.length() > max) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || punctuation.indexOf(c) >= 0;
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /** @throws IllegalArgumentException if {@code label} is not valid */
    public static void checkLabel(String label) {
        Objects.requireNonNull(label, "label");
        if (!isValidLabel(label)) {
            throw new IllegalArgumentException("a counter label is 1.." + CoreTao.MAX_LABEL_CHARS
                    + " characters from A-Z a-z 0-9 . _ - : / $");
        }
    }

    /** Saves the table as it is (to write a new Tao's empty table before it serves). */
    public void persist() throws IOException, TaoException {
        Batch batch;
        synchronized (lock) {
            batch = join();
        }
        awaitSaved(batch);
    }

    /** {@link CoreTao#initCounter}: creates the counter at 0 if needed and returns its latest value. */
    public long init(Prin owner, String label) throws IOException, TaoException {
        warnIfAsked();
        Key key = key(owner, label);
        Batch batch;
        long value;
        synchronized (lock) {
            Entry e = entries.get(key);
            if (e == null) {
                create(key);
                value = 0;
                batch = join();
            } else {
                value = e.latest;
                batch = unsaved(); // it may have been created (or advanced) by a change not saved yet
            }
        }
        awaitSaved(batch);
        return value;
    }

    /** {@link CoreTao#getCounter}: the latest value saved (an advance not yet answered is not counted). */
    public long get(Prin owner, String label) throws TaoException {
        warnIfAsked();
        Key key = key(owner, label);
        Saved s;
        synchronized (lock) {
            s = saved.get(key);
        }
        if (s == null) {
            throw new TaoException("no counter with the label " + label);
        }
        return s.latest();
    }

    /**
     * Advances the counter (creating it if needed), saves the table and returns the new value, to
     * be sealed into the blob. When this returns, the value is durable (concurrent advances may
     * share the save, see the class comment).
     */
    public long advance(Prin owner, String label) throws IOException, TaoException {
        warnIfAsked();
        Key key = key(owner, label);
        Batch batch;
        long value;
        synchronized (lock) {
            Entry e = entries.get(key);
            if (e == null) {
                e = create(key);
            }
            if (e.latest == Long.MAX_VALUE) {
                throw new TaoException("the counter with the label " + label + " is exhausted");
            }
            value = ++e.latest;
            batch = join();
        }
        awaitSaved(batch);
        return value;
    }

    /**
     * Checks that a blob of {@code label} sealed at {@code counter} is the owner's current state,
     * and commits it if it is the newest: the state before it is stale from then on. Returns once
     * the state that admitted the blob is saved.
     *
     * @throws StaleStateException if it is neither the newest state nor the committed one
     */
    public void check(Prin owner, String label, long counter) throws IOException, TaoException {
        warnIfAsked();
        Key key = key(owner, label);
        Batch batch;
        synchronized (lock) {
            Entry e = entries.get(key);
            long latest = e == null ? 0 : e.latest;
            if (e == null || (counter != e.latest && counter != e.committed)) {
                throw new StaleStateException(counter, latest);
            }
            if (counter == e.latest && e.committed != e.latest) {
                e.committed = e.latest;
                batch = join();
            } else {
                batch = unsaved(); // another caller's commit of this value may not be saved yet
            }
        }
        awaitSaved(batch);
    }

    /** The batch that will carry a change made now (call with the lock held). */
    private Batch join() {
        open.hasChanges = true;
        return open;
    }

    /** The batch whose save makes the working table as it is now durable, or null if it is (lock held). */
    private Batch unsaved() {
        return open.hasChanges ? open : inFlight;
    }

    /**
     * Returns once {@code batch} is saved: at once if it is (or is null); after the save in
     * flight if that is the batch; else, when no save is in flight, by saving it, as the one
     * caller whose turn it is, with the lock released (the changes that arrive meanwhile form the
     * next batch). Waits on through interrupts: the change is in the table and will be saved or
     * discarded, and answering before either would break the guarantee.
     *
     * @throws IOException or TaoException if the save that carried the batch failed: its changes
     *     were discarded
     */
    private void awaitSaved(Batch batch) throws IOException, TaoException {
        if (batch == null) {
            return;
        }
        boolean interrupted = false;
        try {
            while (true) {
                byte[] table;
                Map<Key, Saved> values;
                synchronized (lock) {
                    while (!batch.done && inFlight != null) {
                        try {
                            lock.wait();
                        } catch (InterruptedException e) {
                            interrupted = true;
                        }
                    }
                    if (batch.done) {
                        if (batch.failure != null) {
                            throw batchFailed(batch.failure);
                        }
                        return;
                    }
                    // Not done and nothing in flight: this is the open batch, and its turn.
                    inFlight = open;
                    open = new Batch();
                    table = encode();
                    values = snapshot(entries);
                }
                try {
                    store.save(table);
                } catch (IOException | TaoException | RuntimeException | Error e) {
                    discardUnsaved(e);
                    throw e;
                }
                synchronized (lock) {
                    saved = values;
                    inFlight.done = true;
                    inFlight = null;
                    lock.notifyAll();
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * After a failed save: the working table is again the one last saved, so the batch that
     * failed and the changes made while it was in flight fail together.
     */
    private void discardUnsaved(Throwable cause) {
        synchronized (lock) {
            entries.clear();
            saved.forEach((k, v) -> entries.put(k, new Entry(v.latest(), v.committed())));
            for (Batch b : new Batch[] {inFlight, open}) {
                b.done = true;
                b.failure = cause;
            }
            inFlight = null;
            open = new Batch();
            lock.notifyAll();
        }
    }

    /** The failure of a save that also carried other callers' changes, for one of them. */
    private static TaoException batchFailed(Throwable cause) throws IOException {
        String message = "saving the counter table failed: " + cause.getMessage();
        if (cause instanceof IOException) {
            throw new IOException(message, cause);
        }
        if (!(cause instanceof TaoException)) {
            throw new IllegalStateException(message, cause);
        }
        return new TaoException(message, cause);
    }

    /**
     * {@link CoreTao#rollbackProtectedSeal} for a Tao that seals with its own keys: advances
     * {@code owner}'s counter durably, then seals in {@link SealFormat} bound to {@code owner}.
     */
    public byte[] seal(Crypter crypter, Prin owner, Prin tao, String label, byte[] data, String policy)
            throws IOException, TaoException {
        Objects.requireNonNull(data, "data");
        checkLabel(label);
        if (!CoreTao.SEAL_POLICY_SELF.equals(Objects.requireNonNull(policy, "policy"))) {
            throw new IllegalArgumentException("rollback-protected state can only be sealed with policy \"self\"");
        }
        long counter = advance(owner, label);
        return SealFormat.sealRollback(crypter, data, policy, owner, tao, label, counter);
    }

    /** {@link CoreTao#rollbackProtectedUnseal} for a Tao that seals with its own keys. */
    public Unsealed unseal(Crypter crypter, byte[] blob, Prin owner, Prin tao) throws IOException, TaoException {
        Unsealed u = SealFormat.unsealRollback(crypter, blob, owner, tao);
        try {
            check(owner, u.label().orElseThrow(), u.counter().orElseThrow());
            return u;
        } catch (IOException | TaoException | RuntimeException e) {
            u.close();
            throw e;
        }
    }

    /**
     * {@link CoreTao#rollbackProtectedSeal} with an app policy, for a Tao that seals with its own keys
     * and has asked its guard: advances the app's counter ({@link SealFormat#appOwner}) durably,
     * then seals with {@link SealFormat#sealAppRollback}. Every name admitted to the app shares the
     * counter, so a new version finds the old version's state current, and an older copy stale.
     */
    public byte[] sealApp(Crypter crypter, Prin tao, String appId, String label, byte[] data)
            throws IOException, TaoException {
        Objects.requireNonNull(data, "data");
        checkLabel(label);
        long counter = advance(SealFormat.appOwner(tao, appId), label);
        return SealFormat.sealAppRollback(crypter, data, appId, tao, label, counter);
    }

    /** {@link CoreTao#rollbackProtectedUnseal} of an app blob, for a Tao that has asked its guard. */
    public Unsealed unsealApp(Crypter crypter, byte[] blob, Prin tao) throws IOException, TaoException {
        String appId = SealFormat.appIdOf(blob).orElseThrow(UnsealException::new);
        Unsealed u = SealFormat.unsealAppRollback(crypter, blob, tao);
        try {
            check(SealFormat.appOwner(tao, appId), u.label().orElseThrow(), u.counter().orElseThrow());
            return u;
        } catch (IOException | TaoException | RuntimeException e) {
            u.close();
            throw e;
        }
    }

    private static Key key(Prin owner, String label) {
        checkLabel(label);
        return new Key(Objects.requireNonNull(owner, "owner"), label);
    }

    /** Adds a counter at 0 to the working table (the caller saves it). */
    private Entry create(Key key) throws TaoException {
        if (entries.size() >= MAX_COUNTERS) {
            throw new TaoException("this Tao's counter table is full");
        }
        long owned = entries.keySet().stream().filter(k -> k.owner().equals(key.owner())).count();
        if (owned >= MAX_COUNTERS_PER_OWNER) {
            throw new TaoException("a program may have at most " + MAX_COUNTERS_PER_OWNER + " counters");
        }
        Entry e = new Entry(0, 0);
        entries.put(key, e);
        return e;
    }

    private static Map<Key, Saved> snapshot(Map<Key, Entry> entries) {
        Map<Key, Saved> out = new HashMap<>();
        entries.forEach((k, e) -> out.put(k, new Saved(e.latest, e.committed)));
        return out;
    }

    private byte[] encode() {
        int size = MAGIC.length + 1 + 4;
        Map<Key, byte[]> names = new HashMap<>();
        for (Key k : entries.keySet()) {
            byte[] n = k.owner().encode();
            names.put(k, n);
            size += 2 + n.length + 1 + k.label().length() + 16;
        }
        ByteBuffer b = ByteBuffer.allocate(size).put(MAGIC).put((byte) VERSION).putInt(entries.size());
        for (Map.Entry<Key, Entry> me : entries.entrySet()) {
            byte[] n = names.get(me.getKey());
            byte[] l = me.getKey().label().getBytes(StandardCharsets.US_ASCII);
            b.putShort((short) n.length).put(n).put((byte) l.length).put(l)
                    .putLong(me.getValue().latest).putLong(me.getValue().committed);
        }
        return b.array();
    }

    private static Map<Key, Entry> decode(byte[] table) throws TaoException {
        try {
            ByteBuffer b = ByteBuffer.wrap(table);
            byte[] magic = new byte[MAGIC.length];
            b.get(magic);
            int version = b.get();
            int count = b.getInt();
            if (!Arrays.equals(magic, MAGIC) || version != VERSION) {
                throw new TaoException("the counter table is malformed");
            }
            return decodeEntries(b, count);
        } catch (BufferUnderflowException | AuthFormatException | IllegalArgumentException e) {
            throw new TaoException("the counter table is malformed");
        }
    }

    private static Map<Key, Entry> decodeEntries(ByteBuffer b, int count) throws TaoException, AuthFormatException {
        if (count < 0 || count > MAX_COUNTERS) {
            throw new TaoException("the counter table is malformed");
        }
        Map<Key, Entry> out = new HashMap<>();
        for (int i = 0; i < count; i++) {
            int nameLength = b.getShort() & 0xffff;
            if (nameLength > MAX_NAME_BYTES) {
                throw new TaoException("the counter table is malformed");
            }
            byte[] name = new byte[nameLength];
            b.get(name);
            byte[] label = new byte[b.get() & 0xff];
            b.get(label);
            long latest = b.getLong();
            long committed = b.getLong();
            Key key = new Key(Prin.decode(name), new String(label, StandardCharsets.US_ASCII));
            if (!isValidLabel(key.label()) || committed < 0 || committed > latest
                    || out.put(key, new Entry(latest, committed)) != null) {
                throw new TaoException("the counter table is malformed");
            }
        }
        if (b.hasRemaining()) {
            throw new TaoException("the counter table is malformed");
        }
        return out;
    }
}
