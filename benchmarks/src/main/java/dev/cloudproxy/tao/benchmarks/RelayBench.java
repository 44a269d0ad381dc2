package dev.cloudproxy.tao.benchmarks;

import dev.cloudproxy.tao.auth.Bytes;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.PrinExt;
import dev.cloudproxy.tao.channel.ProgramCredentials;
import dev.cloudproxy.tao.channel.TaoChannels;
import dev.cloudproxy.tao.domain.Domain;
import dev.cloudproxy.tao.domain.DomainTemplate;
import dev.cloudproxy.tao.domain.ProgramCertificate;
import dev.cloudproxy.tao.domainservice.DomainService;
import dev.cloudproxy.tao.io.AtomicFiles;
import dev.cloudproxy.tao.keys.Argon2Params;
import dev.cloudproxy.tao.keys.Signer;
import dev.cloudproxy.tao.paradigm.TaoParadigm;
import dev.cloudproxy.tao.samples.plain.EchoBench;
import dev.cloudproxy.tao.soft.SoftTao;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;

/**
 * What the agent's relay costs an unmodified app: connection setup (connect, one line and its
 * answer, close) and one-way throughput, measured by {@code samples.plain.EchoBench} in its own
 * JVM, in four modes of one run, each beside the others:
 *
 * <ol>
 *   <li>{@code tcp}: EchoBench client JVM to EchoBench server JVM over plain TCP;
 *   <li>{@code tls}: the same pair over the JDK's own mutual TLS 1.3 (PKCS#12 key manager, PKIX
 *       trust manager), with ECDSA P-256 program certificates of the same domain;
 *   <li>{@code wrapped}: the EchoBench client under {@code tao-launcher.jar} with
 *       {@code --rule 'out 127.0.0.1 PORT TAO'}, so the agent's relay carries each connection over
 *       a Tao channel, to a server in this JVM holding a program certificate from the same domain
 *       (the channel module's {@code TaoChannels.of(creds).sslContext()}, same protocol);
 *   <li>{@code both}: client and EchoBench server under the launcher, the server with
 *       {@code --rule 'in 127.0.0.1 PORT TAO'}: two relays, one Tao channel between them.
 * </ol>
 *
 * <p>Each client makes W + N sequential connections (default 1000 + 200) and reports the last N
 * (warm) and the first N (cold) apart, then streams B bytes (default 16 MiB) 5 + 5 times on one
 * connection. With {@code --settle S} the harness waits (at most S seconds) before each mode until
 * the previous mode's TIME_WAIT sockets have left the kernel's TCP table; it prints the table's
 * size before and after each mode. (That mattered while the relay read the whole table for every
 * connection; it now asks the kernel for one socket, so the default is not to wait.)
 *
 * <p>The domain, its domain service, the keys and {@code TAO_HOME} live in a temporary directory
 * that is removed at the end; every process started is stopped. Run it through
 * {@code benchmarks/scripts/relay-bench.sh}, which finds the jars.
 */
public final class RelayBench {
    private static final char[] DOMAIN_PASSWORD = "relay bench domain".toCharArray();
    private static final String STORE_PASSWORD = "relay-bench";
    private static final String ECHO_BENCH = "dev.cloudproxy.tao.samples.plain.EchoBench";
    private static final String LOOPBACK = "127.0.0.1";
    private static final Duration START_WAIT = Duration.ofSeconds(90);
    private static final Duration CLIENT_WAIT = Duration.ofMinutes(10);
    private static final List<String> MODES = List.of("tcp", "tls", "wrapped", "both");
    /** TIME_WAIT rows left in the kernel's TCP table at which a mode may start. */
    private static final int SETTLED_TIME_WAIT = 100;
    private static final Pattern LISTENING = Pattern.compile("listening on (\\d+)");

    private final Options opts;
    private final Path tmp;
    private final Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    private final List<Child> children = new CopyOnWriteArrayList<>();
    private int serviceDomainPort;
    private Path policyPem;
    private Path tlsDir;

    private RelayBench(Options opts, Path tmp) {
        this.opts = opts;
        this.tmp = tmp;
    }

