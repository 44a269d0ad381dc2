package dev.cloudproxy.tao.domainservice;

import com.google.protobuf.ByteString;
import dev.cloudproxy.tao.TaoException;
import dev.cloudproxy.tao.VerificationException;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.domain.Domain;
import dev.cloudproxy.tao.domain.DomainServiceProtocol;
import dev.cloudproxy.tao.domain.DomainServiceProtocol.FrameException;
import dev.cloudproxy.tao.domain.Enrollment;
import dev.cloudproxy.tao.keys.Signer;
import dev.cloudproxy.tao.events.TaoEvents;
import dev.cloudproxy.tao.keys.Verifier;
import dev.cloudproxy.tao.metrics.Metrics;
import dev.cloudproxy.tao.proto.DomainServiceProtos.DomainServiceRequest;
import dev.cloudproxy.tao.proto.DomainServiceProtos.DomainServiceResponse;
import dev.cloudproxy.tao.proto.DomainServiceProtos.DomainServiceStatus;
import dev.cloudproxy.tao.proto.DomainServiceProtos.EnrollBegin;
import dev.cloudproxy.tao.proto.DomainServiceProtos.EnrollChallenge;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.CRLException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;

/**
 * The domain service: a TLS 1.3 server that turns attestations into program certificates signed
 * by the domain's policy key ({@link Certifier} decides), records what it issued in its
 * {@link DomainStore} (files by default, or PostgreSQL shared by replicas), serves the CRL, and writes
 * one audit record per decision.
 *
 * <p><b>Replicas.</b> Several services of one domain may share one {@link PostgresStore}: each
 * makes its own TLS key (every one certified by the policy key for the same service principal),
 * the store keeps serials unique and the CRL number monotonic, and a revocation recorded through
 * any of them is in the CRL each serves next. A certificate is durably recorded in the store and
 * audited before it is sent, so a replica killed at any point has sent nothing unrecorded.
 *
 * <p><b>Group commit.</b> Certificates issued while the store is committing others are recorded
 * together with their audit records in its next commit ({@link DomainStore#recordIssued}: one
 * {@code fsync} of the journal and one of the audit log for files, one transaction for PostgreSQL),
 * and each is sent only after that commit returned; if it fails, every request of the batch is
 * answered {@code INTERNAL} and nothing of it was recorded.
 *
 * <p>The service authenticates itself with a fresh key generated at start, for which the policy
 * key issues a certificate naming {@link DomainServiceProtocol#servicePrincipal}; clients
 * ({@link dev.cloudproxy.tao.domain.DomainServiceClient}) accept nothing else. Clients are not
 * authenticated by TLS: their attestations are the evidence.
 *
 * <p><b>Robustness.</b> Each connection has its own thread, a handshake deadline, a read
 * timeout (also the time a connection may wait idle for its next request: clients may keep
 * connections for up to {@value #MAX_REQUESTS_PER_CONNECTION} requests), and a deadline after
 * which it is closed whatever it is doing; at most
 * {@code maxConnections} are served at once, and at most {@code maxConnectionsPerSource} from one
 * source (an IPv4 address, or an IPv6 /64 network); further ones are closed at once. Frames are
 * bounded. The TLS handshake happens on the connection's thread, never on the accepting one. A
 * malformed, slow or hostile client therefore costs one thread for at most the deadline, never
 * blocks the others, and one source cannot hold more than its share of the connections. Failed
 * connections are audited through an {@link AuditThrottle}: a flood becomes a few lines and a
 * counted summary per source and interval, not one line per connection.
 */
