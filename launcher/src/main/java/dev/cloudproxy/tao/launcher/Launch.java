package dev.cloudproxy.tao.launcher;

import dev.cloudproxy.tao.TaoException;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.SubPrin;
import dev.cloudproxy.tao.domain.Domain;
import dev.cloudproxy.tao.domain.DomainException;
import dev.cloudproxy.tao.guard.Guard;
import dev.cloudproxy.tao.guard.LiberalGuard;
import dev.cloudproxy.tao.host.Host;
import dev.cloudproxy.tao.host.HostedProgram;
import dev.cloudproxy.tao.host.HostedPrograms;
import dev.cloudproxy.tao.host.OpenedHost;
import dev.cloudproxy.tao.host.PrivateJava;
import dev.cloudproxy.tao.host.TaoRpcServer;
import dev.cloudproxy.tao.io.AtomicFiles;
import dev.cloudproxy.tao.keys.Keys;
import dev.cloudproxy.tao.measurement.Measurement;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One run of the launcher on the development root: measure the app, start it, serve its Tao,
 * pass its exit status through.
 *
 * <p>Order matters: the app's files are copied, then the copies measured, then the copies run;
 * the child is registered with the host by process id and start time before the agent in it is
 * let through the gate to connect, so the host never has to guess who is calling.
 */
final class Launch {
    static final String AGENT_DIR_ENV = "TAO_AGENT_DIR";
    static final String GATE_ENV = "TAO_AGENT_GATE";
    static final String STATE_ENV = "TAO_SEALED_STATE";
    static final String PARADIGM_ENV = "TAO_PARADIGM_STATE";
    static final String SOCKET_ENV = "TAO_HOST_SOCKET";
    static final String APP_ID_ENV = dev.cloudproxy.tao.agent.tooling.AgentInstaller.APP_ID_ENV;
    /** Environment variable: a domain directory whose guard decides app state on the development root. */
    static final String APP_POLICY_ENV = "TAO_APP_POLICY";

    private final LauncherOptions options;
    private final List<String> rawArgs;
    private final Map<String, String> env;
    private final PrintStream err;
    private final TaoHome home;
    private Path runDir;
    private Process child;
    /**
     * Whether the app's state is sealed to its app rather than its exact name: on the development
     * root only, which is its user's alone (its keys are that user's to read anyway) and admits
     * the names its app guard admits ({@link #appGuard}). A stacked launcher's host serves whoever runs the launcher on that host (on a
     * root host, every user's apps share its id), so a liberal guard there would let one user's
     * app claim another's state: it keeps sealing to the exact name until a domain's guard
     * decides (docs/upgrades.md).
     */
    private boolean sealsToTheApp;
    private boolean cleanedUp;
    private final long startNanos = System.nanoTime();

    private Launch(LauncherOptions options, List<String> rawArgs, Map<String, String> env, PrintStream err) {
        this.options = options;
        this.rawArgs = List.copyOf(rawArgs);
        this.env = env;
        this.err = err;
        this.home = TaoHome.from(env);
    }

    /** Runs the app; returns its exit status. */
    static int run(List<String> args, Map<String, String> env, PrintStream err) throws LauncherException {
        return new Launch(LauncherOptions.parse(args), args, env, err).run();
    }

