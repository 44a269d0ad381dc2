package dev.cloudproxy.tao.cli;

import dev.cloudproxy.tao.CoreTao;
import dev.cloudproxy.tao.TaoException;
import dev.cloudproxy.tao.domain.Domain;
import dev.cloudproxy.tao.host.AdminClient;
import dev.cloudproxy.tao.host.DomainFeed;
import dev.cloudproxy.tao.host.HostConfig;
import dev.cloudproxy.tao.metrics.MetricsEndpoint;
import dev.cloudproxy.tao.host.HostDirectory;
import dev.cloudproxy.tao.host.HostException;
import dev.cloudproxy.tao.host.HostService;
import dev.cloudproxy.tao.host.HostSetup;
import dev.cloudproxy.tao.host.OpenedHost;
import dev.cloudproxy.tao.host.ProgramRunner;
import dev.cloudproxy.tao.host.ProgramUsers;
import dev.cloudproxy.tao.keys.Argon2Params;
import dev.cloudproxy.tao.proto.TaoAdminProtos.AdminProgram;
import dev.cloudproxy.tao.rpc.RpcTao;
import dev.cloudproxy.tao.tpm.TpmParent;
import dev.cloudproxy.tao.tpm.TpmTao;
import java.io.BufferedReader;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code tao host}: make, start, stop and show a Tao host. */
@Command(
        name = "host",
        description = "Make, start, stop and show a Tao host: the daemon that measures, names and serves hosted programs.",
        synopsisSubcommandLabel = "COMMAND",
        commandListHeading = "%nCommands:%n",
        subcommands = {HostCommand.Init.class, HostCommand.Start.class, HostCommand.Stop.class, HostCommand.Show.class},
        footerHeading = "%nExamples:%n",
        footer = {
            "  tao host init --root",
            "  tao host start",
            "  tao run ./hello.sh",
            "  tao host show",
            "  tao host stop",
            "",
            "The host directory is $TAO_HOME/host (TAO_HOME defaults to ~/.tao) unless --host DIR is given;",
            "see docs/host.md."
        })
final class HostCommand extends CommandGroup {
    /** The policy password of a domain, beside the host's own. */
    static final String POLICY_ENV = "TAO_POLICY_PASSWORD";

    /**
     * The parent of a stacked host, as host.config records it: "rpc:auto", "rpc:/path/to/socket",
     * or a TPM in this process, "tpm:device:PATH" or "tpm:simulator:HOST:PORT" (whose state is in
     * the host directory).
     */
    static CoreTao connectParent(String spec, HostDirectory dir) throws InputException {
        if (TpmParent.isSpec(spec)) {
            return TpmHost.open(spec, dir, Optional.empty());
        }
        try {
            if (spec.equals("rpc:auto")) {
                return RpcTao.parent();
            }
            if (spec.startsWith("rpc:/")) {
                return RpcTao.connect(Path.of(spec.substring("rpc:".length())));
            }
        } catch (TaoException e) {
            throw new InputException("the parent Tao refused this process: " + e.getMessage());
        } catch (IOException e) {
            throw new InputException("cannot reach the parent Tao (" + spec + "): " + e.getMessage());
        }
        throw new InputException("this build cannot reach a parent Tao of the kind '" + spec + "'");
    }

    static void closeParent(CoreTao parent) {
        if (parent instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (Exception e) {
                // The host has what it needed from its parent.
            }
        }
    }

