package dev.cloudproxy.tao.cli;

import dev.cloudproxy.tao.TaoException;
import dev.cloudproxy.tao.auth.Form;
import dev.cloudproxy.tao.auth.Pred;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.PrinTail;
import dev.cloudproxy.tao.auth.SubPrin;
import dev.cloudproxy.tao.domain.Domain;
import dev.cloudproxy.tao.domain.DomainTemplate;
import dev.cloudproxy.tao.domain.PolicyFacts;
import dev.cloudproxy.tao.domain.ProgramCertificate;
import dev.cloudproxy.tao.guard.GuardException;
import dev.cloudproxy.tao.host.HostConfig;
import dev.cloudproxy.tao.host.HostDirectory;
import dev.cloudproxy.tao.host.HostService;
import dev.cloudproxy.tao.host.HostSetup;
import dev.cloudproxy.tao.host.JvmFactory;
import dev.cloudproxy.tao.host.OpenedHost;
import dev.cloudproxy.tao.host.ProgramFactory;
import dev.cloudproxy.tao.host.ProgramRunner;
import dev.cloudproxy.tao.host.ProgramSpec;
import dev.cloudproxy.tao.host.ProgramStartException;
import dev.cloudproxy.tao.host.ProgramUsers;
import dev.cloudproxy.tao.host.RunningProgram;
import dev.cloudproxy.tao.io.AtomicFiles;
import dev.cloudproxy.tao.keys.Argon2Params;
import dev.cloudproxy.tao.metrics.MetricsEndpoint;
import dev.cloudproxy.tao.samples.simple.SimpleClient;
import dev.cloudproxy.tao.samples.simple.SimpleDomainService;
import dev.cloudproxy.tao.samples.simple.SimpleServer;
import dev.cloudproxy.tao.tpm.Swtpm;
import dev.cloudproxy.tao.tpm.TpmParent;
import dev.cloudproxy.tao.tpm.TpmTao;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * SimpleExample from nothing: a domain on the development soft root, a host in it, and the domain
 * service, server and client as hosted programs, each step printed as the papers' walkthrough
 * shows it. Everything lives in one directory; with the same directory a second run reuses the
 * domain, the host and every program's sealed state.
 *
 * <p>The demo keeps the domain's and host's password in {@code demo.password} (mode 0600) beside
 * them so that a second run can reopen them: acceptable for a throwaway development domain, never
 * for a real one.
 */
final class SimpleExampleDemo implements AutoCloseable {
    static final String DOMAIN_DIR = "domain";
    static final String HOST_DIR = "host";
    static final String STATE_DIR = "programs";
    static final String PASSWORD_FILE = "demo.password";
    /** The state of the swtpm the demo runs when asked for a TPM root without a TPM. */
    static final String SWTPM_DIR = "swtpm";
    private static final Duration STEP_TIMEOUT = Duration.ofSeconds(120);
    private static final Duration STOP_GRACE = Duration.ofSeconds(10);
    private static final String END = "\u0000end";

    /** The jars the hosted programs run: an app jar holding the samples and its class path. */
    record Jars(Path app, List<Path> classpath) {}

    /**
     * A TPM-rooted host instead of the soft root: on the TPM {@code spec} names
     * ({@code tpm:device:PATH}, {@code tpm:simulator:HOST:PORT}), or, without one, on a swtpm the
     * demo starts on its state in {@code DIR/swtpm} and stops at the end.
     */
    record TpmRoot(Optional<String> spec) {}

    /** A step that failed; the message names it. */
    static final class StepException extends Exception {
        StepException(String step, String why) {
            super(step + ": " + why);
        }
    }

    /**
     * Another program of the demo's domain, for tests: its measurement is trusted like the
     * samples', it starts right after SimpleDomainService with {@code args} applied to that
     * service's address, and must print {@code certified as: } (the principal its program
     * certificate names) and {@code listening on } lines, as SecretServiceProgram does.
     */
    record Extra(String what, Class<?> main, java.util.function.Function<String, List<String>> args) {}