    record Options(Path launcher, Path samples, Path template, int connections, int warmup, int bytes,
            int streamWarmup, int rounds, int passes, int settleSeconds, List<String> modes) {
        static Options parse(String[] args) {
            Map<String, String> m = new HashMap<>();
            for (int i = 0; i < args.length; i += 2) {
                if (!args[i].startsWith("--") || i + 1 == args.length) {
                    throw new IllegalArgumentException("expected --option value pairs, got " + args[i]);
                }
                m.put(args[i].substring(2), args[i + 1]);
            }
            List<String> modes = List.of(m.getOrDefault("modes", String.join(",", MODES)).split(","));
            for (String mode : modes) {
                if (!MODES.contains(mode)) {
                    throw new IllegalArgumentException("unknown mode " + mode + " (modes: " + MODES + ")");
                }
            }
            Options o = new Options(path(m, "launcher"), path(m, "samples"), path(m, "template"),
                    Integer.parseInt(m.getOrDefault("connections", "200")), Integer.parseInt(m.getOrDefault("warmup", "1000")),
                    Integer.parseInt(m.getOrDefault("bytes", Integer.toString(16 << 20))),
                    Integer.parseInt(m.getOrDefault("stream-warmup", "5")), Integer.parseInt(m.getOrDefault("rounds", "5")),
                    Integer.parseInt(m.getOrDefault("passes", "1")), Integer.parseInt(m.getOrDefault("settle", "0")),
                    modes);
            m.keySet().removeAll(List.of("launcher", "samples", "template", "connections", "warmup", "bytes",
                    "stream-warmup", "rounds", "passes", "settle", "modes"));
            if (!m.isEmpty()) {
                throw new IllegalArgumentException("unknown options " + m.keySet());
            }
            return o;
        }

        private static Path path(Map<String, String> m, String key) {
            String v = m.get(key);
            if (v == null) {
                throw new IllegalArgumentException("--" + key + " is required");
            }
            Path p = Path.of(v).toAbsolutePath();
            if (!Files.isRegularFile(p)) {
                throw new IllegalArgumentException("no such file: " + p);
            }
            return p;
        }

        List<String> clientArgs() {
            return List.of("--connections", Integer.toString(connections), "--warmup", Integer.toString(warmup),
                    "--bytes", Integer.toString(bytes), "--stream-warmup", Integer.toString(streamWarmup),
                    "--rounds", Integer.toString(rounds));
        }
    }

    /** One mode's figures. */
    record Result(String mode, double setupMedianUs, double setupMeanUs, double setupP90Us, double coldMedianUs,
            double firstUs, double mibPerSecond) {}