    @Command(
            name = "init",
            description = {
                "Make a host in the host directory.",
                "",
                "--root: a root host on its own soft key set, encrypted under a password (--password-file, "
                        + "else TAO_PASSWORD, else a prompt). Its name is key([..]) extended by its guard.",
                "--root --tpm2 [--tpm-device PATH | --tpm-simulator HOST:PORT] [--tpm-pcrs LIST]: a root host on "
                        + "a TPM 2.0 (default device /dev/tpmrm0). The host binds its own measurement into PCR 23, "
                        + "the TPM seals the host's keys to the PCRs (default 0-7 and 23) and delegates its name, "
                        + "tpm2([AK]).PCRs(...) extended by the guard, to the host's key. No password.",
                "--stacked --parent SOCKET|auto: a host whose parent is another Tao reached over host RPC "
                        + "(auto: TAO_HOST_SOCKET, i.e. this command runs as a hosted program). The parent seals "
                        + "the host's keys and delegates its name, <parent name> extended by the guard, to the "
                        + "host's key. No password.",
                "",
                "--domain DIR: the host enforces the domain's guard, its name carries the guard, and the "
                        + "domain's policy key issues it a host certificate (host.cert.pem). That needs the "
                        + "policy password: --policy-password-file, else " + POLICY_ENV + ", else a prompt. "
                        + "Outside a domain the guard is LiberalGuard (every program may run).",
                "",
                "--tpm2 --domain DIR --domain-service HOST:PORT [--ek ecc|rsa] [--ek-ca FILE]...: enrol instead, "
                        + "with no policy password on this machine (DIR needs only the policy certificate and rules). "
                        + "The host reads its EK certificate from the TPM's NV, the service checks it against the "
                        + "domain's EK CAs (tao domain policy --add-ek-ca), proves with MakeCredential/"
                        + "ActivateCredential that the AK is in that TPM, checks a fresh quote's PCRs against "
                        + "TrustedTpmPcrs and issues the host certificate. See docs/tpm.md, \"Enrolment\".",
                "",
                "Prints the host's name on stdout."
            },
            footerHeading = "%nExamples:%n",
            footer = {
                "  tao host init --root",
                "  tao host init --root --host /srv/tao/host --domain /srv/tao/domain",
                "  tao host init --stacked --parent auto --host stacked-host",
                "  tao host init --root --tpm2 --tpm-simulator 127.0.0.1:2321",
                "  tao host init --root --tpm2 --domain /srv/tao/domain --domain-service ca.example:8124 --ek-ca ek-ca.pem",
                "",
                "Exit status: 0 on success, 1 if the host cannot be made (one exists, no password, the "
                        + "parent refuses), 2 on a usage error."
            })
    static final class Init implements Callable<Integer> {
        private final Io io;

        @Mixin
        private HostOption host;

        @Mixin
        private Passwords passwords;

        static final class Kind {
            @Option(names = "--root", required = true, description = "A root host on its own password-protected key set.")
            boolean root;

            @Option(names = "--stacked", required = true, description = "A host stacked on a parent Tao (needs --parent).")
            boolean stacked;
        }

        @ArgGroup(exclusive = true, multiplicity = "1")
        private Kind kind;

        @Option(names = "--parent", paramLabel = "SOCKET|auto", description = "With --stacked: the parent's host RPC socket, or auto (TAO_HOST_SOCKET).")
        private String parent;

        @Option(names = "--tpm2", description = "With --root: root the host in a TPM 2.0 instead of a password.")
        private boolean tpm2;

        @Option(names = "--tpm-device", paramLabel = "PATH", description = "With --tpm2: the TPM device (default /dev/tpmrm0).")
        private Path tpmDevice;

        @Option(names = "--tpm-simulator", paramLabel = "HOST:PORT", description = "With --tpm2: a TPM simulator (swtpm) instead of a device.")
        private String tpmSimulator;

        @Option(names = "--tpm-pcrs", paramLabel = "LIST", description = "With --tpm2: the PCRs the host's name and keys are bound to (default 0,1,2,3,4,5,6,7,23).")
        private String tpmPcrs;

        @Option(names = "--domain", paramLabel = "DIR", description = "The domain the host belongs to.")
        private Path domain;

        @Option(names = "--policy-password-file", paramLabel = "FILE", description = "The domain's policy password, from FILE.")
        private Path policyPasswordFile;

        @Option(names = "--domain-service", paramLabel = "HOST:PORT[,HOST:PORT...]",
                description = "With --tpm2 and --domain: enrol with the domain service (EK certificate, "
                        + "MakeCredential/ActivateCredential, a quote) for the host certificate; no policy password.")
        private String domainService;

        @Option(names = "--ek", paramLabel = "ecc|rsa", description = "With --domain-service: the endorsement key to enrol with (default ecc).")
        private String ek;