    /** What the extra program printed: its certified principal and its address. */
    record ExtraStarted(String principal, String address) {}

    /** Runs while SimpleServer is still up, after the client finished. */
    interface WhileServing {
        void run(String serverAddress) throws StepException;
    }

    private final Path base;
    private final PrintWriter out;
    private final Jars jars;
    private Path exportClient;
    private Optional<TpmRoot> tpmRoot = Optional.empty();
    private Swtpm swtpm;
    private TpmTao tpmParent;
    private WhileServing whileServing = address -> { };
    private Optional<Extra> extra = Optional.empty();
    private ExtraStarted extraStarted;
    private final List<RunningProgram> started = new ArrayList<>();
    private Domain domain;
    private OpenedHost opened;
    private HostService service;
    private char[] password;
    private boolean metrics;
    private MetricsEndpoint hostMetrics;

    SimpleExampleDemo(Path base, PrintWriter out, Jars jars) {
        this.base = base;
        this.out = out;
        this.jars = jars;
    }

    /** Has the client export its certificate and key to {@code dir} (see SimpleClient). */
    SimpleExampleDemo exportClient(Path dir) {
        this.exportClient = dir.toAbsolutePath();
        return this;
    }

    /**
     * Serves the host's and SimpleDomainService's metrics on local ports while the demo runs, and
     * shows what a scrape of each finds once the client is done.
     */
    SimpleExampleDemo withMetrics() {
        this.metrics = true;
        return this;
    }

    /** Roots the host in a TPM (see {@link TpmRoot}). */
    SimpleExampleDemo onTpm(TpmRoot root) {
        this.tpmRoot = Optional.of(root);
        return this;
    }

    /** Also runs {@code program} (see {@link Extra}). */
    SimpleExampleDemo alsoRun(Extra program) {
        this.extra = Optional.of(program);
        return this;
    }

    /** The extra program's name and address, once it started. */
    Optional<ExtraStarted> extraStarted() {
        return Optional.ofNullable(extraStarted);
    }

    /** Something to do while the server still runs, before everything stops. */
    SimpleExampleDemo whileServing(WhileServing action) {
        this.whileServing = action;
        return this;
    }

    /** Runs every step; returns the client's secret. */
    String run() throws StepException {
        password = password();
        domain = domain();
        Prin hostName = host();
        List<ProgramSpec> specs = new ArrayList<>(List.of(domainServiceSpec(), serverSpec(null), clientSpec(null, null)));
        extra.ifPresent(e -> specs.add(extraSpec(e, "127.0.0.1:1")));
        trust(hostName, specs);
        startHost();

        RunningProgram ds = start("SimpleDomainService", specs.get(0));
        Lines dsOut = Lines.of(ds);
        String dsName = dsOut.expect("SimpleDomainService", "name: ");
        String dsAddress = dsOut.expect("SimpleDomainService", "listening on ");
        String dsMetrics = metrics ? dsOut.expect("SimpleDomainService", "metrics at ") : null;
        say("  SimpleDomainService  " + dsName);
        say("                       listening on " + dsAddress + " (TLS; its certificate names "
                + "key([policy]).DomainService())");
        if (extra.isPresent()) {
            Extra e = extra.get();
            Lines extraOut = Lines.of(start(e.what(), extraSpec(e, dsAddress)));
            extraStarted = new ExtraStarted(extraOut.expect(e.what(), "certified as: "), extraOut.expect(e.what(), "listening on "));
            say("  " + e.what() + " " + extraStarted.principal());
            say("                       listening on " + extraStarted.address());
        }

        RunningProgram server = start("SimpleServer", serverSpec(dsAddress));
        Lines serverOut = Lines.of(server);
        String serverName = serverOut.expect("SimpleServer", "name: ");
        String serverSerial = serverOut.expect("SimpleServer", "certificate: serial ");
        String serverAddress = serverOut.expect("SimpleServer", "listening on ");
        say("  SimpleServer         " + serverName);
        say("                       program certificate serial " + serverSerial + ", listening on " + serverAddress);

        RunningProgram client = start("SimpleClient", clientSpec(dsAddress, serverAddress));
        Lines clientOut = Lines.of(client);
        String clientName = clientOut.expect("SimpleClient", "name: ");
        String clientSerial = clientOut.expect("SimpleClient", "certificate: serial ");
        say("  SimpleClient         " + clientName);
        say("                       program certificate serial " + clientSerial);
        describeCertificate(state("client").resolve("program.cert.pem"));

        List<String> rest = clientOut.rest("SimpleClient", client);
        String stored = value(rest, "stored secret: ");
        String serverPeer = value(rest, "peer: ");
        String secret = value(rest, "secret: ");
        if (serverPeer == null || secret == null) {
            throw new StepException("SimpleClient", "ended without a secret:\n  " + String.join("\n  ", rest));
        }
        String clientPeer = serverOut.expect("SimpleServer", "peer: ");
        say("");
        say("Tao channel (mutual TLS 1.3, both certificates checked against the policy certificate):");
        say("  the client's peer    " + serverPeer);
        say("  the server's peer    " + clientPeer);
        if (stored != null) {
            say("  stored secret        " + stored + " (unprotected with the client's own keys)");
        }
        say("");
        say("secret: " + secret);
        if (metrics) {
            showMetrics(dsMetrics);
        }
        whileServing.run(serverAddress);
        return secret;
    }