    private int run() throws LauncherException {
        Optional<Path> parent = HostLocator.parentSocket(options, env);
        sealsToTheApp = parent.isEmpty();
        if (parent.isEmpty()) {
            Optional<HostLocator.Found> host = HostLocator.find(options, home, env);
            if (host.isPresent()) {
                return StackedFrontEnd.run(host.get(), rawArgs, home, env, err, options.verbose());
            }
            err.println("tao-launcher: WARNING: DEVELOPMENT ROOT: a soft key in " + home.rootKeys()
                    + ", not hardware-protected; whoever can read it can act as any program it runs,"
                    + " and whoever can write it can roll back @TaoSealed state (NOT rollback-protected).");
        }
        Path javaHome = LaunchedProgram.javaHome(options);
        int feature = runtimeFeature(javaHome);
        List<String> jvmOptions = LaunchedProgram.jvmOptions(options, feature);
        String stateName = options.stateName().orElse(defaultStateName(options.appJar(), options.mainClass()));
        String agentOptions = LaunchedProgram.agentOptions(options);

        // This JVM is already hardened (HardenedJvm, from Main): attach off, no perf data,
        // non-dumpable, no LD_* in its environment, JNA configured.
        // Opening the host (the root's keys behind a password hash, or a stacked host's keys
        // unsealed by its parent) and measuring (mostly hashing files) each keep one core busy: do
        // them at once.
        CompletableFuture<OpenHost> hostFuture = new CompletableFuture<>();
        Thread opener = new Thread(() -> {
            try {
                hostFuture.complete(parent.isPresent() ? OpenHost.of(StackedHost.open(home, parent.get()))
                        : OpenHost.of(DevRoot.open(home, env), home.rootKeys(), appGuard(env)));
            } catch (Throwable t) {
                hostFuture.completeExceptionally(t);
            }
        }, "tao-launcher-open-host");
        opener.setDaemon(true);
        opener.start();
        OpenHost opened = null;
        try {
            Path agentJar = AgentJar.install(home);
            phase("agent jar ready");
            runDir = newRunDir();
            AppCopy.Copied app = AppCopy.copy(options.appJar(), options.classpath(), runDir);
            phase("app copied");
            Measurement m = LaunchedProgram.measure(options, app, jvmOptions, agentJar, agentOptions, javaHome,
                    cachesRuntimeDigests(javaHome, Path.of(System.getProperty("java.home")))
                            ? Optional.of(home.runtimeDigests()) : Optional.empty());
            phase("measured");
            opened = awaitHost(hostFuture);
            phase("host open");
            try (OpenHost h = opened) {
                String main = m.items().stream().filter(i -> i.kind() == Measurement.Kind.MAIN_CLASS)
                        .findFirst().orElseThrow().name();
                Host host = h.host();
                Prin name = host.name().extend(m.extension());
                if (options.verbose()) {
                    for (Measurement.Item i : m.items()) {
                        err.println("tao-launcher: measured " + i.kind().label() + " "
                                + i.digest().map(Object::toString).orElse("-") + " " + i.name());
                    }
                    err.println("tao-launcher: app name: " + name);
                }
                if (options.printName()) {
                    // The name, not a run: nothing is started, no state is touched.
                    System.out.println(name);
                    return 0;
                }
                return start(host, app, m, main, jvmOptions, agentJar, agentOptions, javaHome, stateName);
            }
        } finally {
            if (opened == null) {
                hostFuture.thenAccept(OpenHost::close);
            }
            cleanup();
        }
    }

    /** The host the app runs under, and what to close when it is done. */
    private record OpenHost(Host host, AutoCloseable resources) implements AutoCloseable {
        /**
         * The development root: its programs' counters beside its keys (not rollback-protected),
         * and {@code appGuard} deciding which names may open each app's state.
         */
        static OpenHost of(Keys rootKeys, Path dir, Guard appGuard) throws IOException, TaoException {
            try {
                return new OpenHost(Host.root(rootKeys).withCountersIn(dir).withGuard(appGuard), rootKeys);
            } catch (IOException | TaoException | RuntimeException e) {
                rootKeys.close();
                throw e;
            }
        }

        static OpenHost of(OpenedHost stacked) {
            return new OpenHost(stacked.host(), stacked);
        }

        @Override
        public void close() {
            try {
                resources.close();
            } catch (Exception e) {
                // closing keys does not fail in a way worth reporting
            }
        }
    }

    /**
     * The guard that decides which app names may open each app's state on the development root:
     * the guard of the domain in {@value #APP_POLICY_ENV} (its rules as the policy key signed
     * them, read at every start, so the operator's {@code tao domain policy} takes effect at the
     * next one), else liberal: every name is admitted, so a changed app, rule, option or runtime
     * keeps its state with no command.
     */
    static Guard appGuard(Map<String, String> env) throws LauncherException {
        String dir = env.get(APP_POLICY_ENV);
        if (dir == null || dir.isEmpty()) {
            return LiberalGuard.INSTANCE;
        }
        try {
            return Domain.load(Path.of(dir)).guard();
        } catch (IOException | DomainException | RuntimeException e) {
            throw new LauncherException("cannot load the domain in " + APP_POLICY_ENV + "=" + dir
                    + " whose guard decides who may open app state: " + e.getMessage(), e);
        }
    }