        @Option(names = "--ek-ca", paramLabel = "FILE",
                description = "With --domain-service: the issuers of the EK certificate (PEM, one per option, the "
                        + "EK certificate's issuer first, up to the CA the domain trusts).")
        private List<Path> ekCas = new ArrayList<>();

        Init(Io io) {
            this.io = io;
        }

        @Override
        public Integer call() throws InputException {
            HostDirectory dir = host.directory(io);
            if (kind.stacked != (parent != null)) {
                throw new InputException(kind.stacked ? "--stacked needs --parent SOCKET|auto" : "--parent needs --stacked");
            }
            boolean tpmOptions = tpmDevice != null || tpmSimulator != null || tpmPcrs != null;
            if ((tpm2 || tpmOptions) && !kind.root) {
                throw new InputException("--tpm2 and the --tpm-* options go with --root");
            }
            if (tpmOptions && !tpm2) {
                throw new InputException("--tpm-device, --tpm-simulator and --tpm-pcrs need --tpm2");
            }
            if (tpmDevice != null && tpmSimulator != null) {
                throw new InputException("--tpm-device and --tpm-simulator exclude each other");
            }
            boolean enrol = domainService != null;
            if ((ek != null || !ekCas.isEmpty()) && !enrol) {
                throw new InputException("--ek and --ek-ca go with --domain-service");
            }
            if (enrol && (!tpm2 || domain == null)) {
                throw new InputException("--domain-service enrols a TPM-rooted host: it needs --tpm2 and --domain DIR");
            }
            if (enrol && policyPasswordFile != null) {
                throw new InputException("--domain-service needs no policy password: leave out --policy-password-file");
            }
            if (Files.exists(dir.config())) {
                throw new InputException(dir.root() + " already holds a host; choose another --host DIR or remove it first");
            }
            Optional<Domain> d = Optional.empty();
            try {
                if (domain != null && enrol) {
                    if (!Domain.exists(domain)) {
                        throw new InputException("no domain in " + domain);
                    }
                    // The host's copy of the domain: policy certificate and rules, no policy key.
                    d = Optional.of(Domain.load(domain));
                } else if (domain != null) {
                    if (!Domain.exists(domain)) {
                        throw new InputException("no domain in " + domain);
                    }
                    try (Password pw = Passwords.obtain(io, policyPasswordFile, POLICY_ENV, "--policy-password-file",
                            "the policy key of the domain in " + domain, false)) {
                        d = Optional.of(Domain.loadWithKeys(domain, pw.chars()));
                    }
                }
                HostSetup.Initialized init;
                if (tpm2) {
                    String spec = tpmSpec();
                    List<Integer> pcrs = tpmPcrs == null ? TpmParent.DEFAULT_PCRS : TpmHost.parsePcrs(tpmPcrs);
                    // The TPM Tao keeps its state in the host directory: build it aside with the rest,
                    // so that a crash leaves no half-made host.
                    try (HostSetup.Staging staging = HostSetup.stage(dir)) {
                        TpmTao p = TpmHost.open(spec, staging.directory(), Optional.of(pcrs));
                        try {
                            init = enrol
                                    ? HostSetup.initStacked(staging, p, spec, d, Optional.of(TpmHost.enrolment(p,
                                            domainService, d.orElseThrow(), TpmHost.ekType(ek), ekCas)))
                                    : HostSetup.initStacked(staging, p, spec, d);
                        } finally {
                            closeParent(p);
                        }
                    }
                } else if (kind.root) {
                    try (Password pw = passwords.forNewKeys(io, "the new host in " + dir.root())) {
                        init = HostSetup.initRoot(dir, pw.chars(), d, Argon2Params.DEFAULT);
                    }
                } else {
                    String spec = parent.equals("auto") ? "rpc:auto" : "rpc:" + Path.of(parent).toAbsolutePath();
                    CoreTao p = connectParent(spec, dir);
                    try {
                        init = HostSetup.initStacked(dir, p, spec, d);
                    } finally {
                        closeParent(p);
                    }
                }
                io.out().println(init.config().name());
                io.err().println("tao host init: made a " + (tpm2 ? "TPM-rooted"
                                : init.config().type().name().toLowerCase(java.util.Locale.ROOT))
                        + " host in " + dir.root() + (init.certificate().isPresent()
                                ? ", with a host certificate from the domain's "
                                        + (enrol ? "service (enrolled)" : "policy key") : ""));
                return TaoCli.EXIT_OK;
            } catch (TaoException e) {
                throw new InputException(e.getMessage());
            } catch (IOException e) {
                throw InputException.file("cannot make the host in " + dir.root(), dir.root(), e);
            } finally {
                d.ifPresent(Domain::close);
            }
        }