    private char[] password() throws StepException {
        Path file = base.resolve(PASSWORD_FILE);
        try {
            if (Files.exists(file)) {
                return new String(AtomicFiles.readAtMost(file, 1024), StandardCharsets.US_ASCII).strip().toCharArray();
            }
            byte[] random = new byte[18];
            new SecureRandom().nextBytes(random);
            String pw = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
            AtomicFiles.createPrivateDirectories(base);
            AtomicFiles.writeOwnerOnly(file.toAbsolutePath(), pw.getBytes(StandardCharsets.US_ASCII));
            return pw.toCharArray();
        } catch (IOException e) {
            throw new StepException("password", e.getMessage());
        }
    }

    private Domain domain() throws StepException {
        Path dir = base.resolve(DOMAIN_DIR);
        try {
            Domain d;
            if (Domain.exists(dir)) {
                d = Domain.loadWithKeys(dir, password);
                say("Domain " + d.name() + " (reused from " + dir + ")");
            } else {
                d = Domain.create(dir, DomainTemplate.parse(template(tpmRoot.isPresent()).getBytes(StandardCharsets.UTF_8), "demo template"),
                        password, Argon2Params.FLOOR);
                say("Domain " + d.name() + " (new, in " + dir + ")");
            }
            say("  policy key           " + d.policyPrincipal());
            say("  guard                " + d.guardType().text() + ", " + d.guard().ruleCount() + " rules and facts");
            return d;
        } catch (IOException | TaoException e) {
            throw new StepException("domain", e.getMessage());
        }
    }

    /** The demo domain's template; with {@code tpm}, also the rules of docs/domain_template.txt for TPM roots. */
    static String template(boolean tpm) {
        List<String> lines = new ArrayList<>(List.of(
                "name = SimpleExample Demo",
                "x509.organization = CloudProxy Tao for the JVM",
                "validity_days = 30",
                "guard = datalog",
                "rule = forall P: forall Host: forall Hash: TrustedHost(Host) and TrustedProgramHash(Hash) "
                        + "and Subprin(P, Host, Hash) implies MemberProgram(P)",
                "rule = forall P: MemberProgram(P) implies Authorized(P, \"Execute\")"));
        if (tpm) {
            lines.add("rule = forall P: forall AK: forall PCRs: TrustedTpm(AK) and TrustedTpmPcrs(PCRs) "
                    + "and Subprin(P, AK, PCRs) implies TrustedPlatform(P)");
            lines.add("rule = forall H: forall Platform: forall G: TrustedPlatform(Platform) and TrustedGuard(G) "
                    + "and Subprin(H, Platform, G) implies TrustedHost(H)");
        }
        lines.add("");
        return String.join("\n", lines);
    }

