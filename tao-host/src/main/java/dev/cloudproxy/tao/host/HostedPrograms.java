package dev.cloudproxy.tao.host;

import dev.cloudproxy.tao.auth.SubPrin;
import java.io.IOException;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The processes a host runs, by process id. A process is identified by its id <em>and</em> the
 * start time the kernel recorded for it at registration, so that another process that later gets
 * the same id (after the registered one exited and was reaped) is not taken for it. Thread-safe.
 */
public final class HostedPrograms {
    private final Map<Long, HostedProgram> byPid = new ConcurrentHashMap<>();

    /**
     * Registers the running process {@code pid} as a hosted program named {@code subprin}
     * (relative to the host's name).
     *
     * @throws IOException if there is no such process
     * @throws IllegalStateException if that process is already registered
     */
    public HostedProgram register(long pid, SubPrin subprin) throws IOException {
        Objects.requireNonNull(subprin, "subprin");
        OptionalLong start = ProcessStart.of(pid);
        if (start.isEmpty()) {
            throw new IOException("no process " + pid);
        }
        return register(pid, start.getAsLong(), subprin);
    }

    /** Registers {@code pid} as the process that started at {@code startTicks}. */
    HostedProgram register(long pid, long startTicks, SubPrin subprin) {
        HostedProgram p = new HostedProgram(pid, startTicks, subprin);
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
     * The hosted program that process {@code pid} is right now: empty if the id is not registered
     * or now belongs to a different process than the one registered.
     */
    public Optional<HostedProgram> identify(long pid) throws IOException {
        HostedProgram p = byPid.get(pid);
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
