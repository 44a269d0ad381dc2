package dev.cloudproxy.tao.host;

import dev.cloudproxy.tao.auth.SubPrin;
import java.util.Objects;

/**
 * A process the host runs, as the host knows it: its process id and kernel start time (together
 * they name exactly one process), and its subprincipal: the extension the host measured for it,
 * e.g. {@code Program([hash])}, followed by any extensions the program added since.
 *
 * <p>The extensions live here, not in a connection, so that reconnecting cannot undo them.
 */
public final class HostedProgram {
    private final long pid;
    private final long startTicks;
    private final SubPrin measured;
    private SubPrin extended = SubPrin.EMPTY;

    HostedProgram(long pid, long startTicks, SubPrin measured) {
        this.pid = pid;
        this.startTicks = startTicks;
        this.measured = Objects.requireNonNull(measured, "measured");
        if (measured.isEmpty()) {
            throw new IllegalArgumentException("a hosted program needs a non-empty subprincipal");
        }
    }

    public long pid() {
        return pid;
    }

    /** The process's start time, in clock ticks since boot. */
    long startTicks() {
        return startTicks;
    }

    /** The subprincipal the host gave the program when it registered it. */
    public SubPrin measured() {
        return measured;
    }

    /** The program's whole subprincipal now: the measured part and every extension since. */
    public synchronized SubPrin subprin() {
        return measured.concat(extended);
    }

    synchronized void extend(SubPrin more) {
        extended = extended.concat(Objects.requireNonNull(more, "more"));
    }

    @Override
    public String toString() {
        return "HostedProgram[pid " + pid + ", " + subprin() + "]";
    }
}