    private Prin host() throws StepException {
        HostDirectory dir = new HostDirectory(base.resolve(HOST_DIR));
        try {
            if (Files.exists(dir.root().resolve(HostDirectory.CONFIG))) {
                HostConfig config = HostSetup.readConfig(dir);
                boolean onTpm = config.parent().map(TpmParent::isSpec).orElse(false);
                if (onTpm != tpmRoot.isPresent()) {
                    throw new StepException("host", "the host in " + dir.root() + " is "
                            + (onTpm ? "TPM-rooted: add --tpm2" : "on the soft root: drop --tpm2")
                            + ", or use another --dir");
                }
                say("Host " + config.name() + " (reused)");
                return config.name();
            }
            HostSetup.Initialized init;
            if (tpmRoot.isPresent()) {
                String spec = tpmSpec();
                try (HostSetup.Staging staging = HostSetup.stage(dir);
                        TpmTao tpm = TpmHost.open(spec, staging.directory(), Optional.of(TpmParent.DEFAULT_PCRS))) {
                    init = HostSetup.initStacked(staging, tpm, spec, Optional.of(domain));
                }
                say("Host " + init.config().name() + " (new TPM-rooted host: its keys sealed to the TPM's PCRs "
                        + TpmParent.DEFAULT_PCRS + ", its key delegated by a TPM quote)");
            } else {
                init = HostSetup.initRoot(dir, password, Optional.of(domain), Argon2Params.FLOOR);
                say("Host " + init.config().name() + " (new root host on a soft key: a development root, not "
                        + "hardware-protected)");
            }
            init.certificate().ifPresent(c -> say("  host certificate     serial "
                    + c.getSerialNumber().toString(16) + ", signed by the policy key"));
            return init.config().name();
        } catch (IOException | TaoException | InputException e) {
            throw new StepException("host", e.getMessage());
        }
    }