    public static void main(String[] args) throws Exception {
        Options opts;
        try {
            opts = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("RelayBench: " + e.getMessage());
            System.err.println("usage: RelayBench --launcher tao-launcher.jar --samples tao-sample-apps.jar"
                    + " --template domain_template.txt [--connections 200] [--warmup 1000] [--bytes 16777216]"
                    + " [--stream-warmup 5] [--rounds 5] [--passes 1] [--settle 0] [--modes tcp,tls,wrapped,both]");
            System.exit(2);
            return;
        }
        Path tmp = Files.createTempDirectory("relay-bench-");
        RelayBench bench = new RelayBench(opts, tmp);
        Thread cleanup = new Thread(bench::stopAll, "relay-bench-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanup);
        int status = 0;
        try {
            bench.run();
        } catch (Exception e) {
            System.err.println("RelayBench: " + e);
            status = 1;
        } finally {
            bench.stopAll();
            AtomicFiles.deleteTree(tmp);
            Runtime.getRuntime().removeShutdownHook(cleanup);
        }
        System.exit(status);
    }

    private void run() throws Exception {
        String load = loadAverage();
        System.out.printf("# relay-bench: %s %s; %d cpus; load before: %s%n", System.getProperty("java.vm.name"),
                System.getProperty("java.runtime.version"), Runtime.getRuntime().availableProcessors(), load);
        System.out.printf("# connections=%d warmup=%d bytes=%d stream-warmup=%d rounds=%d passes=%d settle=%d%n",
                opts.connections, opts.warmup, opts.bytes, opts.streamWarmup, opts.rounds, opts.passes, opts.settleSeconds);
        try (Domain domain = Domain.create(tmp.resolve("domain"), liberalTemplate(), DOMAIN_PASSWORD, Argon2Params.FLOOR);
                DomainService service = DomainService.builder(domain)
                        .listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).start();
                SoftTao serverTao = SoftTao.ephemeral();
                TaoParadigm server = TaoParadigm.builder(serverTao, tmp.resolve("server-state"))
                        .policyCertificate(domain.policyCertificate()).domainService(service.address()).open();
                TaoServer taoServer = new TaoServer(TaoChannels.of(ProgramCredentials.of(
                        server.signer(), server.certificateChain(), server.policyCertificate())))) {
            serviceDomainPort = service.address().getPort();
            policyPem = Files.writeString(tmp.resolve("policy.pem"), ProgramCertificate.toPem(domain.policyCertificate()));
            tlsDir = Files.createDirectory(tmp.resolve("tls"));
            writeJdkStores(domain);
            Files.createDirectory(tmp.resolve("home"));
            Files.createDirectory(tmp.resolve("logs"));

            Map<String, List<Result>> results = new LinkedHashMap<>();
            for (int pass = 1; pass <= opts.passes; pass++) {
                for (String mode : opts.modes) {
                    settle();
                    int[] before = tcpTable();
                    String loadBefore = loadAverage();
                    Result r = switch (mode) {
                        case "tcp" -> plain(mode, List.of());
                        case "tls" -> plain(mode, tlsArgs("server"));
                        case "wrapped" -> wrapped(taoServer);
                        case "both" -> bothWrapped();
                        default -> throw new IllegalStateException(mode);
                    };
                    results.computeIfAbsent(mode, k -> new ArrayList<>()).add(r);
                    int[] after = tcpTable();
                    System.out.printf("# mode %s: kernel TCP table %d rows (%d TIME_WAIT) before, %d (%d) after;"
                            + " load %s before, %s after%n", mode, before[0], before[1], after[0], after[1], loadBefore,
                            loadAverage());
                    System.out.printf(Locale.ROOT, "result pass=%d mode=%s setup_median_us=%.1f setup_mean_us=%.1f"
                            + " setup_p90_us=%.0f cold_median_us=%.1f first_us=%.0f mib_s=%.1f%n", pass, mode,
                            r.setupMedianUs, r.setupMeanUs, r.setupP90Us, r.coldMedianUs, r.firstUs, r.mibPerSecond);
                    System.out.flush();
                }
            }
            if (taoServer.peer != null) {
                System.out.println("# the Tao-channel server saw the wrapped client as " + taoServer.peer);
            }
            summary(results);
        }
        System.out.println("# load after: " + loadAverage());
    }

    // ---- the modes

    /** tcp and tls: EchoBench server JVM and EchoBench client JVM. */
    private Result plain(String mode, List<String> tls) throws Exception {
        List<String> serve = new ArrayList<>(List.of(java.toString(), "-cp", opts.samples.toString(), ECHO_BENCH, "--serve", "0"));
        serve.addAll(tls);
        try (Child server = start(mode + "-server", serve)) {
            int port = server.awaitListening();
            List<String> client = new ArrayList<>(List.of(java.toString(), "-cp", opts.samples.toString(), ECHO_BENCH,
                    LOOPBACK, Integer.toString(port)));
            client.addAll(opts.clientArgs());
            client.addAll(tls.isEmpty() ? List.of() : tlsArgs("client"));
            return runClient(mode, client);
        }
    }

    /**
     * The EchoBench client under the launcher, to the Tao-channel server in this JVM. Each pass has
     * its own port, so its own rules, name and state (a state sealed to another name would not open).
     */
    private Result wrapped(TaoServer server) throws Exception {
        return runClient("wrapped", launcher("echo-bench-client-" + server.port(), "out 127.0.0.1 " + server.port(),
                clientArgs(server.port())));
    }

    /** Both EchoBench JVMs under the launcher: the server's listening socket takes incoming Tao channels. */
    private Result bothWrapped() throws Exception {
        int port = freePort();
        try (Child server = start("both-server", launcher("echo-bench-server-" + port, "in 127.0.0.1 " + port,
                List.of("--serve", Integer.toString(port))))) {
            server.awaitListening();
            return runClient("both", launcher("echo-bench-client-both-" + port, "out 127.0.0.1 " + port, clientArgs(port)));
        }
    }

