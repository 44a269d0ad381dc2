package dev.cloudproxy.tao.measurement;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Per-file digests of Java runtime files, kept in a file across processes, so that a fresh JVM
 * (the launcher) need not hash 150-300 MB of runtime every time it starts.
 *
 * <p><b>What it may be trusted for.</b> The cache file lives where the user can write it, so any
 * process of that user can forge an entry. An entry is therefore used only for a file that the
 * user cannot change: not owned by the user, writable neither by group nor by others, in
 * directories (every one from the file up to {@code /}, along the path as walked and along its
 * real path) of which the same holds, so the file cannot be replaced by a rename either. Such a
 * file changes only when its owner or root changes it, and then its change time moves (no
 * unprivileged program can set it back), so an entry, keyed by the real path, device, inode,
 * size, modification and change times in nanoseconds, misses. A process running as root or with
 * any effective capability never uses the cache (it could change every file). Everything else is
 * hashed every time.
 *
 * <p>What a forged entry can still do: give a file nobody but its owner or root can change the
 * digest of another such file (an older runtime installed beside the current one, say). See
 * docs/measurement.md.
 *
 * <p><b>Format</b> (big-endian): the magic line {@code tao-runtime-digests/v1\n}; the entry count
 * (u32, at most {@link #MAX_ENTRIES}); per entry the real path (u16 length, 1 to
 * {@link #MAX_PATH_BYTES} bytes of UTF-8, no NUL), device, inode, size (i64 each), modification
 * time and change time (i64 seconds, u32 nanoseconds each), SHA-256 of the content (32 bytes);
 * then SHA-256 of everything before it. The whole file is at most {@link #MAX_FILE_BYTES}. A file
 * that is not exactly that (truncated, garbage, another version, duplicate entries, too large,
 * not a regular file of this user with mode {@code 0600} or narrower) is ignored as if empty, and
 * replaced by the next write. Writes are atomic (temporary file with mode {@code 0600} from
 * creation, {@code fsync}, rename) and happen only when an entry was added or changed.
 *
 * <p>Not thread-safe: one instance serves one measurement.
 */
final class RuntimeDigestCache {
    static final byte[] MAGIC = "tao-runtime-digests/v1\n".getBytes(StandardCharsets.US_ASCII);
    static final int MAX_ENTRIES = 16_384;
    static final int MAX_PATH_BYTES = 4096;
    static final int MAX_FILE_BYTES = 4 << 20;
    private static final int DIGEST_BYTES = 32;
    /** The bytes of an entry besides its path: length, five i64, two u32, the digest. */
    private static final int ENTRY_FIXED_BYTES = 2 + 5 * 8 + 2 * 4 + DIGEST_BYTES;

    private static final System.Logger LOG = System.getLogger(RuntimeDigestCache.class.getName());

    /** Which file content an entry stands for: real path and what {@code stat} says about it. */
    record Stamp(String path, long dev, long ino, long size, long mtimeSeconds, int mtimeNanos,
            long ctimeSeconds, int ctimeNanos) {}

    /** A runtime file as found: its stamp, and its owner and mode, for the modifiability check. */
    record FileFacts(Stamp stamp, int uid, int mode) {
        /**
         * Resolves {@code file} to its real path and reads the attributes of exactly that path,
         * not following links, so that the path and the attributes in the stamp are of one and
         * the same file even if a link on the way is changed meanwhile. Empty where the file
         * system has no Unix attributes or the real path is no longer a regular file (then
         * nothing about the file is cached, in any cache).
         */
        static Optional<FileFacts> of(Path file) throws IOException {
            Path real = file.toRealPath();
            Map<String, Object> a;
            try {
                a = Files.readAttributes(real, "unix:dev,ino,size,lastModifiedTime,ctime,uid,mode",
                        LinkOption.NOFOLLOW_LINKS);
            } catch (UnsupportedOperationException | IllegalArgumentException e) {
                return Optional.empty();
            }
            int mode = (Integer) a.get("mode");
            if (!isRegularFile(mode)) {
                return Optional.empty();
            }
            Instant mtime = ((FileTime) a.get("lastModifiedTime")).toInstant();
            Instant ctime = ((FileTime) a.get("ctime")).toInstant();
            Stamp stamp = new Stamp(real.toString(), (Long) a.get("dev"), (Long) a.get("ino"),
                    (Long) a.get("size"), mtime.getEpochSecond(), mtime.getNano(), ctime.getEpochSecond(),
                    ctime.getNano());
            return Optional.of(new FileFacts(stamp, (Integer) a.get("uid"), mode));
        }

        /** The file the stamp describes, to read (without following links) when it is hashed. */
        Path path() {
            return Path.of(stamp.path());
        }
    }

    private static boolean isRegularFile(int mode) {
        return (mode & 0170000) == 0100000;
    }

    /**
     * Who the current process is, as far as changing files goes: its user ids (real, effective,
     * saved, file system) and whether it is privileged (any of them 0, or any effective
     * capability), which makes it able to change any file.
     */
    record Identity(Set<Integer> uids, boolean privileged) {
        Identity {
            uids = Set.copyOf(uids);
        }

        /** Of this process, from {@code /proc/self/status}; empty where that cannot be read. */
        static Optional<Identity> current() {
            try {
                return parseStatus(Files.readString(Path.of("/proc/self/status"), StandardCharsets.ISO_8859_1));
            } catch (IOException | RuntimeException e) {
                return Optional.empty();
            }
        }

        static Optional<Identity> parseStatus(String status) {
            Set<Integer> uids = new HashSet<>();
            Boolean capable = null;
            for (String line : status.split("\n")) {
                if (line.startsWith("Uid:")) {
                    for (String id : line.substring(4).trim().split("\\s+")) {
                        uids.add(Integer.parseUnsignedInt(id));
                    }
                } else if (line.startsWith("CapEff:")) {
                    capable = Long.parseUnsignedLong(line.substring(7).trim(), 16) != 0;
                }
            }
            if (uids.isEmpty() || capable == null) {
                return Optional.empty();
            }
            return Optional.of(new Identity(uids, capable || uids.contains(0)));
        }

        /**
         * Whether a file or directory with this owner and mode is beyond this identity's reach:
         * not its own (an owner can always {@code chmod}), not writable by others, and not
         * writable by the group, whichever group it is: with POSIX ACLs the group bits are the
         * mask of all named entries, so group-writable may mean writable by us even outside the
         * group.
         */
        boolean cannotModify(int ownerUid, int mode) {
            return !privileged && !uids.contains(ownerUid) && (mode & 0022) == 0;
        }
    }

    private final Path file;
    private final Identity who;
    private final Map<Stamp, byte[]> loaded;
    private final Map<Stamp, byte[]> fresh = new LinkedHashMap<>();
    private final Map<Path, Boolean> directories = new HashMap<>();
    private boolean changed;

    private RuntimeDigestCache(Path file, Identity who, Map<Stamp, byte[]> loaded, boolean valid) {
        this.file = file;
        this.who = who;
        this.loaded = loaded;
        this.changed = !valid;
    }

    /**
     * The cache in {@code file} for {@code who}, or empty when {@code who} is privileged (root
     * can change every file, so no entry could be trusted). A missing, unreadable or malformed
     * file gives an empty cache, never an error.
     */
    static Optional<RuntimeDigestCache> open(Path file, Identity who) {
        if (who.privileged()) {
            return Optional.empty();
        }
        Optional<Map<Stamp, byte[]>> entries = read(file, who);
        return Optional.of(new RuntimeDigestCache(file, who, entries.orElseGet(HashMap::new), entries.isPresent()));
    }


    /**
     * The cached digest of {@code walked} (a runtime file, as reached from the runtime's home),
     * if there is an entry for exactly its stamp and the user cannot change the file.
     */
    Optional<byte[]> get(Path walked, FileFacts facts) throws IOException {
        byte[] digest = loaded.get(facts.stamp());
        if (digest == null || !trusted(walked, facts)) {
            return Optional.empty();
        }
        fresh.put(facts.stamp(), digest);
        return Optional.of(digest.clone());
    }

    /** Remembers a digest just computed, if it may ever be used (the user cannot change the file). */
    void put(Path walked, FileFacts facts, byte[] digest) throws IOException {
        if (!trusted(walked, facts)) {
            return;
        }
        byte[] old = loaded.get(facts.stamp());
        if (old == null || !MessageDigest.isEqual(old, digest)) {
            changed = true;
        }
        fresh.put(facts.stamp(), digest.clone());
    }

    /**
     * Writes the cache if anything changed: this measurement's entries first, then earlier
     * entries for other paths that still exist (other runtimes), as many as fit. Failures are logged and
     * otherwise ignored: the cache only saves time.
     */
    void save() {
        if (!changed) {
            return;
        }
        Map<Stamp, byte[]> out = new LinkedHashMap<>(fresh);
        Set<String> paths = new HashSet<>();
        for (Stamp s : fresh.keySet()) {
            paths.add(s.path());
        }
        for (Map.Entry<Stamp, byte[]> e : loaded.entrySet()) {
            String path = e.getKey().path();
            if (!paths.contains(path) && Files.exists(Path.of(path))) {
                out.putIfAbsent(e.getKey(), e.getValue());
            }
        }
        try {
            writeAtomically(file, encode(out));
            changed = false;
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "cannot write the runtime digest cache " + file + ": " + e);
        }
    }

    /** Whether the user cannot change the file, nor any directory that leads to it. */
    private boolean trusted(Path walked, FileFacts facts) throws IOException {
        if (!who.cannotModify(facts.uid(), facts.mode())) {
            return false;
        }
        Path real = Path.of(facts.stamp().path());
        return directoriesUnmodifiable(walked.toAbsolutePath().getParent())
                && directoriesUnmodifiable(real.getParent());
    }

    /** Whether {@code dir} and each directory above it (as each resolves) is beyond the user's reach. */
    private boolean directoriesUnmodifiable(Path dir) throws IOException {
        for (Path d = dir; d != null; d = d.getParent()) {
            Boolean known = directories.get(d);
            if (known == null) {
                Map<String, Object> a;
                try {
                    a = Files.readAttributes(d, "unix:uid,mode");
                } catch (UnsupportedOperationException | IllegalArgumentException e) {
                    return false;
                }
                known = who.cannotModify((Integer) a.get("uid"), (Integer) a.get("mode"));
                directories.put(d, known);
            }
            if (!known) {
                return false;
            }
        }
        return true;
    }

    /**
     * The entries of the cache file, or empty if it is missing, not a regular file owned by the
     * user and private to it, unreadable or malformed in any way.
     */
    private static Optional<Map<Stamp, byte[]>> read(Path file, Identity who) {
        try {
            Map<String, Object> a = Files.readAttributes(file, "unix:uid,mode,size", LinkOption.NOFOLLOW_LINKS);
            int mode = (Integer) a.get("mode");
            if (!isRegularFile(mode) || !who.uids().contains((Integer) a.get("uid")) || (mode & 0077) != 0
                    || (Long) a.get("size") > MAX_FILE_BYTES) {
                LOG.log(System.Logger.Level.DEBUG, "ignoring the runtime digest cache " + file
                        + ": not a private regular file of this user, or too large");
                return Optional.empty();
            }
            // Between the check and the open the file could be swapped for a FIFO and the open
            // block: only the same user can do that, and that user can stop us anyway.
            byte[] bytes;
            try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
                bytes = in.readNBytes(MAX_FILE_BYTES + 1);
            }
            Optional<Map<Stamp, byte[]>> entries = decode(bytes);
            if (entries.isEmpty()) {
                LOG.log(System.Logger.Level.DEBUG, "ignoring the malformed runtime digest cache " + file);
            }
            return entries;
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** The file form of {@code entries}, cut to {@link #MAX_ENTRIES} and {@link #MAX_FILE_BYTES}. */
    static byte[] encode(Map<Stamp, byte[]> entries) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        int count = 0;
        long size = MAGIC.length + 4 + DIGEST_BYTES;
        try (DataOutputStream out = new DataOutputStream(body)) {
            for (Map.Entry<Stamp, byte[]> e : entries.entrySet()) {
                Stamp s = e.getKey();
                byte[] path = s.path().getBytes(StandardCharsets.UTF_8);
                if (!validPath(path) || e.getValue().length != DIGEST_BYTES || !validStamp(s)) {
                    continue;
                }
                size += ENTRY_FIXED_BYTES + path.length;
                if (count == MAX_ENTRIES || size > MAX_FILE_BYTES) {
                    break;
                }
                count++;
                out.writeShort(path.length);
                out.write(path);
                out.writeLong(s.dev());
                out.writeLong(s.ino());
                out.writeLong(s.size());
                out.writeLong(s.mtimeSeconds());
                out.writeInt(s.mtimeNanos());
                out.writeLong(s.ctimeSeconds());
                out.writeInt(s.ctimeNanos());
                out.write(e.getValue());
            }
        } catch (IOException e) {
            throw new IllegalStateException("writing to memory", e);
        }
        ByteBuffer all = ByteBuffer.allocate(MAGIC.length + 4 + body.size() + DIGEST_BYTES);
        all.put(MAGIC).putInt(count).put(body.toByteArray());
        all.put(Digests.sha256().digest(Arrays.copyOf(all.array(), all.position())));
        return all.array();
    }

    /**
     * The entries in {@code bytes}, or empty unless they are exactly the format above: right
     * magic and version, count and lengths in bounds, valid UTF-8 paths, times and sizes in
     * range, no entry twice, nothing after the checksum, checksum right.
     */
    static Optional<Map<Stamp, byte[]>> decode(byte[] bytes) {
        if (bytes.length > MAX_FILE_BYTES || bytes.length < MAGIC.length + 4 + DIGEST_BYTES) {
            return Optional.empty();
        }
        int bodyEnd = bytes.length - DIGEST_BYTES;
        byte[] sum = Digests.sha256().digest(Arrays.copyOf(bytes, bodyEnd));
        if (!MessageDigest.isEqual(sum, Arrays.copyOfRange(bytes, bodyEnd, bytes.length))
                || !Arrays.equals(bytes, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            return Optional.empty();
        }
        ByteBuffer in = ByteBuffer.wrap(bytes, MAGIC.length, bodyEnd - MAGIC.length);
        long count = Integer.toUnsignedLong(in.getInt());
        if (count > MAX_ENTRIES) {
            return Optional.empty();
        }
        Map<Stamp, byte[]> entries = new HashMap<>();
        for (long i = 0; i < count; i++) {
            if (in.remaining() < 2) {
                return Optional.empty();
            }
            int pathLength = Short.toUnsignedInt(in.getShort());
            if (pathLength == 0 || pathLength > MAX_PATH_BYTES || in.remaining() < pathLength + ENTRY_FIXED_BYTES - 2) {
                return Optional.empty();
            }
            byte[] path = new byte[pathLength];
            in.get(path);
            Optional<String> name = utf8(path);
            Stamp s = new Stamp(name.orElse(""), in.getLong(), in.getLong(), in.getLong(), in.getLong(),
                    in.getInt(), in.getLong(), in.getInt());
            byte[] digest = new byte[DIGEST_BYTES];
            in.get(digest);
            if (name.isEmpty() || !validPath(path) || !validStamp(s) || entries.put(s, digest) != null) {
                return Optional.empty();
            }
        }
        if (in.hasRemaining()) {
            return Optional.empty();
        }
        return Optional.of(entries);
    }

    private static boolean validPath(byte[] path) {
        if (path.length == 0 || path.length > MAX_PATH_BYTES || path[0] != '/') {
            return false;
        }
        for (byte b : path) {
            if (b == 0) {
                return false;
            }
        }
        return true;
    }

    private static boolean validStamp(Stamp s) {
        return s.size() >= 0 && s.mtimeNanos() >= 0 && s.mtimeNanos() < 1_000_000_000
                && s.ctimeNanos() >= 0 && s.ctimeNanos() < 1_000_000_000;
    }

    private static Optional<String> utf8(byte[] bytes) {
        try {
            CharBuffer chars = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes));
            return Optional.of(chars.toString());
        } catch (CharacterCodingException e) {
            return Optional.empty();
        }
    }

    /**
     * Replaces {@code target} in one step: a temporary file in the same directory, mode
     * {@code 0600} from its creation, written, {@code fsync}ed and renamed over the target. (The
     * same sequence as core's {@code AtomicFiles}, which this module cannot use: it depends on
     * {@code auth} only. The directory is not {@code fsync}ed: losing the rename in a crash only
     * costs hashing the runtime once more.)
     */
    private static void writeAtomically(Path target, byte[] content) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Path tmp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try {
            try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ByteBuffer buffer = ByteBuffer.wrap(content);
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
                channel.force(true);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
    }

}