        private String tpmSpec() throws InputException {
            return TpmHost.spec(tpmDevice, tpmSimulator);
        }
    }

    @Command(
            name = "start",
            description = {
                "Start the host: serve hosted programs on its program socket and its owner on its admin "
                        + "socket, until 'tao host stop'.",
                "",
                "By default a root host runs as a daemon: this command asks for its password "
                        + "(--password-file, else TAO_PASSWORD, else a prompt), starts it in the background with "
                        + "its log in host.log, and returns once it serves. --foreground runs it in this process "
                        + "(Ctrl-C stops it). A stacked host always runs in the foreground, as a hosted program "
                        + "of its parent (e.g. under 'tao run --detach').",
                "",
                "A root host runs each program under the user id of its name, the same in every run, with "
                        + "a state directory of its own ($TAO_STATE_DIR, docs/host.md); --programs-as-host-user "
                        + "runs them as root instead, for programs that need root's own files."
            },
            footerHeading = "%nExamples:%n",
            footer = {
                "  tao host start",
                "  tao host start --foreground --host /srv/tao/host --password-file pw.txt",
                "",
                "Exit status: 0 once the host serves (daemon) or after it stopped (foreground), 1 if it cannot start."
            })
    static final class Start implements Callable<Integer> {
        private final Io io;

        @Mixin
        private HostOption host;

        @Mixin
        private Passwords passwords;

        @Option(names = "--foreground", description = "Run in this process instead of as a daemon.")
        private boolean foreground;

        @Option(names = "--daemon", description = "Run in the background (the default for a root host).")
        private boolean daemon;

        @Option(names = "--programs-as-host-user",
                description = "Run programs as the host's own user, even on a root host (they are then not "
                        + "isolated from each other nor from the host).")
        private boolean programsAsHostUser;

        @Option(names = "--metrics", paramLabel = "HOST:PORT",
                description = "Serve the host's counters and gauges in the Prometheus text format at "
                        + "http://HOST:PORT/metrics (off by default; no authentication: give a local address).")
        private String metrics;

        @Mixin
        private DomainFeedOptions domainFeed;

        @Option(names = "--launch-service", paramLabel = "HOST:PORT",
                description = "Also serve the launch service on HOST:PORT: TLS with the host certificate; clients "
                        + "of the domain launch programs of the host's launch.catalog and get host-signed launch "
                        + "records (docs/launch.md). Needs a host in a domain and --domain-service (clients are "
                        + "checked against the domain's CRL).")
        private String launchService;

        Start(Io io) {
            this.io = io;
        }

        @Override
        public Integer call() throws InputException {
            if (foreground && daemon) {
                throw new InputException("--foreground and --daemon exclude each other");
            }
            InetSocketAddress metricsAddress = null;
            if (metrics != null) {
                try {
                    metricsAddress = DomainServiceCommand.parseListen(metrics);
                } catch (IllegalArgumentException e) {
                    throw new InputException("--metrics: " + e.getMessage());
                }
            }
            if (launchService != null) {
                try {
                    DomainServiceCommand.parseListen(launchService);
                } catch (IllegalArgumentException e) {
                    throw new InputException("--launch-service: " + e.getMessage());
                }
            }
            HostDirectory dir = host.directory(io);
            HostConfig config;
            try {
                config = HostSetup.readConfig(dir);
            } catch (HostException e) {
                throw new InputException(e.getMessage());
            } catch (IOException e) {
                throw InputException.file("cannot read the host in " + dir.root(), dir.root(), e);
            }
            domainFeed.validate(config);
            boolean tpm = config.parent().map(TpmParent::isSpec).orElse(false);
            boolean stacked = config.type() == HostConfig.Type.STACKED && !tpm;
            if (stacked && daemon) {
                throw new InputException("a stacked host runs as a hosted program of its parent: start it with "
                        + "--foreground under its parent, e.g. 'tao run --detach --host PARENT ...'");
            }
            if (foreground || stacked) {
                return serve(dir, config, metricsAddress);
            }
            return daemonize(dir, !tpm);
        }