    private List<String> clientArgs(int port) {
        List<String> a = new ArrayList<>(List.of(LOOPBACK, Integer.toString(port)));
        a.addAll(opts.clientArgs());
        return a;
    }

    /** {@code java -jar tao-launcher.jar} with one TAO rule and the domain, running EchoBench. */
    private List<String> launcher(String state, String rule, List<String> appArgs) {
        List<String> cmd = new ArrayList<>(List.of(java.toString(), "-jar", opts.launcher.toString(),
                "--state", state, "--rule", rule + " TAO",
                "--domain-service", LOOPBACK + ":" + serviceDomainPort, "--policy-cert", policyPem.toString(),
                "--main", ECHO_BENCH, opts.samples.toString()));
        cmd.addAll(appArgs);
        return cmd;
    }

    private Result runClient(String mode, List<String> cmd) throws Exception {
        try (Child c = start(mode + "-client", cmd)) {
            if (!c.process.waitFor(CLIENT_WAIT.toSeconds(), TimeUnit.SECONDS)) {
                throw new IOException(mode + ": the client did not finish within " + CLIENT_WAIT);
            }
            c.reader.join(10_000);
            if (c.process.exitValue() != 0) {
                throw new IOException(mode + ": the client exited with " + c.process.exitValue() + ": " + c.errTail());
            }
            Map<String, String> setup = c.figures("setup");
            Map<String, String> cold = c.figures("setup-cold");
            Map<String, String> throughput = c.figures("throughput");
            return new Result(mode, Double.parseDouble(setup.get("median_us")), Double.parseDouble(setup.get("mean_us")),
                    Double.parseDouble(setup.get("p90_us")), Double.parseDouble(cold.get("median_us")),
                    Double.parseDouble(setup.get("first_us")),
                    Double.parseDouble(throughput.get("median_mib_s")));
        }
    }

    // ---- the summary

    private void summary(Map<String, List<Result>> results) {
        Map<String, Result> m = new LinkedHashMap<>();
        results.forEach((mode, rs) -> m.put(mode, medianOf(mode, rs)));
        System.out.println();
        System.out.printf(Locale.ROOT, "%-9s %13s %13s %12s %13s %10s %9s%n", "mode", "setup med us", "setup mean us",
                "setup p90 us", "cold med us", "first us", "MiB/s");
        for (Result r : m.values()) {
            System.out.printf(Locale.ROOT, "%-9s %13.0f %13.0f %12.0f %13.0f %10.0f %9.1f%n", r.mode, r.setupMedianUs,
                    r.setupMeanUs, r.setupP90Us, r.coldMedianUs, r.firstUs, r.mibPerSecond);
        }
        for (String wrapped : List.of("wrapped", "both")) {
            for (String base : List.of("tls", "tcp")) {
                Result w = m.get(wrapped);
                Result b = m.get(base);
                if (w != null && b != null) {
                    System.out.printf(Locale.ROOT, "# %s / %s: setup %.2fx (cold %.2fx), throughput %.2fx%n", wrapped,
                            base, w.setupMedianUs / b.setupMedianUs, w.coldMedianUs / b.coldMedianUs,
                            w.mibPerSecond / b.mibPerSecond);
                }
            }
        }
    }

    /** The median of each figure over the passes. */
    private static Result medianOf(String mode, List<Result> rs) {
        return new Result(mode, median(rs.stream().mapToDouble(Result::setupMedianUs).toArray()),
                median(rs.stream().mapToDouble(Result::setupMeanUs).toArray()),
                median(rs.stream().mapToDouble(Result::setupP90Us).toArray()),
                median(rs.stream().mapToDouble(Result::coldMedianUs).toArray()),
                median(rs.stream().mapToDouble(Result::firstUs).toArray()),
                median(rs.stream().mapToDouble(Result::mibPerSecond).toArray()));
    }

    private static double median(double[] xs) {
        Arrays.sort(xs);
        int n = xs.length;
        return n % 2 == 1 ? xs[n / 2] : (xs[n / 2 - 1] + xs[n / 2]) / 2;
    }

    // ---- set-up

