package dev.cloudproxy.tao.host;

import dev.cloudproxy.tao.auth.AuthFormatException;
import dev.cloudproxy.tao.auth.AuthText;
import dev.cloudproxy.tao.auth.SubPrin;
import dev.cloudproxy.tao.host.unix.Users;
import dev.cloudproxy.tao.io.AtomicFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The user id of each program name on a root host, kept in the host directory so that a program
 * runs under the same id in every run and after every host restart, and a persistent state
 * directory per id that only that id (and root) can use.
 *
 * <p>A program's <em>name</em> here is the measured subprincipal the host extends its own name
 * with ({@code Jvm([..])}, {@code Program([..])}), so ids are looked up only after the factory
 * has measured the program. Guarantees:
 *
 * <ul>
 *   <li>the same name always gets the same id; two different names never share one, across host
 *       restarts too (entries are never removed, and an id is never given to a second name);
 *   <li>ids are assigned first come, the lowest free id of the {@link ProgramUsers} range, not
 *       derived from the name: a program cannot grind its measurement to land on another's id;
 *   <li>a new id is not assigned while any process on the machine runs with it as a user or
 *       group id (a process left behind by a host that was killed, or an unrelated user);
 *   <li>the table is written before the id is used ({@link AtomicFiles}: a crash leaves the old
 *       table or the new one), so an id handed out is never handed out again to another name.
 * </ul>
 *
 * <p>The table file, {@code program-users} (root, 0600), is host-private, but it is parsed
 * strictly all the same: at most {@value #MAX_ENTRIES} entries and {@value #MAX_BYTES} bytes,
 * UTF-8, lines {@code <uid> <name>} with the uid in the range and the name in its canonical
 * text; anything else is a {@link HostException} and the host does not start.
 *
 * <pre>
 * # Tao host: the user id of each program name (ProgramUserTable). Written by the host.
 * 2000000000 .Jvm([8c0e..])
 * 2000000001 .Program([51d3..])
 * </pre>
 *
 * <p>State directories: {@code program-state/} (root, 0700) holds one directory per id,
 * {@code program-state/<uid>} (owner and group the id, 0700), made at the id's first use. Only
 * root can enter {@code program-state/}: a program reaches its own directory through a
 * descriptor the host opens for it ({@link ProgramRunner}), never another's. Thread-safe.
 */
public final class ProgramUserTable {
    /** The table file's name in the host directory. */
    public static final String FILE = "program-users";
    /** The state directories' parent in the host directory. */
    public static final String STATE = "program-state";
    /** Most names a table holds. */
    public static final int MAX_ENTRIES = 65_536;
    /** Largest table file read. */
    public static final int MAX_BYTES = 8 << 20;

    private static final int MAX_NAME_CHARS = 4096;
    private static final String HEADER =
            "# Tao host: the user id of each program name (ProgramUserTable). Written by the host.\n";
    private static final Set<PosixFilePermission> PRIVATE = PosixFilePermissions.fromString("rwx------");

    private final Path file;
    private final Path stateRoot;
    private final ProgramUsers users;
    // In file order, which is assignment order.
    private final Map<SubPrin, Long> byName = new LinkedHashMap<>();
    private final Set<Long> assigned = new HashSet<>();

    private ProgramUserTable(Path file, Path stateRoot, ProgramUsers users) {
        this.file = file;
        this.stateRoot = stateRoot;
        this.users = users;
    }

    /**
     * Reads the table of {@code directory} ({@link #FILE}, absent: empty) for ids from
     * {@code users}, and makes {@link #STATE} if missing.
     *
     * @throws IllegalArgumentException if {@code users} does not give programs their own ids
     * @throws HostException if the table is malformed, too large, or names an id outside the range
     */
    public static ProgramUserTable open(HostDirectory directory, ProgramUsers users) throws HostException {
        Objects.requireNonNull(directory, "directory");
        if (!Objects.requireNonNull(users, "users").separate()) {
            throw new IllegalArgumentException("programs run as the host's user: they have no ids of their own");
        }
        ProgramUserTable t = new ProgramUserTable(directory.root().resolve(FILE), directory.root().resolve(STATE),
                users);
        byte[] encoded;
        try {
            encoded = AtomicFiles.readAtMost(t.file, MAX_BYTES + 1);
        } catch (NoSuchFileException e) {
            encoded = new byte[0];
        } catch (IOException e) {
            throw new HostException("cannot read " + t.file + ": " + e.getMessage());
        }
        t.parse(encoded);
        try {
            AtomicFiles.createPrivateDirectories(t.stateRoot);
        } catch (IOException e) {
            throw new HostException("cannot make " + t.stateRoot + ": " + e.getMessage());
        }
        return t;
    }

    private void parse(byte[] encoded) throws HostException {
        if (encoded.length > MAX_BYTES) {
            throw new HostException(FILE + " is larger than " + MAX_BYTES + " bytes");
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(encoded)).toString();
        } catch (CharacterCodingException e) {
            throw new HostException(FILE + " is not UTF-8");
        }
        int lineNo = 0;
        for (String line : text.split("\n", -1)) {
            lineNo++;
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int space = line.indexOf(' ');
            if (space < 1 || space > 10 || line.length() - space - 1 > MAX_NAME_CHARS
                    || !line.substring(0, space).chars().allMatch(c -> c >= '0' && c <= '9')) {
                throw new HostException(FILE + " line " + lineNo + ": not '<uid> <program name>'");
            }
            long uid = Long.parseLong(line.substring(0, space));
            if (!users.contains(uid)) {
                throw new HostException(FILE + " line " + lineNo + ": user id " + uid + " is outside " + users);
            }
            String nameText = line.substring(space + 1);
            SubPrin name;
            try {
                name = HostConfig.parseSubPrin(nameText);
            } catch (AuthFormatException | HostException e) {
                throw new HostException(FILE + " line " + lineNo + ": malformed program name");
            }
            if (name.isEmpty() || !AuthText.print(name).equals(nameText)) {
                throw new HostException(FILE + " line " + lineNo + ": malformed program name");
            }
            if (byName.containsKey(name) || assigned.contains(uid)) {
                throw new HostException(FILE + " line " + lineNo + ": name or user id repeated");
            }
            if (byName.size() == MAX_ENTRIES) {
                throw new HostException(FILE + " has more than " + MAX_ENTRIES + " entries");
            }
            byName.put(name, uid);
            assigned.add(uid);
        }
    }

    /**
     * The user id of the program named {@code name}: the one it had before, or the lowest id of
     * the range that no name has and no live process uses, recorded durably before it is returned.
     *
     * @throws ProgramStartException if every id is taken (by names, or by live processes), the
     *     table is full, or it cannot be written
     */
    public synchronized long uidFor(SubPrin name) throws ProgramStartException {
        Long known = byName.get(Objects.requireNonNull(name, "name"));
        if (known != null) {
            return known;
        }
        if (byName.size() >= MAX_ENTRIES) {
            throw new ProgramStartException("this host has given user ids to " + MAX_ENTRIES
                    + " program names already; no more fit in " + FILE);
        }
        Set<Long> inUse;
        try {
            inUse = ProgramUsers.idsOfLiveProcesses();
        } catch (IOException e) {
            throw new ProgramStartException("cannot list the machine's processes to pick a free user id: "
                    + e.getMessage());
        }
        long uid = users.firstFree(id -> !assigned.contains(id) && !inUse.contains(id))
                .orElseThrow(() -> new ProgramStartException("every program user id of " + users
                        + " is taken by a program name or a running process"));
        byName.put(name, uid);
        assigned.add(uid);
        try {
            write();
        } catch (IOException e) {
            byName.remove(name);
            assigned.remove(uid);
            throw new ProgramStartException("cannot record the user id of a program in " + file + ": "
                    + e.getMessage());
        }
        return uid;
    }

    private void write() throws IOException {
        StringBuilder b = new StringBuilder(HEADER);
        byName.forEach((n, u) -> b.append(u).append(' ').append(AuthText.print(n)).append('\n'));
        AtomicFiles.writeOwnerOnly(file, b.toString().getBytes(StandardCharsets.UTF_8));
    }

    /**
     * The persistent state directory of {@code uid} ({@code program-state/<uid>}, owner and group
     * {@code uid}, 0700), made if missing.
     *
     * @throws ProgramStartException if {@code uid} is not in the table, or the path exists and is
     *     not a directory of that id
     */
    public Path stateDirectory(long uid) throws ProgramStartException {
        synchronized (this) {
            if (!assigned.contains(uid)) {
                throw new ProgramStartException("user id " + uid + " belongs to no program name of this host");
            }
        }
        Path dir = stateRoot.resolve(Long.toString(uid));
        try {
            synchronized (this) {
                if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
                    // Made aside and renamed: a crash never leaves a directory of root's in its place.
                    Path tmp = Files.createTempDirectory(stateRoot, "." + uid + ".",
                            PosixFilePermissions.asFileAttribute(PRIVATE));
                    Users.setOwner(tmp, uid, uid);
                    Files.move(tmp, dir, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                    AtomicFiles.syncDirectory(stateRoot);
                }
            }
            PosixFileAttributes a = Files.readAttributes(dir, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            long owner = Integer.toUnsignedLong((Integer) Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS));
            if (!a.isDirectory() || owner != uid) {
                throw new ProgramStartException(dir + " is not a directory of user " + uid);
            }
            return dir;
        } catch (IOException e) {
            throw new ProgramStartException("cannot make the state directory " + dir + ": " + e.getMessage());
        }
    }

    /** How many names have ids. */
    public synchronized int size() {
        return byName.size();
    }

    /** A snapshot of the table: name to user id, in assignment order. */
    public synchronized Map<SubPrin, Long> entries() {
        return java.util.Collections.unmodifiableMap(new LinkedHashMap<>(byName));
    }

    @Override
    public String toString() {
        return "ProgramUserTable[" + file + ", " + users + "]";
    }
}
