package dev.cloudproxy.tao.launch;

import dev.cloudproxy.tao.attestation.Attestation;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.channel.PeerRefusedException;
import dev.cloudproxy.tao.channel.TaoChannels;
import dev.cloudproxy.tao.guard.Guard;
import dev.cloudproxy.tao.host.ProgramRunner;
import dev.cloudproxy.tao.host.ProgramStartException;
import dev.cloudproxy.tao.host.RunningProgram;
import dev.cloudproxy.tao.launch.LaunchProtocol.Request;
import dev.cloudproxy.tao.launch.LaunchProtocol.Response;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.net.ssl.SSLSocket;

/**
 * The attestable launcher: a host's TLS service that starts a program of its
 * {@link LaunchCatalog} for a remote client and answers with what the program printed and a
 * <em>launch record</em> the host signed, {@code host says Launched(...)} ({@link LaunchRecord}),
 * with the host certificate. A client (or anyone it shows the record to) checks it offline with
 * {@link LaunchRecordVerifier} and the domain's policy certificate: it then trusts the host's
 * certificate and the measurement in the record, not the operator's word.
 *
 * <p>Guarantees:
 * <ul>
 *   <li><b>Who may launch</b>: TLS 1.3 with the host's key and host certificate; the client must
 *       present a program certificate of the same domain (a program's, or one the policy key
 *       issued to an operator's key principal), and the client's principal is the one that
 *       certificate names, checked now and against the CRL if the channels have a
 *       {@link dev.cloudproxy.tao.channel.RevocationChecker}. The host's guard must hold
 *       {@code Authorized(client, "Launch", "name")}; then, as for every program of the host,
 *       {@code Authorized(program, "Execute")} for the measured name.
 *   <li><b>Nothing is started</b> for an unknown name, a client the guard does not authorize,
 *       arguments the catalog entry does not allow, or a busy host: those are answered with
 *       {@code LaunchRefused} before any file is read.
 *   <li><b>What is recorded is what ran</b>: the host measures and copies the catalog path at each
 *       launch ({@link ProgramRunner}), so the record names the code that ran, also after the file
 *       was replaced; the record carries the client's nonce, the process id, the SHA-256 of all of
 *       standard output and the exit status.
 *   <li><b>Nothing remains</b>: the record is signed only after the program exited and the host
 *       released its private copies; a program that prints more than the output bound or runs
 *       longer than the run time limit is killed (with its descendants) and gets no record.
 *   <li><b>Bounded</b> (ARCHITECTURE rule 14): connections in all and per client principal,
 *       concurrent launches, request size, the handshake and request time, output size and run
 *       time ({@link Limits}).
 * </ul>
 * Refusals name the reason (names and facts, never key material); internal errors are logged and
 * answered without detail. Thread-safe.
 */