    /** The project's template with a liberal guard and no rules: every attested program is certified. */
    private DomainTemplate liberalTemplate() throws Exception {
        String text = Files.readAllLines(opts.template).stream()
                .filter(l -> !l.startsWith("rule"))
                .map(l -> l.startsWith("guard") ? "guard = liberal" : l)
                .collect(Collectors.joining("\n", "", "\n"));
        return DomainTemplate.parse(text.getBytes(StandardCharsets.UTF_8), "template");
    }

    /**
     * PKCS#12 stores for the plain-TLS baseline: a P-256 key and program certificate each for the
     * EchoBench server and client, issued by the same domain's policy key, and the policy
     * certificate as the one trust anchor, as the Tao channel has.
     */
    private void writeJdkStores(Domain domain) throws Exception {
        char[] pw = STORE_PASSWORD.toCharArray();
        String[] names = {"server", "client"};
        for (int i = 0; i < names.length; i++) {
            try (Signer key = Signer.generate()) {
                byte[] hash = new byte[32];
                hash[0] = (byte) (i + 1);
                Prin name = key.principal().extend(PrinExt.of("Program", new Bytes(hash)));
                X509Certificate cert = domain.issueCertificate(key.verifier(), name, Duration.ofDays(1), Instant.now());
                KeyStore ks = KeyStore.getInstance("PKCS12");
                ks.load(null, null);
                ks.setKeyEntry("me", key.toJcaPrivateKey(), pw, new X509Certificate[] {cert});
                store(ks, tlsDir.resolve(names[i] + ".p12"), pw);
            }
        }
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("policy", domain.policyCertificate());
        store(trust, tlsDir.resolve("trust.p12"), pw);
    }

    private static void store(KeyStore ks, Path file, char[] pw) throws Exception {
        try (OutputStream out = Files.newOutputStream(file)) {
            ks.store(out, pw);
        }
    }

    private List<String> tlsArgs(String side) {
        return List.of("--tls-keystore", tlsDir.resolve(side + ".p12").toString(),
                "--tls-truststore", tlsDir.resolve("trust.p12").toString(), "--tls-password", STORE_PASSWORD);
    }