public final class DomainService implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(DomainService.class.getName());
    /** Requests one connection may make before the service closes it. */
    static final int MAX_REQUESTS_PER_CONNECTION = DomainServiceProtocol.MAX_REQUESTS_PER_CONNECTION;
    /** Lifetime of the service's own TLS certificate (capped by the policy certificate's). */
    static final Duration SERVICE_CERT_LIFETIME = Duration.ofDays(365);
    /** {@code bad-request} lines written one by one per source and audit interval; the rest are counted. */
    static final int AUDIT_LINES_PER_SOURCE = 10;
    /** Sources the audit throttle tells apart per interval; more are counted together. */
    static final int AUDIT_MAX_SOURCES = 1024;

    private final Domain domain;
    private final DomainStore store;
    private final CertificateStore registry;
    private final Certifier certifier;
    private final PolicyPublisher policy;
    private final Enroller enroller;
    private final AuditSink audit;
    private final AuditThrottle throttle;
    private final Clock clock;
    private final Signer serviceKey;
    private final X509Certificate serviceCertificate;
    private final SSLServerSocket server;
    private final ThreadPoolExecutor workers;
    private final ScheduledExecutorService deadlines;
    private final Semaphore permits;
    private final int maxConnections;
    private final int maxPerSource;
    // Guarded by itself: connections being served, per source.
    private final Map<String, Integer> perSource = new HashMap<>();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong accepted = new AtomicLong();
    private final int readTimeoutMillis;
    private final Duration handshakeTimeout;
    private final Duration connectionDeadline;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final Thread acceptor;
    private final CountDownLatch closed = new CountDownLatch(1);
    private volatile boolean closing;
    private final Metrics metrics = new Metrics();
    private final Metrics.Counter decisions = metrics.counter("tao_domain_service_decisions_total",
            "Decisions of the domain service, as audited (bad requests counted one by one, also when the audit"
                    + " log summarizes them).", "decision");
    private final Metrics.Counter refusals = metrics.counter("tao_domain_service_refusals_total",
            "Certification requests refused, by the check that refused them.", "reason");
    private final Metrics.Counter handshakes = metrics.counter("tao_domain_service_handshakes_total",
            "TLS handshakes with clients, by result (ok, failed, timeout).", "result");
    private final Metrics.Counter policyRequests = metrics.counter("tao_domain_service_policy_requests_total",
            "Signed rule files served (GET_POLICY).");
    private final Metrics.Counter crlRequests = metrics.counter("tao_domain_service_crl_requests_total",
            "CRL requests answered.");
    // The thisUpdate of the newest CRL served or read at start, in epoch seconds.
    private volatile long crlThisUpdate;

    private DomainService(Builder b, Signer serviceKey, X509Certificate serviceCertificate, SSLServerSocket server,
            DomainStore store) {
        this.domain = b.domain;
        this.clock = b.clock;
        this.store = store;
        this.registry = store.certificates();
        this.certifier = new Certifier(b.domain, registry, b.lifetime, b.clock);
        this.policy = new PolicyPublisher(b.domain);
        this.enroller = new Enroller(b.domain, registry, b.lifetime, b.clock);
        this.audit = store.audit();
        this.throttle = new AuditThrottle(audit, AUDIT_LINES_PER_SOURCE, AUDIT_MAX_SOURCES, b.auditInterval);
        this.serviceKey = serviceKey;
        this.serviceCertificate = serviceCertificate;
        this.server = server;
        this.permits = new Semaphore(b.maxConnections);
        this.maxConnections = b.maxConnections;
        this.maxPerSource = b.maxConnectionsPerSource;
        this.readTimeoutMillis = (int) b.readTimeout.toMillis();
        this.handshakeTimeout = b.handshakeTimeout;
        this.connectionDeadline = b.connectionDeadline;
        AtomicInteger n = new AtomicInteger();
        this.workers = new ThreadPoolExecutor(0, b.maxConnections, 30, TimeUnit.SECONDS, new SynchronousQueue<>(),
                r -> daemon(r, "domain-service-" + n.incrementAndGet()));
        this.deadlines = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "domain-service-deadlines"));
        this.acceptor = daemon(this::acceptLoop, "domain-service-accept");
        metrics.gauge("tao_domain_service_connections_open", "Client connections being served.", open::size);
        metrics.gauge("tao_domain_service_crl_age_seconds", "Seconds since the thisUpdate of the newest CRL served.",
                () -> crlThisUpdate == 0 ? Double.NaN : clock.instant().getEpochSecond() - crlThisUpdate);
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /** A service for {@code domain}, which must be open with its policy key and stays the caller's to close. */
    public static Builder builder(Domain domain) {
        return new Builder(domain);
    }

    /** Configuration; every setting has a default. */
    public static final class Builder {
        private final Domain domain;
        private InetSocketAddress listen = new InetSocketAddress(InetAddress.getLoopbackAddress(),
                DomainServiceProtocol.DEFAULT_PORT);
        private Duration lifetime = Duration.ofDays(30);
        private Path auditFile;
        private DomainStore store;
        private Clock clock = Clock.systemUTC();
        private int maxConnections = 256;
        private int maxConnectionsPerSource = 32;
        private Duration handshakeTimeout = Duration.ofSeconds(5);
        private Duration readTimeout = Duration.ofSeconds(10);
        private Duration connectionDeadline = Duration.ofSeconds(30);
        private Duration auditInterval = Duration.ofMinutes(1);

        private Builder(Domain domain) {
            this.domain = Objects.requireNonNull(domain, "domain");
            this.auditFile = domain.directory().resolve("audit.log");
        }

        /** Where to listen (default 127.0.0.1:8124; port 0 picks a free port). */
        public Builder listen(InetSocketAddress address) {
            this.listen = Objects.requireNonNull(address, "address");
            return this;
        }

        /** Lifetime of issued certificates (default 30 days; never beyond the attestation's window). */
        public Builder lifetime(Duration lifetime) {
            if (lifetime.isNegative() || lifetime.isZero()) {
                throw new IllegalArgumentException("lifetime must be positive");
            }
            this.lifetime = lifetime;
            return this;
        }

        /** The audit log (default {@code audit.log} in the domain directory). */
        public Builder auditLog(Path file) {
            this.auditFile = Objects.requireNonNull(file, "file");
            return this;
        }

        /**
         * Where the service keeps what it issues, revokes and audits (default: a {@link FileStore}
         * on the domain directory and {@link #auditLog}). The service closes the store when it is
         * closed, or when it fails to start.
         */
        public Builder store(DomainStore store) {
            this.store = Objects.requireNonNull(store, "store");
            return this;
        }

        /** The clock for attestation windows and certificate validity (tests). */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** Connections served at once (default 256); more are closed at once. */
        public Builder maxConnections(int max) {
            if (max < 1) {
                throw new IllegalArgumentException("maxConnections must be positive");
            }
            this.maxConnections = max;
            return this;
        }

        /**
         * Connections served at once from one source, an IPv4 address or an IPv6 /64 network
         * (default 32: programs of one machine may well certify at once); more from it are closed
         * at once, while other sources are served.
         */
        public Builder maxConnectionsPerSource(int max) {
            if (max < 1) {
                throw new IllegalArgumentException("maxConnectionsPerSource must be positive");
            }
            this.maxConnectionsPerSource = max;
            return this;
        }

        /** How long the TLS handshake may take in all (default 5 s). */
        public Builder handshakeTimeout(Duration timeout) {
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("handshakeTimeout must be positive");
            }
            this.handshakeTimeout = timeout;
            return this;
        }

        /**
         * How often counted {@code bad-request} decisions are written as summary lines (default 1
         * minute; see {@link AuditThrottle}).
         */
        public Builder auditInterval(Duration interval) {
            if (interval.isNegative() || interval.isZero()) {
                throw new IllegalArgumentException("auditInterval must be positive");
            }
            this.auditInterval = interval;
            return this;
        }

        /** How long a read (including the handshake's) may wait (default 10 s). */
        public Builder readTimeout(Duration timeout) {
            if (timeout.isNegative() || timeout.isZero() || timeout.toMillis() > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("readTimeout must be positive");
            }
            this.readTimeout = timeout;
            return this;
        }

        /** How long a connection may last in all (default 30 s). */
        public Builder connectionDeadline(Duration deadline) {
            if (deadline.isNegative() || deadline.isZero()) {
                throw new IllegalArgumentException("connectionDeadline must be positive");
            }
            this.connectionDeadline = deadline;
            return this;
        }

        /**
         * Opens the store (unless one was given), issues the service's TLS certificate, makes sure
         * a CRL exists and starts listening.
         *
         * @throws IllegalArgumentException if the domain was opened without its policy key
         * @throws IOException if the address cannot be bound or a file cannot be written
         */
        public DomainService start() throws IOException, TaoException {
            if (!domain.hasPolicyKey()) {
                throw new IllegalArgumentException("the domain must be opened with its policy key");
            }
            Instant now = clock.instant();
            DomainStore log = store != null ? store : FileStore.open(domain, auditFile);
            Signer key = Signer.generate();
            SSLServerSocket server = null;
            try {
                X509CRL firstCrl = log.certificates().currentCrl(now);
                X509Certificate cert = domain.issueCertificate(key.verifier(),
                        DomainServiceProtocol.servicePrincipal(domain.policyPrincipal()), SERVICE_CERT_LIFETIME, now);
                SSLContext tls = ServiceTls.context(key, cert);
                server = (SSLServerSocket) tls.getServerSocketFactory().createServerSocket();
                server.setReuseAddress(true);
                server.setEnabledProtocols(new String[] {"TLSv1.3"});
                server.setNeedClientAuth(false);
                server.bind(listen, 128);
                DomainService service = new DomainService(this, key, cert, server, log);
                service.crlThisUpdate = firstCrl.getThisUpdate().toInstant().getEpochSecond();
                service.deadlines.scheduleAtFixedRate(service::flushAudit, auditInterval.toMillis(),
                        auditInterval.toMillis(), TimeUnit.MILLISECONDS);
                service.acceptor.start();
                LOG.log(System.Logger.Level.DEBUG, "domain service for {0} listening on {1}", domain.name(),
                        service.address());
                return service;
            } catch (GeneralSecurityException e) {
                close(key, log, server);
                throw new IOException("cannot set up TLS: " + e.getMessage(), e);
            } catch (IOException | RuntimeException e) {
                close(key, log, server);
                throw e;
            }
        }

        private static void close(Signer key, DomainStore log, SSLServerSocket server) {
            key.close();
            try {
                if (log != null) {
                    log.close();
                }
                if (server != null) {
                    server.close();
                }
            } catch (IOException ignored) {
                // Already failing; the first failure is the one reported.
            }
        }
    }

    /** The address the service listens on (with the real port when 0 was asked for). */
    public InetSocketAddress address() {
        return (InetSocketAddress) server.getLocalSocketAddress();
    }

    /** The certificate the service presents: the policy key's, for {@code key([policy]).DomainService()}. */
    public X509Certificate serviceCertificate() {
        return serviceCertificate;
    }

    /** The principal the service's certificate names. */
    public Prin servicePrincipal() {
        return DomainServiceProtocol.servicePrincipal(domain.policyPrincipal());
    }

    /** Issued certificates and revocations. */
    public CertificateStore registry() {
        return registry;
    }

    /** Where the service keeps its state. */
    public DomainStore store() {
        return store;
    }

    /**
     * The audit log's file.
     *
     * @throws IllegalStateException if the store keeps audit records elsewhere than in a file
     */
    public Path auditFile() {
        if (audit instanceof AuditLog file) {
            return file.file();
        }
        throw new IllegalStateException("the audit records are in " + store.description() + ", not in a file");
    }

    private void acceptLoop() {
        while (!closing) {
            Socket s;
            try {
                s = server.accept();
            } catch (IOException e) {
                if (!closing) {
                    LOG.log(System.Logger.Level.WARNING, "accept failed: {0}", e.getMessage());
                    pauseAfterAcceptFailure();
                }
                continue;
            }
            String peer = peer(s);
            String source = source(s);
            String refusal = admit(source);
            if (refusal != null) {
                // Audit first: whoever sees the connection close can rely on the line (or count) being there.
                badRequest(source, peer, refusal);
                refused.incrementAndGet();
                closeQuietly(s);
                continue;
            }
            open.add(s);
            accepted.incrementAndGet();
            try {
                workers.execute(() -> serve((SSLSocket) s, source, peer));
            } catch (RuntimeException e) {
                // Only while closing: the pool no longer takes work.
                open.remove(s);
                closeQuietly(s);
                release(source);
            }
        }
    }

    /** Takes a connection slot for {@code source}; null if taken, else why not. */
    private String admit(String source) {
        synchronized (perSource) {
            int n = perSource.getOrDefault(source, 0);
            if (n >= maxPerSource) {
                return "too many connections from this source (limit " + maxPerSource + ")";
            }
            if (!permits.tryAcquire()) {
                return "too many connections (limit " + maxConnections + ")";
            }
            perSource.put(source, n + 1);
            return null;
        }
    }

    /** Connections being served from {@code source} (as {@link #source} names it); for tests. */
    int connectionsFrom(String source) {
        synchronized (perSource) {
            return perSource.getOrDefault(source, 0);
        }
    }

    /** Connections admitted and served since the start; for tests. */
    long acceptedConnections() {
        return accepted.get();
    }

    /** Connections closed at accept because a limit was reached, since the start; for tests. */
    long refusedConnections() {
        return refused.get();
    }

    private void release(String source) {
        synchronized (perSource) {
            perSource.computeIfPresent(source, (k, n) -> n == 1 ? null : n - 1);
            permits.release();
        }
    }

    /** Out of descriptors, say: back off a little rather than spin on a failing accept. */
    private static void pauseAfterAcceptFailure() {
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void serve(SSLSocket s, String source, String peer) {
        long started = System.nanoTime();
        int answered = 0;
        // This connection's enrolment: a challenge is answered only on the connection that asked.
        Enroller.Session enrolment = null;
        // The handshake has its own, shorter deadline: a client that has not even finished it
        // has shown nothing, and must not hold the slot for the whole connection deadline.
        ScheduledFuture<?> deadline = deadlines.schedule(() -> closeQuietly(s),
                Math.min(handshakeTimeout.toMillis(), connectionDeadline.toMillis()), TimeUnit.MILLISECONDS);
        try {
            s.setTcpNoDelay(true);
            s.setSoTimeout(readTimeoutMillis);
            TaoEvents.Handshake event = TaoEvents.handshake();
            try {
                s.startHandshake();
                handshakes.inc("ok");
                // Clients are not authenticated by TLS here (their attestation is the request).
                event.end("server", peer, null, null);
            } catch (IOException e) {
                boolean late = s.isClosed();
                handshakes.inc(late ? "timeout" : "failed");
                event.end("server", peer, null, e.getMessage());
                if (!closing) {
                    badRequest(source, peer, late ? "the TLS handshake took longer than "
                            + handshakeTimeout.toMillis() + " ms" : "TLS handshake failed: " + e.getMessage());
                }
                return;
            }
            deadline.cancel(false);
            long left = connectionDeadline.toNanos() - (System.nanoTime() - started);
            deadline = deadlines.schedule(() -> closeQuietly(s), Math.max(0, left), TimeUnit.NANOSECONDS);
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            enrolment = enroller.session();
            for (int i = 0; i < MAX_REQUESTS_PER_CONNECTION; i++) {
                byte[] frame;
                try {
                    frame = DomainServiceProtocol.readFrame(in, DomainServiceProtocol.MAX_REQUEST_BYTES);
                } catch (FrameException e) {
                    badRequest(source, peer, e.getMessage());
                    return;
                }
                if (frame == null) {
                    return;
                }
                DomainServiceRequest request;
                try {
                    request = DomainServiceProtocol.parseRequest(frame);
                } catch (FrameException e) {
                    badRequest(source, peer, e.getMessage());
                    send(out, DomainServiceProtocol.failure(DomainServiceStatus.DOMAIN_SERVICE_BAD_REQUEST,
                            e.getMessage()));
                    return;
                }
                send(out, handle(request, peer, enrolment));
                answered++;
            }
        } catch (SocketTimeoutException e) {
            // After an answer, a client that keeps its connection for later requests may simply
            // not send another: closing it then is the ordinary end of a kept connection.
            if (answered == 0) {
                badRequest(source, peer, "timed out waiting for the client");
            }
        } catch (IOException e) {
            if (!closing) {
                badRequest(source, peer,
                        s.isClosed() ? "connection closed (deadline passed)" : "connection failed: " + e.getMessage());
            }
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "domain service connection from " + peer + " failed", e);
            record(peer, AuditLog.Decision.ERROR, null, null, "internal error: " + e.getClass().getSimpleName());
        } finally {
            if (enrolment != null) {
                enrolment.forget();
            }
            deadline.cancel(false);
            closeQuietly(s);
            open.remove(s);
            release(source);
        }
    }

    private DomainServiceResponse handle(DomainServiceRequest request, String peer, Enroller.Session enrolment) {
        return switch (request.getOp()) {
            case DOMAIN_SERVICE_CERTIFY -> certify(request, peer);
            case DOMAIN_SERVICE_GET_CRL -> crl();
            case DOMAIN_SERVICE_GET_POLICY -> {
                policyRequests.inc();
                yield policy.answer();
            }
            case DOMAIN_SERVICE_ENROLL_BEGIN, DOMAIN_SERVICE_ENROLL_FINISH -> enroll(request, peer, enrolment);
            case DOMAIN_SERVICE_OP_UNKNOWN -> DomainServiceProtocol.failure(DomainServiceStatus.DOMAIN_SERVICE_BAD_REQUEST,
                    "unknown operation");
        };
    }

    private DomainServiceResponse certify(DomainServiceRequest request, String peer) {
        TaoEvents.Certification event = TaoEvents.certification();
        List<byte[]> hostCerts = new ArrayList<>();
        for (ByteString c : request.getHostCertificatesList()) {
            hostCerts.add(c.toByteArray());
        }
        Certifier.Decision decision;
        try {
            // The certificate and its audit record are durable together, in one group commit,
            // before certify returns (and so before the certificate is sent).
            decision = certifier.certify(request.getAttestation().toByteArray(), request.getProgramKey().toByteArray(),
                    hostCerts, (cert, subject) -> store.recordIssued(cert, new AuditRecord(clock.instant(), peer,
                            AuditLog.Decision.ISSUED, subject.toString(),
                            CertificateRegistry.serialText(cert.getSerialNumber()), null)));
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "certifying for " + peer + " failed", e);
            record(event, peer, AuditLog.Decision.ERROR, null, null, "cannot issue: " + e.getMessage());
            return DomainServiceProtocol.failure(DomainServiceStatus.DOMAIN_SERVICE_INTERNAL,
                    "the service could not issue the certificate");
        }
        String principal = decision.principal().map(Prin::toString).orElse(null);
        if (decision instanceof Certifier.Refused refused) {
            record(event, peer, AuditLog.Decision.REFUSED, principal, null, refused.reason());
            refusals.inc(refused.check().label());
            return DomainServiceProtocol.failure(DomainServiceStatus.DOMAIN_SERVICE_REFUSED, refused.reason());
        }
        // Recorded (certificate and audit line) by the group commit above; counted and sent here.
        X509Certificate cert = ((Certifier.Issued) decision).certificate();
        decisions.inc(AuditLog.Decision.ISSUED.text());
        event.end(peer, AuditLog.Decision.ISSUED.text(), principal, CertificateRegistry.serialText(cert.getSerialNumber()),
                null);
        return answer(cert);
    }

    /**
     * The service failed on a request: logged in full, audited as {@code error} with
     * {@code auditPrefix} and the message, answered {@code INTERNAL} with {@code answer} only.
     */
    private DomainServiceResponse failed(String peer, String doing, String auditPrefix, String answer, Exception e) {
        LOG.log(System.Logger.Level.ERROR, doing + " for " + peer + " failed", e);
        record(peer, AuditLog.Decision.ERROR, null, null, auditPrefix + e.getMessage());
        return DomainServiceProtocol.failure(DomainServiceStatus.DOMAIN_SERVICE_INTERNAL, answer);
    }

    /**
     * Audits an issued host certificate ({@code note} for the audit's reason field) and answers it
     * with the policy certificate; if the audit fails, nothing is sent.
     */
    private DomainServiceResponse issued(String peer, String principal, X509Certificate cert, String note) {
        IOException unaudited = record(peer, AuditLog.Decision.ISSUED, principal,
                CertificateRegistry.serialText(cert.getSerialNumber()), note);
        if (unaudited != null) {
            LOG.log(System.Logger.Level.ERROR, "cannot write the audit log; certificate withheld", unaudited);
            return DomainServiceProtocol.failure(DomainServiceStatus.DOMAIN_SERVICE_INTERNAL,
                    "the service could not audit the decision");
        }
        return answer(cert);
    }

    /** The OK answer carrying {@code cert} and the policy certificate. */
    private DomainServiceResponse answer(X509Certificate cert) {
        try {
            return DomainServiceResponse.newBuilder()
                    .setStatus(DomainServiceStatus.DOMAIN_SERVICE_OK)
                    .setProgramCertificate(ByteString.copyFrom(cert.getEncoded()))
                    .setPolicyCertificate(ByteString.copyFrom(domain.policyCertificate().getEncoded()))
                    .build();
        } catch (CertificateEncodingException e) {
            throw new IllegalStateException("an issued certificate does not encode", e);
        }
    }

    /** Both enrolment requests: the decision is the {@link Enroller}'s, each outcome is audited. */
    private DomainServiceResponse enroll(DomainServiceRequest request, String peer, Enroller.Session enrolment) {
        Enroller.Outcome outcome;
        try {
            if (request.hasEnrollBegin()) {
                EnrollBegin b = request.getEnrollBegin();
                List<byte[]> ekCerts = new ArrayList<>();
                b.getEkCertificatesList().forEach(c -> ekCerts.add(c.toByteArray()));
                Verifier hostKey;
                try {
                    hostKey = Verifier.fromPkix(b.getHostKey().toByteArray());
                } catch (VerificationException e) {
                    return refuseEnrolment(peer, null, "host_key is not a P-256 public key");
                }
                outcome = enrolment.begin(new Enrollment.Request(ekCerts, b.getEkPublic().toByteArray(),
                        b.getAkPublic().toByteArray(), hostKey));
            } else {
                outcome = enrolment.finish(request.getEnrollFinish().getCredential().toByteArray(),
                        request.getEnrollFinish().getAttestation().toByteArray());
            }
        } catch (IOException | RuntimeException e) {
            return failed(peer, "enrolling", "cannot enrol: ", "the service could not enrol the host", e);
        }
        String principal = outcome.principal().map(Prin::toString).orElse(null);
        if (outcome instanceof Enroller.Refused r) {
            return refuseEnrolment(peer, principal, r.reason());
        }
        if (outcome instanceof Enroller.Enrolled e) {
            return issued(peer, principal, e.certificate(),
                    "enrolled" + (e.addedTrustedTpm() ? ": TrustedTpm(" + e.host().root() + ") added" : ""));
        }
        Enrollment.Challenge c = ((Enroller.Challenged) outcome).challenge();
        return DomainServiceResponse.newBuilder()
                .setStatus(DomainServiceStatus.DOMAIN_SERVICE_OK)
                .setEnrollChallenge(EnrollChallenge.newBuilder()
                        .setNonce(ByteString.copyFrom(c.nonce()))
                        .setIntegrityHmac(ByteString.copyFrom(c.integrityHmac()))
                        .setEncIdentity(ByteString.copyFrom(c.encIdentity()))
                        .setEncryptedSecret(ByteString.copyFrom(c.encryptedSecret())))
                .build();
    }

    private DomainServiceResponse refuseEnrolment(String peer, String principal, String reason) {
        String why = "enrolment refused: " + reason;
        record(peer, AuditLog.Decision.REFUSED, principal, null, why);
        refusals.inc("enrolment");
        return DomainServiceProtocol.failure(DomainServiceStatus.DOMAIN_SERVICE_REFUSED, why);
    }

    private DomainServiceResponse crl() {
        try {
            X509CRL current = registry.currentCrl(clock.instant());
            crlThisUpdate = current.getThisUpdate().toInstant().getEpochSecond();
            crlRequests.inc();
            return DomainServiceResponse.newBuilder()
                    .setStatus(DomainServiceStatus.DOMAIN_SERVICE_OK)
                    .setCrl(ByteString.copyFrom(current.getEncoded()))
                    .build();
        } catch (IOException | TaoException | CRLException | RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "cannot serve the CRL", e);
            return DomainServiceProtocol.failure(DomainServiceStatus.DOMAIN_SERVICE_INTERNAL,
                    "the service cannot read its CRL");
        }
    }

    private static void send(OutputStream out, DomainServiceResponse response) throws IOException {
        DomainServiceProtocol.writeFrame(out, response.toByteArray(), DomainServiceProtocol.MAX_RESPONSE_BYTES);
    }

    /** The service's counters and gauges (serve them with a {@link dev.cloudproxy.tao.metrics.MetricsEndpoint}). */
    public Metrics metrics() {
        return metrics;
    }

    private IOException record(String peer, AuditLog.Decision decision, String principal, String serial,
            String reason) {
        return record(TaoEvents.certification(), peer, decision, principal, serial, reason);
    }

    /** Counts, audits and (for a JFR recording) ends {@code event} with one decision. */
    private IOException record(TaoEvents.Certification event, String peer, AuditLog.Decision decision,
            String principal, String serial, String reason) {
        decisions.inc(decision.text());
        event.end(peer, decision.text(), principal, serial, reason);
        IOException failed = audit.record(clock.instant(), peer, decision, principal, serial, reason);
        if (failed != null) {
            LOG.log(System.Logger.Level.ERROR, "cannot write the audit record to " + store.description(), failed);
        }
        return failed;
    }

    /** A failed connection, for the audit log through the throttle. */
    private void badRequest(String source, String peer, String reason) {
        decisions.inc(AuditLog.Decision.BAD_REQUEST.text());
        IOException failed = throttle.badRequest(clock.instant(), source, peer, reason);
        if (failed != null) {
            LOG.log(System.Logger.Level.ERROR, "cannot write the audit record to " + store.description(), failed);
        }
    }

    /** Writes the audit summaries of the interval that ends now. */
    void flushAudit() {
        IOException failed = throttle.flush(clock.instant());
        if (failed != null) {
            LOG.log(System.Logger.Level.ERROR, "cannot write the audit record to " + store.description(), failed);
        }
    }

    /**
     * What the per-source limit counts by: the IPv4 address, or the /64 network of an IPv6
     * address (one machine's usual allotment, so that walking through its addresses gains nothing).
     */
    static String source(Socket s) {
        if (s.getRemoteSocketAddress() instanceof InetSocketAddress a && a.getAddress() != null) {
            return sourceOf(a.getAddress());
        }
        return String.valueOf(s.getRemoteSocketAddress());
    }

    static String sourceOf(InetAddress address) {
        byte[] ip = address.getAddress();
        if (ip.length == 16) {
            byte[] net = Arrays.copyOf(Arrays.copyOf(ip, 8), 16);
            try {
                return InetAddress.getByAddress(net).getHostAddress() + "/64";
            } catch (UnknownHostException e) {
                throw new IllegalStateException("16 bytes are an IPv6 address", e);
            }
        }
        return address.getHostAddress();
    }

    private static String peer(Socket s) {
        if (s.getRemoteSocketAddress() instanceof InetSocketAddress a && a.getAddress() != null) {
            String host = a.getAddress().getHostAddress();
            return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + a.getPort();
        }
        return String.valueOf(s.getRemoteSocketAddress());
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // Closing is all that is left to do with it.
        }
    }

    /** Blocks until {@link #close()} has finished (from any thread). */
    public void awaitClosed() throws InterruptedException {
        closed.await();
    }

    /**
     * Stops accepting, closes every connection, waits for the connection threads and closes the
     * audit log and the service's key. Idempotent. The domain stays open.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (closing) {
                return;
            }
            closing = true;
        }
        try {
            server.close();
        } catch (IOException ignored) {
            // Nothing more to release.
        }
        for (Socket s : open) {
            closeQuietly(s);
        }
        workers.shutdown();
        try {
            acceptor.join(TimeUnit.SECONDS.toMillis(5));
            workers.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        deadlines.shutdownNow();
        flushAudit();
        try {
            store.close();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "closing the store failed: {0}", e.getMessage());
        }
        serviceKey.close();
        closed.countDown();
    }

    @Override
    public String toString() {
        return "DomainService[" + domain.name() + ", " + server.getLocalSocketAddress() + "]";
    }
}