        private int serve(HostDirectory dir, HostConfig config, InetSocketAddress metricsAddress) throws InputException {
            domainFeed.prepareCache(dir, config);
            OpenedHost opened;
            // A stacked host keeps its programs' counters with its parent, so the parent stays
            // while this host serves. A TPM parent releases its connection first and reconnects
            // only to commit a counter change: a host must not hold the TPM's one connection
            // (swtpm, /dev/tpm0) while it runs.
            CoreTao keptParent = null;
            try {
                if (config.type() == HostConfig.Type.STACKED) {
                    String spec = config.parent().orElseThrow();
                    CoreTao parent = connectParent(spec, dir);
                    try {
                        opened = HostSetup.openStacked(dir, parent);
                    } catch (IOException | TaoException | RuntimeException e) {
                        closeParent(parent);
                        throw e;
                    }
                    if (parent instanceof TpmTao tpmParent) {
                        tpmParent.releaseConnection();
                    }
                    keptParent = parent;
                } else {
                    try (Password pw = passwords.forExistingKeys(io, "the host in " + dir.root())) {
                        opened = HostSetup.openRoot(dir, pw.chars());
                    }
                }
            } catch (TaoException e) {
                throw new InputException(e.getMessage());
            } catch (IOException e) {
                throw InputException.file("cannot open the host in " + dir.root(), dir.root(), e);
            }
            HostService service;
            try {
                service = HostService.start(opened, ProgramRunner.defaultFactories(),
                        programsAsHostUser ? ProgramUsers.hostUser() : HostService.defaultUsers());
            } catch (HostException e) {
                opened.close();
                closeParent(keptParent);
                throw new InputException(e.getMessage());
            } catch (IOException e) {
                opened.close();
                closeParent(keptParent);
                throw InputException.file("cannot start the host in " + dir.root(), dir.root(), e);
            }
            DomainFeed feed;
            try {
                feed = domainFeed.start(dir);
            } catch (InputException e) {
                closeQuietly(service);
                opened.close();
                closeParent(keptParent);
                throw e;
            }
            MetricsEndpoint endpoint = null;
            if (metricsAddress != null) {
                try {
                    endpoint = MetricsEndpoint.start(metricsAddress, service.metrics());
                } catch (IOException e) {
                    if (feed != null) {
                        feed.close();
                    }
                    closeQuietly(service);
                    opened.close();
                    closeParent(keptParent);
                    throw new InputException("cannot serve metrics on " + metrics + ": " + e.getMessage());
                }
                io.err().println("tao host: metrics at http://" + endpoint.address().getAddress().getHostAddress() + ":"
                        + endpoint.address().getPort() + MetricsEndpoint.PATH);
                io.err().flush();
            }
            dev.cloudproxy.tao.launch.LaunchService launch = null;
            if (launchService != null) {
                try {
                    launch = LaunchCommand.serve(dir, config, opened, service,
                            DomainServiceCommand.parseListen(launchService), domainFeed.services());
                } catch (InputException e) {
                    if (endpoint != null) {
                        endpoint.close();
                    }
                    closeQuietly(service);
                    opened.close();
                    closeParent(keptParent);
                    throw e;
                }
                io.err().println("tao host: launch service on " + launch.address().getAddress().getHostAddress() + ":"
                        + launch.address().getPort());
                io.err().flush();
            }
            Thread hook = new Thread(() -> closeQuietly(service), "tao-host-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            io.out().println(READY + opened.host().name() + " (pid " + ProcessHandle.current().pid() + ")");
            io.out().flush();
            try {
                service.awaitShutdownRequest();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                if (endpoint != null) {
                    endpoint.close();
                }
                if (feed != null) {
                    feed.close();
                }
                if (launch != null) {
                    try {
                        launch.close();
                    } catch (IOException e) {
                        // Stopping anyway.
                    }
                }
                closeQuietly(service);
                opened.close();
                closeParent(keptParent);
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException e) {
                    // Already shutting down.
                }
            }
            return TaoCli.EXIT_OK;
        }

