package dev.cloudproxy.tao.host;

import dev.cloudproxy.tao.host.unix.Users;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.LongPredicate;

/**
 * Which users a host's programs run as: the policy, not the assignment.
 *
 * <p>A host that runs as root {@linkplain #range separates} its programs: each program name gets
 * a user id of its own from a range (by default {@value #DEFAULT_FIRST} and the
 * {@value #DEFAULT_COUNT} ids after it), with the group id of the same number, no supplementary
 * groups, no capabilities and {@code no_new_privs}. No {@code /etc/passwd} entry is needed. Which
 * name has which id is recorded in the host directory by {@link ProgramUserTable}: a program runs
 * under the same id in every run, and two names never share one.
 *
 * <p>A host that does not run as root cannot change user and runs its programs as
 * {@linkplain #hostUser its own user}: they are isolated from other users, not from each other or
 * from the host's user (docs/host.md). Immutable.
 */
public final class ProgramUsers {
    /** The first id of the default range. */
    public static final long DEFAULT_FIRST = 2_000_000_000L;
    /** How many ids the default range has. */
    public static final long DEFAULT_COUNT = 1_000_000L;
    /** The tool that drops a program's privileges (util-linux), exec'ing in place. */
    static final Path SETPRIV = Path.of("/usr/bin/setpriv");
    // Linux user ids are 32-bit and (uid_t) -1 means "no change"; stay well below both.
    private static final long MAX_ID = 0xFFFF_FFFEL;

    private final long first;
    private final long count;

    private ProgramUsers(long first, long count) {
        this.first = first;
        this.count = count;
    }

    /** Programs run as the host's own user: the only choice for a host that is not root. */
    public static ProgramUsers hostUser() {
        return new ProgramUsers(-1, 0);
    }

    /**
     * Each program runs as its own user, from {@code count} ids starting at {@code first}.
     *
     * @throws IllegalArgumentException if the range is empty, includes root or exceeds 32 bits
     * @throws IllegalStateException if this process is not root, or {@code /usr/bin/setpriv}
     *     (util-linux) is missing: the host could not drop its programs' privileges
     */
    public static ProgramUsers range(long first, long count) {
        ProgramUsers users = of(first, count);
        if (Users.currentUid() != 0) {
            throw new IllegalStateException("only a host running as root can run programs under their own user ids");
        }
        if (!Files.isExecutable(SETPRIV)) {
            throw new IllegalStateException("a root host runs each program under its own user id and needs "
                    + SETPRIV + " (util-linux) to do so");
        }
        return users;
    }

    /** A range as {@link #range} checks it, without checking that this process could use it (tests). */
    static ProgramUsers of(long first, long count) {
        if (first < 1 || count < 1 || first + count - 1 > MAX_ID) {
            throw new IllegalArgumentException("program user ids must be between 1 and " + MAX_ID
                    + ", and the range must not be empty");
        }
        return new ProgramUsers(first, count);
    }

    /** The default for a host running as {@code uid}: separate ids for root, the host's user otherwise. */
    public static ProgramUsers defaultFor(long uid) {
        return uid == 0 ? range(DEFAULT_FIRST, DEFAULT_COUNT) : hostUser();
    }

    /** Whether each program gets a user id of its own. */
    public boolean separate() {
        return count > 0;
    }

    /** Whether {@code uid} is in this range. */
    boolean contains(long uid) {
        return separate() && uid >= first && uid < first + count;
    }

    /** The lowest id of the range that {@code free} accepts. */
    OptionalLong firstFree(LongPredicate free) {
        for (long uid = first; uid < first + count; uid++) {
            if (free.test(uid)) {
                return OptionalLong.of(uid);
            }
        }
        return OptionalLong.empty();
    }

    /** Every real, effective, saved and file-system user and group id of every process. */
    static Set<Long> idsOfLiveProcesses() throws IOException {
        Set<Long> ids = new HashSet<>();
        try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path p : procs) {
                String status;
                try {
                    status = new String(Files.readAllBytes(p.resolve("status")), StandardCharsets.US_ASCII);
                } catch (NoSuchFileException e) {
                    continue; // it exited meanwhile
                } catch (IOException e) {
                    if (Files.exists(p)) {
                        throw e;
                    }
                    continue;
                }
                for (String line : status.split("\n")) {
                    if (line.startsWith("Uid:") || line.startsWith("Gid:")) {
                        for (String f : line.substring(4).trim().split("\\s+")) {
                            ids.add(Long.parseLong(f));
                        }
                    }
                }
            }
        }
        return ids;
    }

    @Override
    public String toString() {
        return separate() ? "ProgramUsers[" + first + ".." + (first + count - 1) + "]" : "ProgramUsers[host's user]";
    }
}
