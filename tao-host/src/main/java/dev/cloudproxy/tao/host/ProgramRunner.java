package dev.cloudproxy.tao.host;

import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.guard.Guard;
import dev.cloudproxy.tao.rpc.RpcTao;
import java.io.File;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Starts, tracks and stops a host's programs: measures each with its {@link ProgramFactory}, asks
 * the guard whether the measured name may execute, starts the measured copy with a fixed
 * environment plus the caller's (checked) entries and {@code TAO_HOST_SOCKET}, and registers the
 * process in {@link HostedPrograms} so the RPC server knows it by its kernel credentials. When a
 * program exits, its registration and private copies are released. Thread-safe.
 */
public final class ProgramRunner {
    /** The base environment of every hosted program (before the caller's entries). */
    public static final Map<String, String> BASE_ENV = Map.of(
            "PATH", "/usr/local/bin:/usr/bin:/bin",
            "LANG", "C.UTF-8");
    /** How many exited programs are remembered for {@code wait}. */
    static final int REMEMBERED_EXITS = 256;

    private static final System.Logger LOG = System.getLogger(ProgramRunner.class.getName());

    private final Host host;
    private final HostedPrograms registry;
    private final Path socket;
    private final Path scratch;
    private final Guard guard;
    private final Map<String, ProgramFactory> factories = new LinkedHashMap<>();
    private final AtomicLong ids = new AtomicLong();
    private final Map<Long, RunningProgram> running = new ConcurrentHashMap<>();
    private final Map<Long, RunningProgram> exited = new LinkedHashMap<>();
    private boolean closed;

    /**
     * @param socket the program socket, given to programs as {@code TAO_HOST_SOCKET}
     * @param scratch a private directory for the factories' copies
     */
    public ProgramRunner(Host host, HostedPrograms registry, Path socket, Path scratch, Guard guard,
            List<ProgramFactory> factories) {
        this.host = Objects.requireNonNull(host, "host");
        this.registry = Objects.requireNonNull(registry, "registry");
        this.socket = Objects.requireNonNull(socket, "socket");
        this.scratch = Objects.requireNonNull(scratch, "scratch");
        this.guard = Objects.requireNonNull(guard, "guard");
        for (ProgramFactory f : factories) {
            this.factories.put(f.name(), f);
        }
    }

    /** The process and JVM factories, the JVM one on this runtime. */
    public static List<ProgramFactory> defaultFactories() {
        return List.of(new ProcessFactory(), JvmFactory.onThisRuntime());
    }

    public Host host() {
        return host;
    }

    /**
     * Measures and starts a program.
     *
     * @param relay whether its standard streams are pipes for the caller ({@link Process}'s
     *     streams); otherwise standard input is empty and output is discarded
     * @throws ProgramStartException if it cannot be measured or started, or the guard refuses it
     *     ({@link ProgramStartException#isDenied})
     */
    public RunningProgram start(ProgramSpec spec, boolean relay) throws ProgramStartException {
        ProgramFactory factory = factories.get(spec.factory());
        if (factory == null) {
            throw new ProgramStartException("this host has no '" + spec.factory() + "' factory");
        }
        synchronized (this) {
            if (closed) {
                throw new ProgramStartException("the host is shutting down");
            }
        }
        ProgramFactory.Prepared prepared = factory.prepare(spec, scratch);
        try {
            Prin name = host.name().extend(prepared.subprin());
            if (!guard.isAuthorized(name, "Execute", List.of())) {
                throw ProgramStartException.denied("the host's guard does not authorize " + name + " to execute");
            }
            ProcessBuilder pb = new ProcessBuilder(prepared.command());
            Map<String, String> env = pb.environment();
            env.clear();
            env.putAll(BASE_ENV);
            env.put("HOME", System.getProperty("user.home"));
            for (String e : spec.env()) {
                int eq = e.indexOf('=');
                env.put(e.substring(0, eq), e.substring(eq + 1));
            }
            env.put(RpcTao.SOCKET_ENV, socket.toString());
            spec.directory().ifPresent(d -> pb.directory(d.toFile()));
            if (!relay) {
                pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
                pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
                pb.redirectError(ProcessBuilder.Redirect.DISCARD);
            }
            RunningProgram p = registry.starting(() -> launch(pb, prepared, name, spec));
            LOG.log(Level.INFO, "started program " + p.id() + " (pid " + p.pid() + "): " + name);
            return p;
        } catch (ProgramStartException | RuntimeException e) {
            prepared.close();
            throw e;
        }
    }

    private RunningProgram launch(ProcessBuilder pb, ProgramFactory.Prepared prepared, Prin name, ProgramSpec spec)
            throws ProgramStartException {
        Process process;
        try {
            process = pb.start();
        } catch (IOException e) {
            throw new ProgramStartException("cannot start " + spec.path() + ": " + e.getMessage());
        }
        HostedProgram registration = null;
        try {
            registration = registry.register(process.pid(), prepared.subprin());
        } catch (IOException e) {
            // It exited (and was reaped) already: nothing is left that could call the host.
        } catch (IllegalStateException e) {
            process.destroyForcibly();
            throw new ProgramStartException("cannot register process " + process.pid() + ": " + e.getMessage());
        }
        RunningProgram p = new RunningProgram(ids.incrementAndGet(), process, name, spec, Instant.now());
        running.put(p.id(), p);
        HostedProgram reg = registration;
        process.onExit().whenComplete((done, failure) -> {
            if (reg != null) {
                registry.unregister(reg);
            }
            prepared.close();
            running.remove(p.id());
            synchronized (exited) {
                exited.put(p.id(), p);
                if (exited.size() > REMEMBERED_EXITS) {
                    exited.remove(exited.keySet().iterator().next());
                }
            }
            int status = process.exitValue();
            LOG.log(Level.INFO, "program " + p.id() + " (pid " + p.pid() + ") exited with status " + status);
            p.exited(status);
        });
        return p;
    }

    /** A running program, or one that exited recently. */
    public Optional<RunningProgram> find(long id) {
        RunningProgram p = running.get(id);
        if (p != null) {
            return Optional.of(p);
        }
        synchronized (exited) {
            return Optional.ofNullable(exited.get(id));
        }
    }

    /** The running programs, by id. */
    public List<RunningProgram> list() {
        List<RunningProgram> all = new ArrayList<>(running.values());
        all.removeIf(p -> !p.isRunning());
        all.sort(Comparator.comparingLong(RunningProgram::id));
        return all;
    }

    /**
     * Refuses new programs, stops the running ones ({@code SIGTERM}), and kills those still running
     * after {@code grace}; returns once all have exited and been released.
     */
    public void shutdown(Duration grace) {
        synchronized (this) {
            closed = true;
        }
        List<RunningProgram> all = new ArrayList<>(running.values());
        all.forEach(RunningProgram::stop);
        long deadline = System.nanoTime() + grace.toNanos();
        for (RunningProgram p : all) {
            try {
                p.exit().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                LOG.log(Level.WARNING, "program " + p.id() + " did not stop within " + grace + "; killing it");
                p.kill();
            } catch (ExecutionException e) {
                // exit never completes exceptionally
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                p.kill();
            }
        }
        for (RunningProgram p : all) {
            p.exit().join();
        }
    }
}
