package dev.cloudproxy.tao.host;

import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.guard.Guard;
import dev.cloudproxy.tao.host.unix.Users;
import dev.cloudproxy.tao.io.AtomicFiles;
import dev.cloudproxy.tao.rpc.RpcTao;
import java.io.File;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * Starts, tracks and stops a host's programs: measures each with its {@link ProgramFactory}, asks
 * the guard whether the measured name may execute, starts the measured copy with a fixed
 * environment plus the caller's (checked) entries and {@code TAO_HOST_SOCKET}, and registers the
 * process in {@link HostedPrograms} so the RPC server knows it by its kernel credentials. When a
 * program exits, its registration and private copies are released. Thread-safe.
 *
 * <p><b>Users.</b> With {@link ProgramUsers#hostUser} programs run as the host's own user. On a
 * root host ({@link ProgramUserTable}), each program <em>name</em> runs under a user id of its
 * own, the same in every run, with the group id of the same number, no supplementary groups, no
 * capabilities (bounding and inheritable sets emptied) and {@code no_new_privs}. The order of a
 * start is what makes that safe:
 *
 * <ol>
 *   <li>the factory copies and measures the program into a new per-run directory
 *       {@code <scratch>/run-*} that only root can enter (0700), so nothing the program's user
 *       runs can touch the copies while they are measured;
 *   <li>the guard decides on the measured name; only then is the name's id looked up, or assigned
 *       and recorded ({@link ProgramUserTable#uidFor});
 *   <li>the per-run directory is handed to the id read-only: owner root, group the program's,
 *       directories 0750, files 0440 (an execute-only {@code java} stays execute-only), plus a
 *       hard link to the program socket. The program can read what was measured, but neither it
 *       nor any other program can change or replace it, and no other program can enter it.
 * </ol>
 *
 * <p>The program reaches that directory through a descriptor opened before it lost root
 * ({@code /proc/self/fd/3}), because the host directory around it stays private to the host's
 * user: {@code TAO_HOST_SOCKET} is {@code /proc/self/fd/3/tao.sock} and a JVM program's class path
 * names {@code /proc/self/fd/3/...}. A sealed copy ({@code process} factory) is opened the same
 * way (descriptor 4) and run from {@code /proc/self/fd/4}, so it still runs exactly the measured
 * bytes. Its persistent state directory ({@link ProgramUserTable#stateDirectory}, its own, 0700)
 * is descriptor 5 and, where the host may make mount namespaces, mounted at
 * {@code /run/tao-program-state} in a namespace of the program's own ({@link StateMount}), so
 * that the processes it starts find it too: {@code HOME} and {@value #STATE_DIR_ENV} name the
 * mount point, or {@code /proc/self/fd/5} without one. Two live
 * runs of one name share the id and the state directory (they are the same program, with the
 * same secrets); each has its own per-run directory. Privileges are dropped by
 * {@code /usr/bin/setpriv}, which execs in place: the process id the host registers is the
 * program's, and the RPC server also checks that the peer's user id is the program's.
 */
public final class ProgramRunner {
    /** The base environment of every hosted program (before the caller's entries). */
    public static final Map<String, String> BASE_ENV = Map.of(
            "PATH", "/usr/local/bin:/usr/bin:/bin",
            "LANG", "C.UTF-8");
    /** How many exited programs are remembered for {@code wait}. */
    static final int REMEMBERED_EXITS = 256;
    /** Where a program under its own user finds its private directory: descriptor 3. */
    static final Path PRIVATE_DIRECTORY_SEEN = Path.of("/proc/self/fd/3");
    /** Where a program under its own user finds its sealed copy: descriptor 4. */
    static final Path IMAGE_SEEN = Path.of("/proc/self/fd/4");
    /** Where a program under its own user finds its persistent state directory: descriptor 5. */
    static final Path STATE_SEEN = Path.of("/proc/self/fd/5");
    /**
     * The environment variable naming a program's persistent state directory, set on a root host
     * only (the same as {@code HOME} there); on other hosts programs write where their user may.
     */
    public static final String STATE_DIR_ENV = "TAO_STATE_DIR";

    /**
     * The state directory a root host gave the program with environment {@code env}, if it is a
     * path that the processes the program starts can use too: absolute, and not a descriptor
     * ({@code /proc/self/fd/5}, given by a host that may not make mount namespaces).
     */
    public static Optional<Path> stateDirectoryByPath(Map<String, String> env) {
        String state = env.get(STATE_DIR_ENV);
        return state != null && state.startsWith("/") && !state.startsWith("/proc/")
                ? Optional.of(Path.of(state)) : Optional.empty();
    }

    // Run by /bin/sh as root in the new process, before any program code: opens the program's
    // per-run directory as descriptor 3, its state directory as descriptor 5 and, for a sealed
    // copy, the copy as descriptor 4 (the program's user could open none of them by path), then
    // execs setpriv, which drops to the program's user and execs the program in place.
    // Redirections of "exec" are inherited, not close-on-exec. $1 is the per-run directory, $2
    // the copy or empty, $3 the state directory, then setpriv's command line.
    // With a mount point ($4, StateMount), it first bind-mounts the state directory there, in the
    // mount namespace made for this process alone.
    private static final String EXEC_AS_PROGRAM_USER = "if [ -n \"$4\" ]; then " + StateMount.MOUNT
            + " --bind \"$3\" \"$4\" || exit 126; fi; exec 3<\"$1\" || exit 126; exec 5<\"$3\" || exit 126;"
            + " if [ -n \"$2\" ]; then exec 4<\"$2\" || exit 126; fi; shift 4; exec \"$@\"";
    private static final Set<PosixFilePermission> PRIVATE = PosixFilePermissions.fromString("rwx------");
    private static final Set<PosixFilePermission> SHARED_DIRECTORY = PosixFilePermissions.fromString("rwxr-x---");
    private static final Set<PosixFilePermission> SHARED_FILE = PosixFilePermissions.fromString("r--r-----");
    private static final Set<PosixFilePermission> EXECUTE_ONLY = PosixFilePermissions.fromString("--x--x--x");
    private static final Set<PosixFilePermission> SHARED_EXECUTE_ONLY = PosixFilePermissions.fromString("-----x---");

    private static final System.Logger LOG = System.getLogger(ProgramRunner.class.getName());

    private final Host host;
    private final HostedPrograms registry;
    private final Path socket;
    private final Path scratch;
    private final Guard guard;
    // null: programs run as the host's user.
    private final ProgramUserTable users;
    // Where programs under their own users see their state directory by path (StateMount).
    private final Optional<Path> stateMount;
    private final Map<String, ProgramFactory> factories = new LinkedHashMap<>();
    private final AtomicLong ids = new AtomicLong();
    private final Map<Long, RunningProgram> running = new ConcurrentHashMap<>();
    private final Map<Long, RunningProgram> exited = new LinkedHashMap<>();
    private boolean closed;

    /**
     * A runner whose programs run as the host's own user.
     *
     * @param socket the program socket, given to programs as {@code TAO_HOST_SOCKET}
     * @param scratch a private directory for the factories' copies
     */
    public ProgramRunner(Host host, HostedPrograms registry, Path socket, Path scratch, Guard guard,
            List<ProgramFactory> factories) {
        this(host, registry, socket, scratch, guard, factories, Optional.empty(), Optional.empty());
    }

    /**
     * A runner whose programs run each under the user id of its name (a root host).
     *
     * @param socket the program socket, given to programs as {@code TAO_HOST_SOCKET}; it must be
     *     writable by every user (the host keeps its directory private)
     * @param scratch a private directory for the factories' copies
     * @param users which name has which user id
     */
    public ProgramRunner(Host host, HostedPrograms registry, Path socket, Path scratch, Guard guard,
            List<ProgramFactory> factories, ProgramUserTable users) {
        this(host, registry, socket, scratch, guard, factories, Optional.of(users), StateMount.probe());
    }

    /** As above, with programs seeing their state directory at {@code stateMount} if present. */
    ProgramRunner(Host host, HostedPrograms registry, Path socket, Path scratch, Guard guard,
            List<ProgramFactory> factories, Optional<ProgramUserTable> users, Optional<Path> stateMount) {
        this.users = users.orElse(null);
        this.stateMount = Objects.requireNonNull(stateMount, "stateMount");
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
     * Where programs under their own users find their state directory by path, also in the
     * processes they start ({@link StateMount}); empty if programs run as the host's user, or
     * find it only as {@code /proc/self/fd/5}.
     */
    public Optional<Path> stateMount() {
        return stateMount;
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
        // On a root host: a per-run directory only root can enter, until the program is measured
        // and its id known (ProgramUser.share).
        Path runDirectory = users == null ? scratch : ProgramUser.newRunDirectory(scratch);
        ProgramFactory.Prepared prepared;
        try {
            prepared = factory.prepare(spec, runDirectory);
        } catch (ProgramStartException | RuntimeException e) {
            if (users != null) {
                ProgramUser.deleteRunDirectory(runDirectory);
            }
            throw e;
        }
        ProgramUser user = null;
        try {
            Prin name = host.name().extend(prepared.subprin());
            if (!guard.isAuthorized(name, "Execute", List.of())) {
                throw ProgramStartException.denied("the host's guard does not authorize " + name + " to execute");
            }
            ProcessBuilder pb;
            String socketSeen;
            if (users == null) {
                pb = new ProcessBuilder(prepared.command());
                socketSeen = socket.toString();
            } else {
                // Only now, after measuring and the guard: a refused program is given no id.
                long uid = users.uidFor(prepared.subprin());
                user = new ProgramUser(uid, runDirectory, users.stateDirectory(uid));
                user.share(socket);
                pb = new ProcessBuilder(user.wrap(prepared, stateMount));
                socketSeen = PRIVATE_DIRECTORY_SEEN.resolve(socket.getFileName()).toString();
            }
            Map<String, String> env = pb.environment();
            env.clear();
            env.putAll(BASE_ENV);
            String stateSeen = stateMount.orElse(STATE_SEEN).toString();
            env.put("HOME", user == null ? System.getProperty("user.home") : stateSeen);
            for (String e : spec.env()) {
                int eq = e.indexOf('=');
                env.put(e.substring(0, eq), e.substring(eq + 1));
            }
            env.put(RpcTao.SOCKET_ENV, socketSeen);
            if (user != null) {
                env.put(STATE_DIR_ENV, stateSeen);
            } else {
                env.remove(STATE_DIR_ENV);
            }
            spec.directory().ifPresent(d -> pb.directory(d.toFile()));
            if (!relay) {
                pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
                pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
                pb.redirectError(ProcessBuilder.Redirect.DISCARD);
            }
            ProgramUser u = user;
            RunningProgram p = registry.starting(() -> launch(pb, prepared, u, name, spec));
            LOG.log(Level.INFO, "started program " + p.id() + " (pid " + p.pid()
                    + (user == null ? "" : ", uid " + user.uid()) + "): " + name);
            return p;
        } catch (ProgramStartException | RuntimeException e) {
            prepared.close();
            if (users != null) {
                ProgramUser.deleteRunDirectory(runDirectory);
            }
            throw e;
        }
    }

    private RunningProgram launch(ProcessBuilder pb, ProgramFactory.Prepared prepared, ProgramUser user, Prin name,
            ProgramSpec spec) throws ProgramStartException {
        Process process;
        try {
            process = pb.start();
        } catch (IOException e) {
            throw new ProgramStartException("cannot start " + spec.path() + ": " + e.getMessage());
        }
        HostedProgram registration = null;
        try {
            registration = user == null
                    ? registry.register(process.pid(), prepared.subprin())
                    : registry.registerAsUser(process.pid(), user.uid(), prepared.subprin());
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
            if (user != null) {
                user.release();
            }
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

    /**
     * The user id a program runs under on a root host, its per-run directory
     * {@code <scratch>/run-*} and its state directory. {@link #share} hands the per-run directory,
     * made by {@link #newRunDirectory} and filled by the factory, to the program's group, read-only.
     */
    private static final class ProgramUser {
        private final long uid;
        private final Path directory;
        private final Path state;

        ProgramUser(long uid, Path directory, Path state) {
            this.uid = uid;
            this.directory = directory;
            this.state = state;
        }

        /** A new directory for one run, 0700 and root's: no program can enter it yet. */
        static Path newRunDirectory(Path scratch) throws ProgramStartException {
            try {
                AtomicFiles.createPrivateDirectories(scratch);
                return Files.createTempDirectory(scratch, "run-", PosixFilePermissions.asFileAttribute(PRIVATE));
            } catch (IOException e) {
                throw new ProgramStartException("cannot make a private directory in " + scratch + ": " + e.getMessage());
            }
        }

        static void deleteRunDirectory(Path directory) {
            try {
                AtomicFiles.deleteTree(directory);
            } catch (IOException e) {
                LOG.log(Level.WARNING, "cannot remove " + directory + ": " + e.getMessage());
            }
        }

        long uid() {
            return uid;
        }

        /**
         * Gives the program's group read access to everything the factory made (root stays the
         * owner, so the program can change nothing), and links the program socket in.
         */
        void share(Path socket) throws ProgramStartException {
            try {
                Files.createLink(directory.resolve(socket.getFileName()), socket);
                List<Path> all;
                try (Stream<Path> walk = Files.walk(directory)) {
                    all = walk.toList();
                }
                for (Path p : all) {
                    if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                        Users.setOwner(p, 0, uid);
                        Files.setPosixFilePermissions(p, SHARED_DIRECTORY);
                    } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                        // An execute-only file (the jvm factory's copy of bin/java, PrivateJava)
                        // stays execute-only: unreadable to the program, which the kernel then
                        // starts non-dumpable.
                        boolean executeOnly = Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS)
                                .equals(EXECUTE_ONLY);
                        Users.setOwner(p, 0, uid);
                        Files.setPosixFilePermissions(p, executeOnly ? SHARED_EXECUTE_ONLY : SHARED_FILE);
                    }
                    // The socket link is the host's socket: its owner and mode stay.
                }
            } catch (IOException e) {
                throw new ProgramStartException("cannot prepare the private directory of a program: " + e.getMessage());
            }
        }

        /**
         * The command that drops to the program's user and runs {@code prepared}, with its state
         * directory mounted at {@code stateMount} if present.
         */
        List<String> wrap(ProgramFactory.Prepared prepared, Optional<Path> stateMount) {
            List<String> c = new ArrayList<>(List.of("/bin/sh", "-c", EXEC_AS_PROGRAM_USER, "tao-program",
                    directory.toString(), prepared.image().map(Path::toString).orElse(""), state.toString(),
                    stateMount.map(Path::toString).orElse(""), ProgramUsers.SETPRIV.toString(), "--reuid=" + uid, "--regid=" + uid, "--clear-groups",
                    "--no-new-privs", "--inh-caps=-all", "--bounding-set=-all", "--"));
            c.addAll(prepared.command(PRIVATE_DIRECTORY_SEEN, IMAGE_SEEN));
            return stateMount.isPresent() ? StateMount.command(c) : c;
        }

        /** Removes the per-run directory; the id and the state directory stay the name's. */
        void release() {
            deleteRunDirectory(directory);
        }
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