    /**
     * Rows of the kernel's TCP tables ({@code /proc/net/tcp}, {@code tcp6}) and how many of them are
     * TIME_WAIT. Every closed loopback connection leaves one for 60 s, and the relay's own-process
     * check reads the whole table per connection, so its size is part of the conditions of a run.
     */
    private static int[] tcpTable() {
        int rows = 0;
        int timeWait = 0;
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            try {
                List<String> lines = Files.readAllLines(Path.of(table), StandardCharsets.US_ASCII);
                for (String l : lines.subList(Math.min(1, lines.size()), lines.size())) {
                    rows++;
                    String[] f = l.strip().split("\\s+");
                    if (f.length > 3 && f[3].equals("06")) {
                        timeWait++;
                    }
                }
            } catch (IOException e) {
                // no such table: nothing in it
            }
        }
        return new int[] {rows, timeWait};
    }

    /** Waits (at most --settle seconds) until the previous mode's TIME_WAIT rows are gone. */
    private void settle() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(opts.settleSeconds);
        boolean said = false;
        for (int[] t = tcpTable(); t[1] > SETTLED_TIME_WAIT && System.nanoTime() < deadline; t = tcpTable()) {
            if (!said) {
                System.out.printf("# waiting up to %d s for %d TIME_WAIT rows in the kernel TCP table to expire%n",
                        opts.settleSeconds, t[1]);
                said = true;
            }
            Thread.sleep(1000);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException e) {
            return "unknown";
        }
    }

    // ---- child processes

    private Child start(String name, List<String> cmd) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().clear();
        pb.environment().put("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
        pb.environment().put("HOME", tmp.toString());
        pb.environment().put("TAO_HOME", tmp.resolve("home").toString());
        Path err = tmp.resolve("logs").resolve(name + ".err");
        pb.redirectError(err.toFile());
        pb.redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
        Child c = new Child(name, pb.start(), err);
        children.add(c);
        return c;
    }

    private void stopAll() {
        for (Child c : children) {
            c.close();
        }
    }

    /** A started JVM (or launcher and its app); closing stops it and whatever it started. */
    private final class Child implements AutoCloseable {
        final String name;
        final Process process;
        final Path err;
        final LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
        final List<String> out = new CopyOnWriteArrayList<>();
        final Thread reader;

        Child(String name, Process process, Path err) {
            this.name = name;
            this.process = process;
            this.err = err;
            this.reader = new Thread(this::read, "relay-bench-out " + name);
            reader.setDaemon(true);
            reader.start();
        }

        private void read() {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String l; (l = r.readLine()) != null; ) {
                    out.add(l);
                    lines.add(l);
                }
            } catch (IOException e) {
                // the process is gone
            }
        }

        /** The port of the first "listening on PORT" line; fails if the process ends or takes too long. */
        int awaitListening() throws IOException, InterruptedException {
            long deadline = System.nanoTime() + START_WAIT.toNanos();
            while (System.nanoTime() < deadline) {
                String l = lines.poll(100, TimeUnit.MILLISECONDS);
                if (l != null) {
                    Matcher m = LISTENING.matcher(l);
                    if (m.matches()) {
                        return Integer.parseInt(m.group(1));
                    }
                } else if (!process.isAlive()) {
                    throw new IOException(name + " exited with " + process.exitValue() + " before listening: " + errTail());
                }
            }
            throw new IOException(name + " did not listen within " + START_WAIT);
        }

        /** The key=value pairs of the client's {@code echo-bench KIND ...} line. */
        Map<String, String> figures(String kind) throws IOException {
            String prefix = "echo-bench " + kind + " ";
            for (String l : out) {
                if (l.startsWith(prefix)) {
                    Map<String, String> m = new HashMap<>();
                    for (String kv : l.substring(prefix.length()).split(" ")) {
                        int eq = kv.indexOf('=');
                        m.put(kv.substring(0, eq), kv.substring(eq + 1));
                    }
                    return m;
                }
            }
            throw new IOException(name + " printed no '" + prefix.trim() + "' line: " + out + " " + errTail());
        }

        /** The last lines of its standard error, on one line. */
        String errTail() {
            try {
                List<String> l = Files.readAllLines(err);
                return String.join(" | ", l.subList(Math.max(0, l.size() - 3), l.size()));
            } catch (IOException e) {
                return "(no standard error)";
            }
        }

        @Override
        public void close() {
            List<ProcessHandle> descendants = process.descendants().collect(Collectors.toList());
            process.destroy(); // the launcher stops its app in a shutdown hook
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    process.waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            for (ProcessHandle h : descendants) {
                if (h.isAlive()) {
                    h.destroyForcibly();
                }
            }
            children.remove(this);
        }
    }

    // ---- the Tao-channel server in this JVM

    /**
     * EchoBench's server protocol ({@code sink N} reads N bytes and answers {@code ok N}, any other
     * line is echoed as {@code echo: LINE}) on a Tao channel listener: TLS 1.3 with this server's
     * program certificate, clients verified against the policy certificate.
     */
    private static final class TaoServer implements AutoCloseable {
        private final TaoChannels channels;
        private final SSLServerSocket listener;
        private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "relay-bench-tao-server");
            t.setDaemon(true);
            return t;
        });
        volatile Prin peer;

        TaoServer(TaoChannels channels) throws IOException {
            this.channels = channels;
            this.listener = (SSLServerSocket) channels.sslContext().getServerSocketFactory()
                    .createServerSocket(0, 50, InetAddress.getLoopbackAddress());
            pool.execute(this::acceptLoop);
        }

        int port() {
            return listener.getLocalPort();
        }

        private void acceptLoop() {
            while (!listener.isClosed()) {
                try {
                    Socket s = listener.accept();
                    pool.execute(() -> answer((SSLSocket) s));
                } catch (IOException e) {
                    return;
                }
            }
        }

        /** Records the first client's verified name, then serves the connection as EchoBench does. */
        private void answer(SSLSocket socket) {
            try {
                socket.startHandshake();
                if (peer == null) {
                    peer = channels.peerPrincipal(socket.getSession());
                }
            } catch (IOException | RuntimeException e) {
                System.err.println("relay-bench: Tao-channel server connection failed: " + e);
                try {
                    socket.close();
                } catch (IOException ignored) {
                    // closing anyway
                }
                return;
            }
            EchoBench.serveConnection(socket);
        }

        @Override
        public void close() throws IOException {
            listener.close();
            pool.shutdownNow();
        }
    }
}
