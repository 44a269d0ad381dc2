package dev.cloudproxy.tao.kms;

import dev.cloudproxy.tao.DecryptionException;
import dev.cloudproxy.tao.keys.Crypter;
import dev.cloudproxy.tao.keys.Signer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A program's protected objects: named, typed, epoch-numbered keys and files, each reachable from
 * the program's {@link MasterKey} through a chain of {@link Link}s kept in an {@link ObjectStore}.
 *
 * <p>Guarantees:
 *
 * <ul>
 *   <li>Reading an object decrypts every link from the master key down to it and checks each
 *       against the id it was asked for; a link that was altered, truncated, swapped with another
 *       object's or epoch's, or whose key material (or a protector's) was erased gives
 *       {@link ObjectUnreadableException}.
 *   <li>Zones are the first level of the namespace and are independent: the master key protects
 *       exactly the zone keys ({@code /zone}), and every other object is protected by a key of
 *       its own zone. Holding one zone's keys discloses nothing of another zone.
 *   <li>New writes use the newest active epoch of a protector that is valid at the clock's time;
 *       older active epochs still decrypt what they protect until they are retired.
 *   <li>{@link #rewrap} moves every object protected by an old epoch under the newest one, one
 *       atomic store write per object, with a journal so that {@link #resumeRewrap()} finishes a
 *       job killed at any point; every object is readable at every moment.
 *   <li>{@link #retire} refuses while any active object depends on the epoch, then overwrites its
 *       link with one that holds no material: from then on nothing the epoch protected, including
 *       old copies of links kept elsewhere, can be decrypted from this store.
 * </ul>
 *
 * <p>This class authorizes nothing: it is a program's own key store. A party serving objects to
 * others (the secret service) decides with the guard or a {@link DirectiveVerifier} first.
 *
 * <p>Thread-safe within one process (mutations are serialized); one store must not be mutated by
 * two processes at once.
 */
public final class ProtectedObjects {
    /** Longest chain from the master key to an object; longer (or cyclic) chains are refused. */
    public static final int MAX_CHAIN = ObjectName.MAX_DEPTH + 1;

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final byte[] JOURNAL_MAGIC = "rewrap ".getBytes(StandardCharsets.US_ASCII);

    /** Called after each link a rewrap writes; tests use it to kill a job at chosen points. */
    interface RewrapListener {
        void rewrapped(ObjectId id, int count);
    }

    private final MasterKey master;
    private final ObjectStore store;
    private final Clock clock;

    private ProtectedObjects(MasterKey master, ObjectStore store, Clock clock) {
        this.master = master;
        this.store = store;
        this.clock = clock;
    }

    /** The objects in {@code store} under {@code master}, with validity checked against {@code clock}. */
    public static ProtectedObjects open(MasterKey master, ObjectStore store, Clock clock) {
        return new ProtectedObjects(Objects.requireNonNull(master, "master"), Objects.requireNonNull(store, "store"),
                Objects.requireNonNull(clock, "clock"));
    }

    /**
     * Creates epoch 1 of a key with fresh random material, protected by the newest active epoch of
     * {@code protector} ({@link ObjectName#ROOT} for a zone key).
     *
     * @throws IllegalArgumentException if the name exists, the type is {@link ObjectType#FILE},
     *     or the protector may not protect it (another zone, not a key)
     */
    public synchronized ObjectInfo createKey(ObjectName name, ObjectType type, ObjectName protector, Validity validity)
            throws IOException, KeyManagementException {
        if (type == ObjectType.FILE) {
            throw new IllegalArgumentException("a file is written, not created: use write");
        }
        if (!epochs(name).isEmpty()) {
            throw new IllegalArgumentException(name + " exists; rotate it to add an epoch");
        }
        byte[] material = randomMaterial(type);
        try {
            return put(new ObjectInfo(new ObjectId(name, 1), type, ObjectStatus.ACTIVE, validity.notBefore(),
                    validity.notAfter()), protector, material);
        } finally {
            Arrays.fill(material, (byte) 0);
        }
    }

    /**
     * Adds epoch n+1 of the key {@code name} with fresh material, protected by the newest active
     * epoch of the protector name of its newest epoch. From now on writes use it; older epochs
     * still decrypt until {@link #retire retired}.
     */
    public synchronized ObjectInfo rotate(ObjectName name, Validity validity)
            throws IOException, KeyManagementException {
        Link newest = newestLink(name);
        ObjectType type = newest.info().type();
        if (type == ObjectType.FILE) {
            throw new IllegalArgumentException("a file gets new epochs by being written");
        }
        byte[] material = randomMaterial(type);
        try {
            return put(new ObjectInfo(new ObjectId(name, newest.info().id().epoch() + 1), type, ObjectStatus.ACTIVE,
                    validity.notBefore(), validity.notAfter()), newest.protector().name(), material);
        } finally {
            Arrays.fill(material, (byte) 0);
        }
    }

    /**
     * Writes {@code content} as the next epoch of the file {@code name} (epoch 1 if new),
     * protected by the newest active epoch of {@code protector}.
     */
    public synchronized ObjectInfo write(ObjectName name, ObjectName protector, byte[] content, Validity validity)
            throws IOException, KeyManagementException {
        Objects.requireNonNull(content, "content");
        if (content.length > Link.MAX_PAYLOAD) {
            throw new IllegalArgumentException("content larger than " + Link.MAX_PAYLOAD + " bytes");
        }
        List<ObjectInfo> existing = epochs(name);
        if (!existing.isEmpty() && existing.get(existing.size() - 1).type() != ObjectType.FILE) {
            throw new IllegalArgumentException(name + " is a key, not a file");
        }
        int epoch = existing.isEmpty() ? 1 : existing.get(existing.size() - 1).id().epoch() + 1;
        return put(new ObjectInfo(new ObjectId(name, epoch), ObjectType.FILE, ObjectStatus.ACTIVE,
                validity.notBefore(), validity.notAfter()), protector, content);
    }

    /**
     * Reads one epoch of an object through its chain.
     *
     * @throws ObjectNotFoundException if it (or a protector) has no link
     * @throws ObjectUnreadableException if any link on the chain fails to check or decrypt, or the
     *     object is retired or revoked
     * @throws ObjectNotValidException if it or a protector is outside its validity window
     */
    public ObjectMaterial read(ObjectId id) throws IOException, KeyManagementException {
        Objects.requireNonNull(id, "id");
        if (id.name().isRoot()) {
            throw new IllegalArgumentException("the master key is not readable as an object");
        }
        return unwrap(id, 0);
    }

    /** Reads the newest active epoch of {@code name}. */
    public ObjectMaterial readNewest(ObjectName name) throws IOException, KeyManagementException {
        return read(newestActive(name));
    }

    /** The newest active epoch of {@code name} that is valid now: the one writes use. */
    public ObjectId newestActive(ObjectName name) throws IOException, KeyManagementException {
        List<ObjectInfo> all = epochs(name);
        for (int i = all.size() - 1; i >= 0; i--) {
            ObjectInfo info = all.get(i);
            if (info.status() == ObjectStatus.ACTIVE && info.isValidAt(clock.instant())) {
                return info.id();
            }
        }
        throw new ObjectNotFoundException("no active, valid epoch of " + name);
    }

    /**
     * Every stored epoch of {@code name}, oldest first, as the store describes them: unverified
     * until read (the store could lie about a status or window, not about material).
     */
    public List<ObjectInfo> epochs(ObjectName name) throws IOException {
        List<ObjectInfo> out = new ArrayList<>();
        for (Link link : links()) {
            if (link.info().id().name().equals(name)) {
                out.add(link.info());
            }
        }
        return out;
    }

    /** The unverified description of every stored epoch of every object, in id order. */
    public List<ObjectInfo> list() throws IOException {
        return links().stream().map(Link::info).toList();
    }

    /**
     * Moves every active object protected by {@code from} under the newest active epoch of the
     * same key, and returns how many links were rewritten. Idempotent; see {@link #resumeRewrap()}.
     */
    public synchronized int rewrap(ObjectId from) throws IOException, KeyManagementException {
        return rewrap(from, (id, count) -> { });
    }

    synchronized int rewrap(ObjectId from, RewrapListener listener) throws IOException, KeyManagementException {
        ObjectId to = from.name().isRoot() ? null : newestActive(from.name());
        if (to == null || to.epoch() <= from.epoch()) {
            throw new IllegalArgumentException("no newer active epoch of " + from.name() + " to rewrap under");
        }
        store.putJournal(journal(from, to));
        int count = 0;
        try (ProtectorKey target = protectorKey(to, 0)) {
            for (Link link : links()) {
                if (!link.protector().equals(from) || link.info().status() != ObjectStatus.ACTIVE) {
                    continue;
                }
                try (ObjectMaterial material = unwrap(link.info().id(), 0)) {
                    byte[] bytes = material.exportSecretMaterial();
                    try {
                        Link moved = new Link(to, link.info(),
                                target.crypter().encrypt(bytes, Link.associatedData(to, link.info())));
                        store.put(link.info().id(), moved.encode());
                    } finally {
                        Arrays.fill(bytes, (byte) 0);
                    }
                }
                listener.rewrapped(link.info().id(), ++count);
            }
        }
        store.deleteJournal();
        return count;
    }

    /**
     * Finishes a rewrap that was interrupted (by a crash or {@code kill -9}), if the store holds
     * one; returns the number of links it rewrote, or 0 if there was none.
     */
    public synchronized int resumeRewrap() throws IOException, KeyManagementException {
        return resumeRewrap((id, count) -> { });
    }

    synchronized int resumeRewrap(RewrapListener listener) throws IOException, KeyManagementException {
        Optional<ObjectId> from = pendingRewrap();
        return from.isPresent() ? rewrap(from.get(), listener) : 0;
    }

    /** The epoch an unfinished rewrap moves objects away from, if the store records one. */
    public Optional<ObjectId> pendingRewrap() throws IOException, KeyManagementException {
        Optional<byte[]> journal = store.getJournal();
        if (journal.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(parseJournal(journal.get()));
    }

    /**
     * Retires an epoch: refused while an active object is protected by it or a rewrap from it is
     * unfinished; then its link is replaced by one without material, so its key is gone from the
     * store.
     *
     * @throws RetireRefusedException if something still depends on it
     */
    public synchronized void retire(ObjectId id) throws IOException, KeyManagementException {
        withdraw(id, ObjectStatus.RETIRED);
    }

    /**
     * Revokes an epoch thought compromised: as {@link #retire}, refused while anything depends on
     * it (rotate and rewrap first), then its material is erased; its status says why. An epoch
     * already retired can be marked revoked too (its material is already gone). A revoked epoch
     * stays revoked.
     *
     * @throws RetireRefusedException if something still depends on it
     */
    public synchronized void revoke(ObjectId id) throws IOException, KeyManagementException {
        withdraw(id, ObjectStatus.REVOKED);
    }

    private void withdraw(ObjectId id, ObjectStatus to) throws IOException, KeyManagementException {
        Link link = load(id);
        ObjectStatus from = link.info().status();
        if (from == to || from == ObjectStatus.REVOKED) {
            return;
        }
        if (from == ObjectStatus.RETIRED) {
            // Only RETIRED -> REVOKED is left: no material, nothing depends on it.
            store.put(id, new Link(link.protector(), link.info().withStatus(to), new byte[0]).encode());
            return;
        }
        Optional<ObjectId> pending = pendingRewrap();
        if (pending.isPresent() && pending.get().equals(id)) {
            throw new RetireRefusedException("a rewrap from " + id + " is unfinished");
        }
        long dependents = links().stream()
                .filter(l -> l.protector().equals(id) && l.info().status() == ObjectStatus.ACTIVE)
                .count();
        if (dependents > 0) {
            throw new RetireRefusedException(dependents + " active object(s) are still protected by " + id
                    + "; rewrap them first");
        }
        store.put(id, new Link(link.protector(), link.info().withStatus(to), new byte[0]).encode());
    }

    private ObjectInfo put(ObjectInfo info, ObjectName protectorName, byte[] material)
            throws IOException, KeyManagementException {
        checkZone(protectorName, info.id().name());
        ObjectId protector = protectorName.isRoot() ? ObjectId.MASTER : newestActive(protectorName);
        try (ProtectorKey key = protectorKey(protector, 0)) {
            byte[] wrapped = key.crypter().encrypt(material, Link.associatedData(protector, info));
            Link link = new Link(protector, info, wrapped);
            store.put(info.id(), link.encode());
            return info;
        }
    }

    private ObjectMaterial unwrap(ObjectId id, int depth) throws IOException, KeyManagementException {
        if (depth >= MAX_CHAIN) {
            throw new ObjectUnreadableException("the chain to " + id + " is too long or cyclic");
        }
        Link link = load(id);
        ObjectInfo info = link.info();
        if (info.status() != ObjectStatus.ACTIVE) {
            throw new ObjectUnreadableException(id + " is " + info.status().name().toLowerCase(java.util.Locale.ROOT)
                    + ": its material is erased");
        }
        try {
            checkZone(link.protector().name(), id.name());
        } catch (IllegalArgumentException e) {
            throw new ObjectUnreadableException(id + " names a protector outside its zone");
        }
        byte[] material;
        try (ProtectorKey key = protectorKey(link.protector(), depth + 1)) {
            material = key.crypter().decrypt(link.wrapped(), Link.associatedData(link.protector(), info));
        } catch (DecryptionException e) {
            throw new ObjectUnreadableException(id + " cannot be decrypted under " + link.protector());
        } catch (ObjectNotFoundException e) {
            // The store holds this link but not its protector's: to the reader, a broken chain.
            throw new ObjectUnreadableException(id + " is protected by " + link.protector() + ", which is missing", e);
        }
        // Checked only now that the tag has authenticated the window: an altered window is tampering.
        if (!info.isValidAt(clock.instant())) {
            Arrays.fill(material, (byte) 0);
            throw new ObjectNotValidException(id + " is outside its validity window");
        }
        if (info.type().keyBytes() >= 0 && material.length != info.type().keyBytes()) {
            Arrays.fill(material, (byte) 0);
            throw new ObjectUnreadableException(id + " holds material of the wrong length");
        }
        return new ObjectMaterial(info, material);
    }

    /** The key of {@code id} as a crypter: the master key itself, or a key read through its chain. */
    private ProtectorKey protectorKey(ObjectId id, int depth) throws IOException, KeyManagementException {
        if (id.equals(ObjectId.MASTER)) {
            return new ProtectorKey(master.crypter(), false);
        }
        if (id.name().isRoot()) {
            throw new ObjectUnreadableException("no master key epoch " + id.epoch());
        }
        try (ObjectMaterial material = unwrap(id, depth)) {
            if (!material.info().type().canProtect()) {
                throw new ObjectUnreadableException(
                        id + " is a " + material.info().type() + ", which protects nothing");
            }
            byte[] bytes = material.exportSecretMaterial();
            try {
                return new ProtectorKey(Crypter.fromSecretKeyMaterial(bytes), true);
            } finally {
                Arrays.fill(bytes, (byte) 0);
            }
        }
    }

    /** Loads and checks the form of the link stored under {@code id}. */
    private Link load(ObjectId id) throws IOException, KeyManagementException {
        byte[] bytes = store.get(id).orElseThrow(() -> new ObjectNotFoundException("no link for " + id));
        Link link = Link.parse(bytes);
        if (!link.info().id().equals(id)) {
            throw new ObjectUnreadableException("the link stored as " + id + " is another object's");
        }
        return link;
    }

    private Link newestLink(ObjectName name) throws IOException, KeyManagementException {
        return load(newestActive(name));
    }

    /** Every stored link that parses and is filed under its own id; anything else is skipped. */
    private List<Link> links() throws IOException {
        List<Link> out = new ArrayList<>();
        for (ObjectId id : store.list()) {
            try {
                out.add(load(id));
            } catch (KeyManagementException e) {
                // Not a usable link: reading it reports why; listing and rewrapping pass it by.
            }
        }
        return out;
    }

    /** Zones are independent: the master key protects zone keys only, any other key its own zone. */
    private static void checkZone(ObjectName protector, ObjectName object) {
        boolean zoneKey = object.segments().size() == 1;
        if (protector.isRoot() != zoneKey) {
            throw new IllegalArgumentException(zoneKey
                    ? "a zone key (" + object + ") is protected by the master key only"
                    : "only zone keys are protected by the master key, not " + object);
        }
        if (!protector.isRoot() && !protector.zone().equals(object.zone())) {
            throw new IllegalArgumentException(object + " cannot be protected by a key of another zone");
        }
    }

    private static byte[] randomMaterial(ObjectType type) {
        if (type == ObjectType.ECDSA_P256) {
            // A scalar drawn as a new key's is (uniform in [1, n-1]), not any 32 random bytes.
            try (Signer key = Signer.generate()) {
                return key.exportSecretKeyMaterial();
            }
        }
        byte[] material = new byte[type.keyBytes()];
        RANDOM.nextBytes(material);
        return material;
    }

    private static byte[] journal(ObjectId from, ObjectId to) {
        String line = "rewrap " + from.name() + " " + from.epoch() + " " + to.epoch() + "\n";
        return line.getBytes(StandardCharsets.US_ASCII);
    }

    /** The journal is untrusted like everything in the store: it only ever names an epoch to move from. */
    private static ObjectId parseJournal(byte[] journal) throws MalformedLinkException {
        String text = new String(journal, StandardCharsets.US_ASCII);
        String[] parts = text.endsWith("\n") ? text.substring(0, text.length() - 1).split(" ", -1) : new String[0];
        try {
            if (parts.length != 4 || !parts[0].equals("rewrap")) {
                throw new IllegalArgumentException("bad journal");
            }
            return new ObjectId(ObjectName.of(parts[1]), Integer.parseInt(parts[2]));
        } catch (IllegalArgumentException e) {
            throw new MalformedLinkException("the rewrap journal is malformed");
        }
    }

    /** A protector's crypter, closed after use unless it is the master key's (which its owner closes). */
    private record ProtectorKey(Crypter crypter, boolean owned) implements AutoCloseable {
        @Override
        public void close() {
            if (owned) {
                crypter.close();
            }
        }

        @Override
        public String toString() {
            return "ProtectorKey[redacted]";
        }
    }
}