    /** The TPM to root the host in: the one given, else a swtpm started now on {@code DIR/swtpm}. */
    private String tpmSpec() throws StepException {
        Optional<String> given = tpmRoot.orElseThrow().spec();
        if (given.isPresent()) {
            return given.get();
        }
        if (swtpm == null) {
            Path state = base.resolve(SWTPM_DIR);
            try {
                swtpm = Swtpm.start(state);
            } catch (IOException e) {
                throw new StepException("swtpm", e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new StepException("swtpm", "interrupted while starting");
            }
            say("TPM: swtpm on 127.0.0.1:" + swtpm.port() + ", its state in " + state
                    + " (a simulator started by the demo: not hardware-protected)");
        }
        return swtpm.spec();
    }

    /** Trusts the host and the three programs' measurements, as {@code tao domain policy} would. */
    private void trust(Prin hostName, List<ProgramSpec> specs) throws StepException {
        try {
            List<Form> facts = new ArrayList<>();
            if (tpmRoot.isPresent()) {
                // Not the host's name: its TPM (attestation key), the PCR values it quoted and the
                // guard it appended, so the template's rules derive TrustedHost from the TPM.
                facts.add(PolicyFacts.trustedTpm(hostName.root()));
                facts.add(PolicyFacts.trustedTpmPcrs(new PrinTail(new SubPrin(hostName.ext().exts().subList(0, 1)))));
                facts.add(PolicyFacts.trustedGuard(new PrinTail(hostName.ext().drop(1))));
            } else {
                facts.add(PolicyFacts.trustedHost(hostName));
            }
            Path scratch = Files.createDirectories(base.resolve("measure"));
            JvmFactory jvm = JvmFactory.onThisRuntime();
            for (ProgramSpec spec : specs) {
                try (ProgramFactory.Prepared p = jvm.prepare(spec, scratch)) {
                    SubPrin measured = p.subprin();
                    facts.add(Pred.of("TrustedProgramHash", new PrinTail(measured)));
                }
            }
            boolean changed = false;
            for (Form f : facts) {
                if (!hasRule(f)) {
                    domain.guard().addRule(f);
                    changed = true;
                }
            }
            if (changed) {
                domain.saveGuard();
            }
            say("Policy: " + (tpmRoot.isPresent() ? "TrustedTpm, TrustedTpmPcrs and TrustedGuard of the host's name"
                    : "TrustedHost(the host)") + " and TrustedProgramHash of the " + (specs.size() == 3 ? "three" : specs.size()) + " programs "
                    + (changed ? "(added)" : "(already there)"));
            if (changed) {
                say("  (the host's name keeps the guard hash it was made with; the host enforces the "
                        + "guard as it is now)");
            }
        } catch (IOException | GuardException | ProgramStartException e) {
            throw new StepException("policy", e.getMessage());
        }
    }

    private boolean hasRule(Form f) {
        for (int i = 0; i < domain.guard().ruleCount(); i++) {
            if (domain.guard().getRule(i).equals(f)) {
                return true;
            }
        }
        return false;
    }

    private void startHost() throws StepException {
        try {
            HostDirectory dir = new HostDirectory(base.resolve(HOST_DIR));
            if (tpmRoot.isPresent()) {
                // As 'tao host start' does: the TPM Tao stays the parent, its connection released.
                tpmParent = TpmHost.open(tpmSpec(), dir, Optional.empty());
                opened = HostSetup.openStacked(dir, tpmParent);
                tpmParent.releaseConnection();
            } else {
                opened = HostSetup.openRoot(dir, password);
            }
            // The demo's programs keep their keys and state in the demo's directory, which is
            // private to whoever runs the demo: they run as that user, even as root, rather than
            // under ids of their own (docs/host.md, Users).
            service = HostService.start(opened, ProgramRunner.defaultFactories(), ProgramUsers.hostUser());
            if (metrics) {
                hostMetrics = MetricsEndpoint.start(
                        new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), service.metrics());
            }
        } catch (IOException | TaoException | InputException e) {
            throw new StepException("host start", e.getMessage());
        }
        say("");
        say("Hosted programs (each name is the host's name extended by the program's measurement, then "
                + "by the policy key it works for):");
    }

    private ProgramSpec spec(Class<?> main, List<String> args) {
        return ProgramSpec.jvm(jars.app(), args).withClasspath(jars.classpath()).withMainClass(main.getName());
    }

    private ProgramSpec domainServiceSpec() {
        List<String> args = new ArrayList<>(List.of("--domain", base.resolve(DOMAIN_DIR).toAbsolutePath().toString()));
        if (metrics) {
            args.addAll(List.of("--metrics", "127.0.0.1:0"));
        }
        return spec(SimpleDomainService.class, args).withEnv(List.of("TAO_PASSWORD=" + new String(password)));
    }

    /** Scrapes both endpoints and shows every sample, as a Prometheus server would store them. */
    private void showMetrics(String dsUrl) throws StepException {
        String hostUrl = "http://" + hostMetrics.address().getHostString() + ":" + hostMetrics.address().getPort()
                + MetricsEndpoint.PATH;
        say("");
        say("Metrics (docs/domain-service.md#metrics, docs/host.md#metrics), scraped after the client's run:");
        for (String[] endpoint : new String[][] {{"SimpleDomainService", dsUrl}, {"host", hostUrl}}) {
            say(String.format("  %-20s %s", endpoint[0], endpoint[1]));
            for (String line : scrape(endpoint[0], endpoint[1]).lines().toList()) {
                if (!line.startsWith("#") && !line.isBlank()) {
                    say("    " + line);
                }
            }
        }
    }