public final class LaunchService implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(LaunchService.class.getName());
    /** The operation the guard is asked about: {@code Authorized(client, "Launch", "name")}. */
    public static final String OPERATION = "Launch";
    /**
     * What an interactive program writes as its first line of standard output once it listens:
     * {@code TAO-LAUNCH-READY <port> <hex of its attestation "P says key(K) speaksfor P">
     * <hex of K, PKIX>}, where {@code K} is the key its TLS server presents.
     */
    public static final String READY = "TAO-LAUNCH-READY";
    /** Longest ready line. */
    public static final int MAX_READY_LINE = 64 * 1024;
    /** How long a launch record stays valid after the launch. */
    public static final Duration RECORD_LIFETIME = Duration.ofDays(7);

    /**
     * The service's bounds.
     *
     * @param maxConnections connections served at once, in all
     * @param maxConnectionsPerClient connections of one client principal at once
     * @param maxConcurrentLaunches programs running for clients at once
     * @param maxOutputBytes standard output a program may print (more: killed, no record)
     * @param runTimeout how long a run may take (longer: killed, no record)
     * @param requestTimeout how long a client has for its handshake and its request
     */
    public record Limits(int maxConnections, int maxConnectionsPerClient, int maxConcurrentLaunches,
            int maxOutputBytes, Duration runTimeout, Duration requestTimeout) {
        public static final Limits DEFAULT = new Limits(64, 4, 4, 256 * 1024, Duration.ofMinutes(1),
                Duration.ofSeconds(10));

        public Limits {
            if (maxConnections < 1 || maxConnectionsPerClient < 1 || maxConcurrentLaunches < 1 || maxOutputBytes < 0
                    || maxOutputBytes > LaunchProtocol.MAX_RESPONSE_BYTES / 2) {
                throw new IllegalArgumentException("launch service limits out of range");
            }
            Objects.requireNonNull(runTimeout, "runTimeout");
            Objects.requireNonNull(requestTimeout, "requestTimeout");
        }
    }

    private final TaoChannels channels;
    private final ProgramRunner runner;
    private final Guard guard;
    private final LaunchCatalog catalog;
    private final Limits limits;
    private final byte[] hostCertificate;
    private final ServerSocket server;
    private final ExecutorService workers = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "tao-launch-service");
        t.setDaemon(true);
        return t;
    });
    private final Semaphore connections;
    private final Semaphore launches;
    private final Map<Prin, Integer> perClient = new ConcurrentHashMap<>();
    /**
     * Connections per source address, counted from the accept on: before a handshake names the
     * client only its address bounds it, so one machine stalling handshakes holds at most half
     * of the slots ({@link #maxPerSource}) and others are still served.
     */
    private final Map<java.net.InetAddress, Integer> perSource = new ConcurrentHashMap<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Thread acceptor;

    private LaunchService(TaoChannels channels, ProgramRunner runner, Guard guard, LaunchCatalog catalog, Limits limits,
            ServerSocket server) throws CertificateEncodingException {
        this.channels = channels;
        this.runner = runner;
        this.guard = guard;
        this.catalog = catalog;
        this.limits = limits;
        this.server = server;
        this.hostCertificate = channels.credentials().certificate().getEncoded();
        this.connections = new Semaphore(limits.maxConnections());
        this.launches = new Semaphore(limits.maxConcurrentLaunches());
        this.acceptor = new Thread(this::acceptLoop, "tao-launch-service-accept");
        acceptor.setDaemon(true);
    }

    /**
     * Serves on {@code address}.
     *
     * @param channels the host's channels: its key, its host certificate and the domain's policy
     *     certificate (and a revocation checker, if clients' certificates are to be checked
     *     against the CRL)
     * @param runner the host's program runner; its host signs the records
     * @param guard the host's guard
     */
    public static LaunchService start(InetSocketAddress address, TaoChannels channels, ProgramRunner runner,
            Guard guard, LaunchCatalog catalog, Limits limits) throws IOException {
        ServerSocket server = channels.sslContext().getServerSocketFactory().createServerSocket();
        try {
            server.bind(address);
            LaunchService s = new LaunchService(Objects.requireNonNull(channels), Objects.requireNonNull(runner),
                    Objects.requireNonNull(guard), Objects.requireNonNull(catalog), Objects.requireNonNull(limits),
                    server);
            s.acceptor.start();
            LOG.log(Level.INFO, "launch service on " + s.address() + " for " + channels.credentials().principal());
            return s;
        } catch (IOException | RuntimeException e) {
            server.close();
            throw e;
        } catch (CertificateEncodingException e) {
            server.close();
            throw new IOException("the host certificate does not encode", e);
        }
    }

    /** The address it listens on (with the port chosen when bound to port 0). */
    public InetSocketAddress address() {
        return (InetSocketAddress) server.getLocalSocketAddress();
    }

    private void acceptLoop() {
        while (!closed.get()) {
            Socket s;
            try {
                s = server.accept();
            } catch (IOException e) {
                if (!closed.get()) {
                    LOG.log(Level.WARNING, "launch service: accept failed: " + e.getMessage());
                }
                continue;
            }
            java.net.InetAddress source = s.getInetAddress();
            if (perSource.merge(source, 1, Integer::sum) > maxPerSource()) {
                leave(source);
                closeQuietly(s); // this source holds its share: turned away before any handshake work
                continue;
            }
            if (!connections.tryAcquire()) {
                leave(source);
                closeQuietly(s); // at the bound: turned away before any handshake work
                continue;
            }
            try {
                workers.execute(() -> {
                    try {
                        serve((SSLSocket) s);
                    } finally {
                        connections.release();
                        leave(source);
                        closeQuietly(s);
                    }
                });
            } catch (RuntimeException e) {
                connections.release();
                leave(source);
                closeQuietly(s);
            }
        }
    }

    /** Connections one source address may hold at once: half of all, at least one. */
    int maxPerSource() {
        return Math.max(1, limits.maxConnections() / 2);
    }

    private void leave(java.net.InetAddress source) {
        perSource.computeIfPresent(source, (a, n) -> n == 1 ? null : n - 1);
    }

    /** Connections {@code source} holds now (tests). */
    int connectionsFrom(java.net.InetAddress source) {
        return perSource.getOrDefault(source, 0);
    }

    private void serve(SSLSocket socket) {
        Prin client;
        try {
            socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, limits.requestTimeout().toMillis()));
            socket.startHandshake();
            client = channels.checkPeer(socket.getSession());
        } catch (PeerRefusedException e) {
            LOG.log(Level.INFO, "launch service: client refused: " + e.getMessage());
            return;
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "launch service: handshake failed: " + e.getMessage());
            return;
        }
        // Counted and uncounted atomically per principal (merge/computeIfPresent), so a count
        // removed at zero is never incremented behind the map's back.
        int count = perClient.merge(client, 1, Integer::sum);
        try {
            if (count > limits.maxConnectionsPerClient()) {
                respond(socket, Response.refused("too many connections from " + client));
                return;
            }
            Request request;
            try {
                request = LaunchProtocol.decodeRequest(LaunchProtocol.read(socket.getInputStream(),
                        LaunchProtocol.MAX_REQUEST_BYTES));
            } catch (LaunchProtocol.ProtocolException e) {
                respond(socket, Response.refused("bad request: " + e.getMessage()));
                return;
            }
            socket.setSoTimeout(0);
            respond(socket, launch(client, request, socket.getLocalAddress().getHostAddress()));
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "launch service: connection of " + client + " failed: " + e.getMessage());
        } finally {
            perClient.computeIfPresent(client, (c, n) -> n == 1 ? null : n - 1);
        }
    }

    private static void respond(SSLSocket socket, Response r) throws IOException {
        LaunchProtocol.write(socket.getOutputStream(), LaunchProtocol.encode(r));
    }

    /**
     * Decides and, if allowed, runs one launch; never throws for what the client sent.
     * {@code endpointHost} is the address the client reached this service at: an interactive
     * program's endpoint is that address and the port the program announced.
     */
    Response launch(Prin client, Request request, String endpointHost) {
        LaunchCatalog.Entry entry = catalog.find(request.name()).orElse(null);
        if (entry == null) {
            return Response.refused("no program named \"" + request.name() + "\" in this host's launch catalog");
        }
        if (!guard.isAuthorized(client, OPERATION, List.of(entry.name()))) {
            return Response.refused("the host's guard does not authorize " + client + " to launch \"" + entry.name()
                    + "\": it needs Authorized(" + client + ", \"" + OPERATION + "\", \"" + entry.name() + "\")");
        }
        if (request.nonce().length < LaunchRecord.MIN_NONCE || request.nonce().length > LaunchRecord.MAX_NONCE) {
            return Response.refused("a nonce is " + LaunchRecord.MIN_NONCE + " to " + LaunchRecord.MAX_NONCE + " bytes");
        }
        dev.cloudproxy.tao.host.ProgramSpec spec;
        try {
            spec = entry.spec(request.args());
        } catch (IllegalArgumentException e) {
            return Response.refused(e.getMessage());
        }
        if (!launches.tryAcquire()) {
            return Response.refused("the host runs " + limits.maxConcurrentLaunches() + " launches already; try later");
        }
        if (entry.mode().equals(LaunchCatalog.INTERACTIVE)) {
            // The permit stays taken while the program runs: interactive programs count against
            // the bound until they exit.
            try {
                return runInteractive(client, entry, spec, request.nonce(), endpointHost);
            } catch (RuntimeException e) {
                LOG.log(Level.ERROR, "launch service: launch of " + entry.name() + " failed", e);
                return Response.refused("internal error");
            }
        }
        try {
            return runToCompletion(client, entry, spec, request.nonce());
        } catch (RuntimeException | NoSuchAlgorithmException e) {
            LOG.log(Level.ERROR, "launch service: launch of " + entry.name() + " failed", e);
            return Response.refused("internal error");
        } finally {
            launches.release();
        }
    }

    /** Starts an interactive program, waits for its ready line and signs a record naming its endpoint and key. */
    private Response runInteractive(Prin client, LaunchCatalog.Entry entry, dev.cloudproxy.tao.host.ProgramSpec spec,
            byte[] nonce, String endpointHost) {
        RunningProgram p;
        try {
            p = runner.start(spec, true);
        } catch (ProgramStartException e) {
            launches.release();
            return Response.refused("the host did not start \"" + entry.name() + "\": " + e.getMessage());
        }
        p.exit().whenComplete((status, failure) -> launches.release());
        LOG.log(Level.INFO, "launch service: " + client + " launched \"" + entry.name() + "\" (interactive) as program "
                + p.id());
        CompletableFuture<Void> deadline = CompletableFuture.runAsync(() -> {
            p.kill(); // no ready line in time; a program that announced itself is not killed (cancelled below)
        }, CompletableFuture.delayedExecutor(limits.runTimeout().toMillis(), TimeUnit.MILLISECONDS));
        closeQuietly(p.process().getOutputStream());
        workers.execute(() -> discard(p.process().getErrorStream()));
        InputStream out = p.process().getInputStream();
        Ready ready;
        try {
            ready = Ready.parse(readLine(out, MAX_READY_LINE));
        } catch (IOException | dev.cloudproxy.tao.VerificationException e) {
            p.kill();
            return Response.refused("\"" + entry.name() + "\" did not announce an endpoint and a Tao-attested key: "
                    + e.getMessage());
        } finally {
            deadline.cancel(false);
        }
        // Keep reading, so that a program that prints more does not block on a full pipe.
        workers.execute(() -> discard(out));
        Prin program;
        try {
            program = ready.check(runner.host(), p.name());
        } catch (dev.cloudproxy.tao.VerificationException e) {
            p.kill();
            return Response.refused("\"" + entry.name() + "\" announced a key its Tao did not attest: " + e.getMessage());
        }
        String endpoint = (endpointHost.contains(":") ? "[" + endpointHost + "]" : endpointHost) + ":" + ready.port();
        LaunchRecord record = new LaunchRecord(program, entry.name(), nonce, p.pid(), LaunchCatalog.INTERACTIVE,
                endpoint, ready.key(), new byte[0], -1);
        Attestation signed = runner.host().say(record.toForm(), RECORD_LIFETIME);
        return new Response(new byte[0], signed.serialize(), hostCertificate, null);
    }

    /** One line of at most {@code max} bytes, without its newline. */
    private static String readLine(InputStream in, int max) throws IOException {
        java.io.ByteArrayOutputStream line = new java.io.ByteArrayOutputStream();
        for (int b = in.read(); b != '\n'; b = in.read()) {
            if (b < 0) {
                throw new IOException("it exited or closed its output first");
            }
            if (line.size() == max) {
                throw new IOException("its first line is longer than " + max + " bytes");
            }
            line.write(b);
        }
        return line.toString(java.nio.charset.StandardCharsets.US_ASCII);
    }

    private Response runToCompletion(Prin client, LaunchCatalog.Entry entry, dev.cloudproxy.tao.host.ProgramSpec spec,
            byte[] nonce) throws NoSuchAlgorithmException {
        RunningProgram p;
        try {
            p = runner.start(spec, true);
        } catch (ProgramStartException e) {
            return Response.refused("the host did not start \"" + entry.name() + "\": " + e.getMessage());
        }
        LOG.log(Level.INFO, "launch service: " + client + " launched \"" + entry.name() + "\" as program " + p.id());
        AtomicBoolean timedOut = new AtomicBoolean();
        CompletableFuture<Void> deadline = CompletableFuture.runAsync(() -> {
            if (p.isRunning()) {
                timedOut.set(true);
                p.kill();
            }
        }, CompletableFuture.delayedExecutor(limits.runTimeout().toMillis(), TimeUnit.MILLISECONDS));
        try {
            closeQuietly(p.process().getOutputStream());
            workers.execute(() -> discard(p.process().getErrorStream()));
            byte[] output;
            boolean over;
            try (InputStream out = p.process().getInputStream()) {
                output = out.readNBytes(limits.maxOutputBytes() + 1);
                over = output.length > limits.maxOutputBytes();
            } catch (IOException e) {
                p.kill();
                return Response.refused("reading the output of \"" + entry.name() + "\" failed");
            }
            if (over) {
                p.kill();
            }
            int status;
            try {
                status = p.exit().get(limits.runTimeout().toMillis() + 10_000, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                p.kill();
                return Response.refused("the host is stopping");
            } catch (ExecutionException | TimeoutException e) {
                p.kill();
                return Response.refused("\"" + entry.name() + "\" did not end");
            }
            if (over) {
                return Response.refused("\"" + entry.name() + "\" printed more than " + limits.maxOutputBytes()
                        + " bytes; it was killed, and there is no record");
            }
            if (timedOut.get()) {
                return Response.refused("\"" + entry.name() + "\" ran longer than " + limits.runTimeout()
                        + "; it was killed, and there is no record");
            }
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(output);
            LaunchRecord record = new LaunchRecord(p.name(), entry.name(), nonce, p.pid(), LaunchCatalog.RUN, "",
                    new byte[0], digest, status);
            Attestation signed = runner.host().say(record.toForm(), RECORD_LIFETIME);
            return new Response(output, signed.serialize(), hostCertificate, null);
        } finally {
            deadline.cancel(false);
        }
    }

    private static void discard(InputStream in) {
        try (in) {
            in.transferTo(OutputStream.nullOutputStream());
        } catch (IOException e) {
            // The program is gone.
        }
    }

    private static void closeQuietly(java.io.Closeable c) {
        try {
            c.close();
        } catch (IOException e) {
            // Closing anyway.
        }
    }

    /** Stops listening and waits (briefly) for connections being served; running launches end with the host. */
    @Override
    public void close() throws IOException {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        server.close();
        workers.shutdown();
        try {
            acceptor.join(5_000);
            workers.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        workers.shutdownNow();
    }

    @Override
    public String toString() {
        return "LaunchService[" + address() + "]";
    }
}