    private static OpenHost awaitHost(CompletableFuture<OpenHost> host) throws LauncherException {
        try {
            return host.join();
        } catch (java.util.concurrent.CompletionException e) {
            if (e.getCause() instanceof LauncherException le) {
                throw le;
            }
            throw new LauncherException("cannot open the app's host: " + e.getCause(), e.getCause());
        }
    }

    private int start(Host root, AppCopy.Copied app, Measurement m, String main, List<String> jvmOptions,
            Path agentJar, String agentOptions, Path javaHome, String stateName) throws LauncherException {
        HostedPrograms programs = new HostedPrograms();
        Path gatePath = runDir.resolve("gate.sock");
        Path agentDir = runDir.resolve("agent");
        try (TaoRpcServer server = TaoRpcServer.start(runDir.resolve("host"), root, programs);
                ServerSocketChannel gate = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            gate.bind(UnixDomainSocketAddress.of(gatePath));
            Files.createDirectory(agentDir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));

            List<String> cmd = new ArrayList<>();
            // Not bin/java itself: its execute-only copy, so that the app's JVM is non-dumpable
            // from its first instruction, long before premain can say so (PrivateJava).
            cmd.add(PrivateJava.create(javaHome, runDir.resolve("java")).toString());
            cmd.addAll(jvmOptions);
            cmd.add("-javaagent:" + agentJar + "=" + agentOptions);
            cmd.add("-cp");
            List<String> cp = new ArrayList<>();
            cp.add(app.appJar().toString());
            app.classpath().forEach(p -> cp.add(p.toString()));
            cmd.add(String.join(File.pathSeparator, cp));
            cmd.add(main);
            cmd.addAll(options.appArgs());

            ProcessBuilder pb = new ProcessBuilder(cmd).inheritIO();
            Map<String, String> childEnv = pb.environment();
            childEnv.clear();
            childEnv.putAll(env);
            ChildEnvironment.scrub(childEnv, err);
            childEnv.put(SOCKET_ENV, server.socketPath().toString());
            childEnv.put(AGENT_DIR_ENV, agentDir.toString());
            childEnv.put(GATE_ENV, gatePath.toString());
            if (sealsToTheApp) {
                // The state is the app's, not the exact name's: the app id is the state's name, which
                // depends on the jar's file name and main class only, so a new version, rule, option
                // or runtime finds it, and the host's guard decides whether the new name may open it.
                childEnv.put(APP_ID_ENV, stateName);
            }
            childEnv.put(STATE_ENV, home.state().resolve(stateName + ".sealed").toString());
            childEnv.put(PARADIGM_ENV, home.state().resolve(stateName + ".paradigm").toString());
            if (options.verbose()) {
                // Not an agent option: those are measured, and -v must not change the app's name.
                childEnv.put(dev.cloudproxy.tao.agent.tooling.AgentInstaller.VERBOSE_ENV, "1");
            }

            Thread forward = new Thread(this::forwardShutdown, "tao-launcher-forward");
            Runtime.getRuntime().addShutdownHook(forward);
            HostedProgram program;
            synchronized (this) {
                child = pb.start();
            }
            try {
                program = programs.register(child.pid(), SubPrin.of(m.extension()));
            } catch (IOException | RuntimeException e) {
                child.destroyForcibly();
                throw new LauncherException("could not register the app (pid " + child.pid() + ") with its host: "
                        + e.getMessage(), e);
            }
            phase("app started and registered");
            openGate(gate);
            int status = waitFor(child);
            phase("app exited");
            programs.unregister(program);
            return status;
        } catch (IOException e) {
            if (child != null && child.isAlive()) {
                child.destroyForcibly();
            }
            throw new LauncherException("could not start the app: " + e.getMessage(), e);
        }
    }

    /** With --verbose, how long each step took (for docs/performance.md). */
    private void phase(String what) {
        if (options.verbose()) {
            err.printf("tao-launcher: %6.1f ms %s%n", (System.nanoTime() - startNanos) / 1e6, what);
        }
    }

    /** After registration: let every agent that knocks through (the answer is not a secret). */
    private static void openGate(ServerSocketChannel gate) {
        Thread t = new Thread(() -> {
            try {
                while (true) {
                    try (SocketChannel c = gate.accept()) {
                        c.write(ByteBuffer.wrap(new byte[] {'G'}));
                    }
                }
            } catch (IOException closed) {
                // the gate closes when the app has exited
            }
        }, "tao-launcher-gate");
        t.setDaemon(true);
        t.start();
    }

    private static int waitFor(Process p) {
        while (true) {
            try {
                return p.waitFor();
            } catch (InterruptedException e) {
                // only a shutdown would interrupt us, and the shutdown hook takes over then
            }
        }
    }

    /**
     * The launcher got SIGTERM or SIGINT (or SIGHUP): pass it on as SIGTERM, wait for the app, and
     * end with the app's status, as if the signal had gone to the app alone.
     */
    private void forwardShutdown() {
        Process p;
        synchronized (this) {
            p = child;
        }
        if (p == null || !p.isAlive()) {
            return;
        }
        p.destroy();
        int status = waitFor(p);
        err.flush();
        cleanup();
        Runtime.getRuntime().halt(status);
    }

    /**
     * Whether the persistent runtime digest cache may serve the app's runtime: only when it is the
     * launcher's own. A forged entry can give a file nobody but root can change the digest of
     * another such file; limited to the launcher's own runtime, that could only make one of its
     * files measure as another of its own, which changes nothing a name says. (A launcher run on
     * another runtime to exploit this is itself measured differently by its host, in stacked mode.)
     */
    static boolean cachesRuntimeDigests(Path appRuntime, Path launcherRuntime) {
        try {
            return appRuntime.toRealPath().equals(launcherRuntime.toRealPath());
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private Path newRunDir() throws LauncherException {
        try {
            dev.cloudproxy.tao.io.AtomicFiles.createPrivateDirectories(home.runs());
            byte[] id = new byte[8];
            new SecureRandom().nextBytes(id);
            Path dir = home.runs().resolve(HexFormat.of().formatHex(id));
            Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            return dir;
        } catch (IOException e) {
            throw new LauncherException("cannot create a run directory in " + home.runs() + ": " + e.getMessage(), e);
        }
    }

    private synchronized void cleanup() {
        if (cleanedUp || runDir == null) {
            return;
        }
        cleanedUp = true;
        try {
            AtomicFiles.deleteTree(runDir);
        } catch (IOException e) {
            err.println("tao-launcher: could not remove " + runDir + ": " + e.getMessage());
        }
    }

    /** The app jar's name without {@code .jar}, plus {@code +MainClass} when the main class was given. */
    static String defaultStateName(Path appJar, java.util.Optional<String> mainClass) {
        String n = appJar.getFileName() == null ? "app" : appJar.getFileName().toString();
        if (n.endsWith(".jar")) {
            n = n.substring(0, n.length() - 4);
        }
        if (mainClass.isPresent()) {
            n = n + "+" + mainClass.get().substring(mainClass.get().lastIndexOf('.') + 1);
        }
        n = n.replaceAll("[^A-Za-z0-9._+-]", "_");
        if (n.isEmpty() || !Character.isLetterOrDigit(n.charAt(0))) {
            n = "app" + n;
        }
        return n.length() > 100 ? n.substring(0, 100) : n;
    }

    private static final Pattern JAVA_VERSION = Pattern.compile("(?m)^JAVA_VERSION=\"(\\d+)(?:\\.(\\d+))?");

    /** The runtime's feature release (17, 21, 25) from its {@code release} file. */
    static int runtimeFeature(Path javaHome) throws LauncherException {
        String release;
        try {
            byte[] b = dev.cloudproxy.tao.io.AtomicFiles.readAtMost(javaHome.resolve("release"), 64 * 1024);
            release = new String(b, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new LauncherException("not a Java runtime (no readable release file): " + javaHome);
        }
        Matcher mm = JAVA_VERSION.matcher(release);
        if (!mm.find()) {
            throw new LauncherException("cannot tell the Java version of " + javaHome);
        }
        int feature = Integer.parseInt(mm.group(1));
        if (feature == 1 && mm.group(2) != null) {
            feature = Integer.parseInt(mm.group(2));
        }
        if (feature < 17) {
            throw new LauncherException("the app's runtime must be Java 17 or newer, not " + feature + ": " + javaHome);
        }
        return feature;
    }
}