    private static String scrape(String what, String url) throws StepException {
        try {
            java.net.http.HttpResponse<String> r = java.net.http.HttpClient.newHttpClient().send(
                    java.net.http.HttpRequest.newBuilder(java.net.URI.create(url))
                            .timeout(Duration.ofSeconds(10)).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new StepException("scraping " + what + "'s metrics", "HTTP status " + r.statusCode());
            }
            return r.body();
        } catch (IOException | IllegalArgumentException e) {
            throw new StepException("scraping " + what + "'s metrics", e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StepException("scraping " + what + "'s metrics", "interrupted");
        }
    }

    private ProgramSpec extraSpec(Extra e, String dsAddress) {
        return spec(e.main(), e.args().apply(dsAddress));
    }

    // Arguments are not part of a program's measurement, so the specs used to measure (with
    // placeholder addresses) name the same programs as those started.
    private ProgramSpec serverSpec(String dsAddress) {
        return spec(SimpleServer.class, List.of(
                "--policy-cert", policyCert(), "--host-cert", hostCert(),
                "--domain-service", dsAddress == null ? "127.0.0.1:1" : dsAddress,
                "--state", state("server").toString()));
    }

    private ProgramSpec clientSpec(String dsAddress, String serverAddress) {
        List<String> args = new ArrayList<>(List.of(
                "--policy-cert", policyCert(), "--host-cert", hostCert(),
                "--domain-service", dsAddress == null ? "127.0.0.1:1" : dsAddress,
                "--state", state("client").toString(),
                "--server", serverAddress == null ? "127.0.0.1:1" : serverAddress));
        if (exportClient != null) {
            args.addAll(List.of("--export", exportClient.toString()));
        }
        return spec(SimpleClient.class, args);
    }

    /**
     * Starts a SimpleClient whose measurement is not in the policy (another JVM option makes it
     * another program), for tests: the host's guard refuses to run it.
     */
    void startUntrustedClient(String serverAddress) throws StepException {
        ProgramSpec spec = spec(SimpleClient.class, List.of(
                "--policy-cert", policyCert(), "--host-cert", hostCert(),
                "--domain-service", "127.0.0.1:1", "--state", state("untrusted").toString(),
                "--server", serverAddress)).withJvmOptions(List.of("-Dtao.demo.untrusted=true"));
        RunningProgram p = start("the untrusted SimpleClient", spec);
        throw new StepException("the untrusted SimpleClient", "was started (" + p.name() + ")");
    }

    private String policyCert() {
        return base.resolve(DOMAIN_DIR).resolve(Domain.POLICY_CERT_FILE).toAbsolutePath().toString();
    }

    private String hostCert() {
        return base.resolve(HOST_DIR).resolve(HostDirectory.CERTIFICATE).toAbsolutePath().toString();
    }

    private Path state(String program) {
        return base.resolve(STATE_DIR).resolve(program).toAbsolutePath();
    }

    private RunningProgram start(String what, ProgramSpec spec) throws StepException {
        try {
            RunningProgram p = service.runner().start(spec, true);
            started.add(p);
            p.process().getOutputStream().close();
            return p;
        } catch (ProgramStartException | IOException e) {
            throw new StepException("starting " + what, e.getMessage());
        }
    }

    private void describeCertificate(Path pem) throws StepException {
        try {
            X509Certificate cert = ProgramCertificate.parsePem(AtomicFiles.readAtMost(pem, 64 * 1024 + 1));
            Prin named = ProgramCertificate.verify(cert, domain.policyCertificate(), java.time.Instant.now());
            say("                       its certificate: issuer " + cert.getIssuerX500Principal().getName());
            say("                       subject alternative name tao:... = " + named);
            say("                       valid until " + cert.getNotAfter().toInstant());
        } catch (IOException | CertificateException | TaoException e) {
            throw new StepException("reading the client's certificate", e.getMessage());
        }
    }

    private static String value(List<String> lines, String prefix) {
        for (String l : lines) {
            if (l.startsWith(prefix)) {
                return l.substring(prefix.length());
            }
        }
        return null;
    }

    private void say(String line) {
        out.print(line + "\n");
        out.flush();
    }

    /** Stops every program, the host and the domain, and forgets the password. */
    @Override
    public void close() {
        if (hostMetrics != null) {
            hostMetrics.close();
        }
        if (service != null) {
            service.runner().shutdown(STOP_GRACE);
            try {
                service.close();
            } catch (IOException e) {
                out.print("tao demo: stopping the host: " + e.getMessage() + "\n");
            }
        } else {
            started.forEach(RunningProgram::kill);
        }
        if (opened != null) {
            opened.close();
        }
        if (tpmParent != null) {
            tpmParent.close();
        }
        if (swtpm != null) {
            try {
                swtpm.close();
            } catch (IOException e) {
                out.print("tao demo: stopping swtpm: " + e.getMessage() + "\n");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (domain != null) {
            domain.close();
        }
        if (password != null) {
            Arrays.fill(password, '\0');
        }
        out.flush();
    }

    /**
     * A program's standard output and error as lines, read by two daemon threads, so the demo can
     * wait for a line with a deadline instead of blocking on a program that went quiet.
     */
    private static final class Lines {
        private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        private final List<String> errors = java.util.Collections.synchronizedList(new ArrayList<>());

        static Lines of(RunningProgram p) {
            Lines l = new Lines();
            pump(p.process().getInputStream(), l.lines::add, l.lines);
            pump(p.process().getErrorStream(), l.errors::add, null);
            return l;
        }

        private static void pump(java.io.InputStream in, java.util.function.Consumer<String> sink,
                BlockingQueue<String> endMarker) {
            Thread t = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null; ) {
                        sink.accept(line);
                    }
                } catch (IOException e) {
                    // the program is gone; the end marker below says so
                } finally {
                    if (endMarker != null) {
                        endMarker.add(END);
                    }
                }
            }, "tao-demo-output");
            t.setDaemon(true);
            t.start();
        }

