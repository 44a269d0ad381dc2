package dev.cloudproxy.tao.host;

import dev.cloudproxy.tao.auth.SubPrin;
import java.util.Objects;

/**
 * A process the host runs, as the host knows it: its process id and kernel start time (together
 * they name exactly one process), the user id it runs as, and its subprincipal: the extension the
 * host measured for it, e.g. {@code Program([hash])}, followed by any extensions the program added
 * since. The user id is not part of the name: a program keeps its name, and can unseal its data,
 * whatever user id a root host gives it ({@link ProgramUsers}).
 *
 * <p>The extensions live here, not in a connection, so that reconnecting cannot undo them.
 */
public final class HostedProgram {
    private final long pid;
    private final long startTicks;
    private final long uid;
    private final SubPrin measured;
    private SubPrin extended = SubPrin.EMPTY;

    HostedProgram(long pid, long startTicks, long uid, SubPrin measured) {
        this.pid = pid;
        this.startTicks = startTicks;
        this.uid = uid;
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

    /** The user id the program runs as: its own on a root host, else the host's. */
    public long uid() {
        return uid;
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
        return "HostedProgram[pid " + pid + ", uid " + uid + ", " + subprin() + "]";
    }
}