        private static void closeQuietly(HostService s) {
            try {
                s.close();
            } catch (IOException e) {
                // Stopping anyway.
            }
        }

        static final String READY = "tao host: serving ";

        /**
         * Starts {@code tao host start --foreground} in a new session, hands it the password on its
         * standard input (never an argument), and waits until it serves or fails.
         */
        private int daemonize(HostDirectory dir, boolean needsPassword) throws InputException {
            if (Files.exists(dir.adminSocket()) && isRunning(dir)) {
                throw new InputException("a host is already running on " + dir.root());
            }
            List<String> cmd = new ArrayList<>();
            Path setsid = Path.of("/usr/bin/setsid");
            if (Files.isExecutable(setsid)) {
                cmd.add(setsid.toString()); // leaves the terminal's session: no hangup when it closes
            }
            cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            cmd.add("--enable-native-access=ALL-UNNAMED");
            cmd.add("-XX:-UsePerfData");
            cmd.add("-cp");
            cmd.add(System.getProperty("java.class.path"));
            cmd.add(TaoCli.class.getName());
            cmd.addAll(List.of("host", "start", "--foreground", "--host", dir.root().toString()));
            if (programsAsHostUser) {
                cmd.add("--programs-as-host-user");
            }
            if (metrics != null) {
                cmd.addAll(List.of("--metrics", metrics));
            }
            cmd.addAll(domainFeed.arguments());
            if (launchService != null) {
                cmd.addAll(List.of("--launch-service", launchService));
            }
            if (needsPassword) {
                cmd.addAll(List.of("--password-file", "/dev/stdin"));
            }
            ProcessBuilder pb = new ProcessBuilder(cmd);
            pb.redirectError(ProcessBuilder.Redirect.appendTo(dir.log().toFile()));
            pb.environment().remove(Passwords.ENV);
            Process p;
            try (Password pw = needsPassword ? passwords.forExistingKeys(io, "the host in " + dir.root()) : null) {
                p = pb.start();
                try (OutputStream in = p.getOutputStream()) {
                    if (pw != null) { // a TPM-rooted host needs none: its stdin just closes
                        java.nio.ByteBuffer encoded = StandardCharsets.UTF_8.encode(java.nio.CharBuffer.wrap(pw.chars()));
                        try {
                            in.write(encoded.array(), 0, encoded.limit());
                        } finally {
                            java.util.Arrays.fill(encoded.array(), (byte) 0);
                        }
                    }
                } catch (IOException e) {
                    // It failed before reading; its log says why.
                }
            } catch (IOException e) {
                throw new InputException("cannot start the host daemon: " + e.getMessage());
            }
            String line;
            try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                line = out.readLine();
            } catch (IOException e) {
                line = null;
            }
            if (line != null && line.startsWith(READY)) {
                io.out().println(line.substring(READY.length()));
                io.err().println("tao host start: the host serves on " + dir.adminSocket() + " and " + dir.programSocket()
                        + "; log in " + dir.log());
                return TaoCli.EXIT_OK;
            }
            try {
                p.waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            throw new InputException("the host did not start: " + lastLogLine(dir.log()));
        }

        private static boolean isRunning(HostDirectory dir) {
            try (AdminClient c = AdminClient.connect(dir.adminSocket())) {
                return true;
            } catch (IOException | HostException e) {
                return false;
            }
        }

        private static String lastLogLine(Path log) {
            try {
                List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
                for (int i = lines.size() - 1; i >= 0; i--) {
                    if (!lines.get(i).isBlank()) {
                        return lines.get(i).strip();
                    }
                }
            } catch (IOException e) {
                // fall through
            }
            return "see " + log;
        }
    }

    @Command(
            name = "stop",
            description = "Stop the running host: every hosted program is stopped (SIGTERM, then SIGKILL after 5 s), then the host.",
            footerHeading = "%nExamples:%n",
            footer = {
                "  tao host stop",
                "  tao host stop --host /srv/tao/host",
                "",
                "Exit status: 0 once the host has exited, 1 if no host is running there."
            })
    static final class Stop implements Callable<Integer> {
        private final Io io;

