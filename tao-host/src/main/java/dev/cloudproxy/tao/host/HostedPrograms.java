package dev.cloudproxy.tao.host;

import dev.cloudproxy.tao.auth.SubPrin;
import dev.cloudproxy.tao.host.unix.PeerCredentials;
import dev.cloudproxy.tao.host.unix.Users;
import java.io.IOException;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The processes a host runs, by process id. A process is identified by its id <em>and</em> the
 * start time the kernel recorded for it at registration, so that another process that later gets
 * the same id (after the registered one exited and was reaped) is not taken for it. A connection
 * is also checked against the user id the program was started as ({@link #identify(PeerCredentials)}).
 * Thread-safe.
 */
public final class HostedPrograms {
    private final Map<Long, HostedProgram> byPid = new ConcurrentHashMap<>();
    // Held (write) while a program is being started and registered: a child may connect before
    // its parent has registered it, and identify() then waits for the registration to finish.
    private final ReentrantReadWriteLock starting = new ReentrantReadWriteLock();

    /** Something that starts a process and registers it. */
    @FunctionalInterface
    public interface Start<T, E extends Exception> {
        T run() throws E;
    }

    /**
     * Runs {@code start}, which starts a process and registers it, so that {@link #identify} of a
     * process not (yet) registered waits until {@code start} has returned: a new program that
     * connects at once is then identified, not refused. Starts run one at a time.
     */
    public <T, E extends Exception> T starting(Start<T, E> start) throws E {
        starting.writeLock().lock();
        try {
            return start.run();
        } finally {
            starting.writeLock().unlock();
        }
    }

    /**
     * Registers the running process {@code pid}, which runs as this host's own user, as a hosted
     * program named {@code subprin} (relative to the host's name).
     *
     * @throws IOException if there is no such process
     * @throws IllegalStateException if that process is already registered
     */
    public HostedProgram register(long pid, SubPrin subprin) throws IOException {
        return registerAsUser(pid, Users.currentUid(), subprin);
    }

    /**
     * Registers the running process {@code pid}, which calls the host as user {@code uid}, as a
     * hosted program named {@code subprin} (relative to the host's name).
     *
     * @throws IOException if there is no such process
     * @throws IllegalStateException if that process is already registered
     */
    public HostedProgram registerAsUser(long pid, long uid, SubPrin subprin) throws IOException {
        Objects.requireNonNull(subprin, "subprin");
        OptionalLong start = ProcessStart.of(pid);
        if (start.isEmpty()) {
            throw new IOException("no process " + pid);
        }
        return register(pid, start.getAsLong(), uid, subprin);
    }

    /** Registers {@code pid}, running as this host's user, as the process that started at {@code startTicks}. */
    HostedProgram register(long pid, long startTicks, SubPrin subprin) {
        return register(pid, startTicks, Users.currentUid(), subprin);
    }

    private HostedProgram register(long pid, long startTicks, long uid, SubPrin subprin) {
        HostedProgram p = new HostedProgram(pid, startTicks, uid, subprin);
        HostedProgram before = byPid.putIfAbsent(pid, p);
        if (before != null) {
            if (before.startTicks() == p.startTicks()) {
                throw new IllegalStateException("process " + pid + " is already a hosted program");
            }
            // The earlier process with this id is gone; its registration is stale.
            if (!byPid.replace(pid, before, p)) {
                throw new IllegalStateException("process " + pid + " was registered concurrently");
            }
        }
        return p;
    }

    /** Forgets {@code program} (it exited, or the host stopped it). */
    public void unregister(HostedProgram program) {
        byPid.remove(program.pid(), program);
    }

    /**
     * The hosted program at the other end of a connection: as {@link #identify(long)}, and empty
     * too if the peer's user id is not the one the program was started as. A process of a
     * program's user that is not the program itself, such as one it forked and that exec'd other
     * code, is refused by its process id; a process that somehow got a registered process id under
     * another user is refused by its user id.
     */
    public Optional<HostedProgram> identify(PeerCredentials peer) throws IOException {
        Optional<HostedProgram> p = identify(peer.pid());
        return p.filter(program -> program.uid() == peer.uid());
    }

    /**
     * The hosted program that process {@code pid} is right now: empty if the id is not registered
     * or now belongs to a different process than the one registered.
     */
    public Optional<HostedProgram> identify(long pid) throws IOException {
        HostedProgram p = byPid.get(pid);
        if (p == null) {
            // Perhaps a start is registering it right now: wait for that start to finish.
            starting.readLock().lock();
            starting.readLock().unlock();
            p = byPid.get(pid);
        }
        if (p == null) {
            return Optional.empty();
        }
        OptionalLong start = ProcessStart.of(pid);
        if (start.isEmpty() || start.getAsLong() != p.startTicks()) {
            return Optional.empty();
        }
        return Optional.of(p);
    }
}
