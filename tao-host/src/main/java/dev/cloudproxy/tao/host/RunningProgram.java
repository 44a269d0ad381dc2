package dev.cloudproxy.tao.host;

import dev.cloudproxy.tao.auth.Prin;
import java.time.Instant;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;

/**
 * A program the host started: its host-local id, process, full Tao name and how it ends. Stopping
 * sends {@code SIGTERM} (killing, {@code SIGKILL}) to the program and to every process it started.
 */
public final class RunningProgram {
    private final long id;
    private final Process process;
    private final Prin name;
    private final ProgramSpec spec;
    private final Instant started;
    private final CompletableFuture<Integer> exit = new CompletableFuture<>();

    RunningProgram(long id, Process process, Prin name, ProgramSpec spec, Instant started) {
        this.id = id;
        this.process = process;
        this.name = name;
        this.spec = spec;
        this.started = started;
    }

    public long id() {
        return id;
    }

    public long pid() {
        return process.pid();
    }

    /** The program's name as the host measured it (later extensions by the program are not shown). */
    public Prin name() {
        return name;
    }

    public ProgramSpec spec() {
        return spec;
    }

    public Instant started() {
        return started;
    }

    /**
     * The process, for its standard streams when they were relayed ({@link ProgramRunner#start}
     * with {@code relay}); otherwise its input is empty and its output discarded.
     */
    public Process process() {
        return process;
    }

    public boolean isRunning() {
        return !exit.isDone();
    }

    /** The exit status, once the program has exited and the host has released it. */
    public OptionalInt exitStatus() {
        return exit.isDone() ? OptionalInt.of(exit.join()) : OptionalInt.empty();
    }

    /** Completes with the exit status once the program has exited and the host has released it. */
    public CompletableFuture<Integer> exit() {
        return exit.copy();
    }

    void exited(int status) {
        exit.complete(status);
    }

    /** {@code SIGTERM} to the program and its descendants. */
    public void stop() {
        process.descendants().forEach(ProcessHandle::destroy);
        process.destroy();
    }

    /** {@code SIGKILL} to the program and its descendants. */
    public void kill() {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
    }

    @Override
    public String toString() {
        return "RunningProgram[" + id + ", pid " + pid() + ", " + name + "]";
    }
}