        @Mixin
        private HostOption host;

        Stop(Io io) {
            this.io = io;
        }

        @Override
        public Integer call() throws InputException {
            HostDirectory dir = host.directory(io);
            Optional<ProcessHandle> daemon = readPid(dir).flatMap(ProcessHandle::of);
            try (AdminClient c = Admin.connect(dir)) {
                c.shutdown();
            } catch (HostException | IOException e) {
                throw Admin.failed(dir, e);
            }
            if (daemon.isPresent() && daemon.get().pid() != ProcessHandle.current().pid()) {
                try {
                    daemon.get().onExit().get(60, TimeUnit.SECONDS);
                } catch (TimeoutException e) {
                    throw new InputException("the host (pid " + daemon.get().pid() + ") has not exited after 60 s");
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (java.util.concurrent.ExecutionException e) {
                    // onExit does not fail
                }
            }
            io.err().println("tao host stop: the host on " + dir.root() + " stopped");
            return TaoCli.EXIT_OK;
        }
    }

    static Optional<Long> readPid(HostDirectory dir) {
        try {
            String s = new String(dev.cloudproxy.tao.io.AtomicFiles.readAtMost(dir.pidFile(), 32), StandardCharsets.US_ASCII).strip();
            return Optional.of(Long.parseLong(s));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    @Command(
            name = "show",
            description = "Show the host: kind, name, key, guard, parent, domain, certificate, sockets, and, when it "
                    + "runs, its programs. Read from the directory without the password; the configuration's "
                    + "signature is checked when the host starts, not here.",
            footerHeading = "%nExamples:%n",
            footer = {
                "  tao host show",
                "  tao host show --host /srv/tao/host",
                "",
                "Exit status: 0, or 1 if there is no host there."
            })
    static final class Show implements Callable<Integer> {
        private final Io io;

        @Mixin
        private HostOption host;

        Show(Io io) {
            this.io = io;
        }

        @Override
        public Integer call() throws InputException {
            HostDirectory dir = host.directory(io);
            try {
                HostConfig c = HostSetup.readConfig(dir);
                var out = io.out();
                out.println("directory:      " + dir.root());
                out.println("type:           " + c.type().name().toLowerCase(java.util.Locale.ROOT));
                out.println("name:           " + c.name());
                out.println("key:            " + HostSetup.readPublicKey(dir, c).principal());
                out.println("guard:          " + (c.guard().isEmpty() ? "(none)" : c.guard()));
                c.parent().ifPresent(p -> out.println("parent:         " + p));
                c.domain().ifPresent(d -> out.println("domain:         " + d));
                Optional<X509Certificate> cert = HostSetup.readCertificate(dir);
                out.println("certificate:    " + cert.map(x -> dir.certificate() + " (valid " + x.getNotBefore().toInstant()
                        + " to " + x.getNotAfter().toInstant() + ")").orElse("(none)"));
                out.println("admin socket:   " + dir.adminSocket());
                out.println("program socket: " + dir.programSocket());
                out.println("log:            " + dir.log());
                if (!Files.exists(dir.adminSocket())) {
                    out.println("running:        no");
                    return TaoCli.EXIT_OK;
                }
                try (AdminClient a = AdminClient.connect(dir.adminSocket())) {
                    List<AdminProgram> programs = a.list();
                    out.println("running:        yes, pid " + readPid(dir).map(String::valueOf).orElse("?") + ", "
                            + programs.size() + " program(s)");
                    for (AdminProgram p : programs) {
                        out.println("  " + p.getId() + "\t" + p.getPid() + "\t" + p.getName() + "\t" + p.getPath());
                    }
                } catch (IOException | HostException e) {
                    out.println("running:        unknown (" + e.getMessage() + ")");
                }
                return TaoCli.EXIT_OK;
            } catch (TaoException e) {
                throw new InputException(e.getMessage());
            } catch (IOException e) {
                throw InputException.file("cannot read the host in " + dir.root(), dir.root(), e);
            }
        }
    }
}