        /** The rest of the first line starting with {@code prefix}; earlier lines are skipped. */
        String expect(String program, String prefix) throws StepException {
            long deadline = System.nanoTime() + STEP_TIMEOUT.toNanos();
            try {
                while (true) {
                    String line = lines.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                    if (line == null) {
                        throw new StepException(program, "printed no '" + prefix.strip() + "' line within "
                                + STEP_TIMEOUT.toSeconds() + " s" + stderr());
                    }
                    if (line.equals(END)) {
                        lines.add(END);
                        throw new StepException(program, "exited before printing '" + prefix.strip() + "'" + stderr());
                    }
                    if (line.startsWith(prefix)) {
                        return line.substring(prefix.length());
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new StepException(program, "interrupted");
            }
        }

        /** Every line until the program exits, which it must do with status 0. */
        List<String> rest(String program, RunningProgram p) throws StepException {
            List<String> all = new ArrayList<>();
            long deadline = System.nanoTime() + STEP_TIMEOUT.toNanos();
            try {
                while (true) {
                    String line = lines.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                    if (line == null) {
                        throw new StepException(program, "did not finish within " + STEP_TIMEOUT.toSeconds() + " s");
                    }
                    if (line.equals(END)) {
                        break;
                    }
                    all.add(line);
                }
                int status = p.exit().get(STEP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
                if (status != 0) {
                    throw new StepException(program, "exited with status " + status + stderr());
                }
                return all;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new StepException(program, "interrupted");
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                throw new StepException(program, "did not exit");
            }
        }

        private String stderr() {
            synchronized (errors) {
                return errors.isEmpty() ? "" : ":\n  " + String.join("\n  ", errors);
            }
        }
    }
}
