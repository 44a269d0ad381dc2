package dev.cloudproxy.tao.domain;

import com.google.protobuf.ByteString;
import dev.cloudproxy.tao.TaoException;
import dev.cloudproxy.tao.VerificationException;
import dev.cloudproxy.tao.attestation.Attestation;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.guard.RuleSetGuard;
import dev.cloudproxy.tao.io.ServerTrustManager;
import dev.cloudproxy.tao.keys.Verifier;
import dev.cloudproxy.tao.proto.DomainServiceProtos;
import dev.cloudproxy.tao.proto.DomainServiceProtos.DomainServiceOp;
import dev.cloudproxy.tao.proto.DomainServiceProtos.DomainServiceRequest;
import dev.cloudproxy.tao.proto.DomainServiceProtos.DomainServiceResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;

/**
 * The program's side of the domain service protocol: sends an attestation for a key and returns
 * the program certificate, checked.
 *
 * <p>Guarantees: the connection is TLS 1.3 and the service is accepted only if its certificate
 * was issued by the key of the given policy certificate (checked with
 * {@link ProgramCertificate#verify}) and names {@link DomainServiceProtocol#servicePrincipal}, so
 * neither another domain nor a program of this domain can pose as the service. A certificate is
 * returned only if it verifies against the policy certificate now, certifies exactly the requested
 * key and names exactly the attestation's speaker. The host name or address is used only to
 * connect; identity comes from the verified certificate.
 *
 * <p><b>Replicas.</b> A client may know several addresses of the same domain's service (replicas
 * on one store, see docs/domain-service.md). Each call starts at the next address in turn (so load
 * spreads) and, when a service cannot be reached, fails in transport or answers {@code INTERNAL}
 * (it issued nothing), tries the next one, each at most once per call. An answer is final: a
 * refusal, a bad-request answer or a response that does not verify is never retried elsewhere,
 * so trying replicas never turns a "no" into a "yes". Every address is held to the same rule
 * (the same policy certificate and service principal), so failing over trusts no one new.
 *
 * <p><b>Connections.</b> By default each call opens its own TLS 1.3 connection, and a client
 * resumes the TLS session of its earlier connections to the same address for up to
 * {@link #SESSION_LIFETIME} (a TLS 1.3 session ticket, which only the service process that issued
 * it can accept: no certificate signed or checked again, the key exchange still fresh), so
 * repeated calls cost less than the first. A client that requests many certificates may also keep connections open
 * between calls ({@link #withKeptConnections}): at most that many idle per address, each reused
 * for at most {@link DomainServiceProtocol#MAX_REQUESTS_PER_CONNECTION} requests (the service's
 * limit), for at most {@link #KEPT_IDLE} idle and {@link #KEPT_AGE} in all (below the service's
 * default read timeout and connection deadline). A kept connection the service closed meanwhile
 * is noticed at its next use and the call is made once more on a new connection (as a failed
 * replica is: the service sends nothing it did not record, so the worst outcome is a second
 * certificate recorded for the same request). A kept connection is the same authenticated TLS
 * connection as a new one: nothing is trusted that was not checked when it opened.
 *
 * <p>Thread-safe. Copies made by {@code with...} share the turn counter, not the connections.
 */
public final class DomainServiceClient {
    /** Connect and read timeout when none is set. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
    /** Longest a kept connection waits idle before it is closed rather than reused (the service's default read timeout is 10 s). */
    public static final Duration KEPT_IDLE = Duration.ofSeconds(5);
    /** Longest a kept connection is used in all (the service's default connection deadline is 30 s). */
    public static final Duration KEPT_AGE = Duration.ofSeconds(20);
    /** Longest a TLS session is resumed after the full handshake that checked the service's certificate. */
    public static final Duration SESSION_LIFETIME = Duration.ofHours(1);
    /** Most connections {@link #withKeptConnections} keeps idle per address. */
    public static final int MAX_KEPT_CONNECTIONS = 64;

    private final List<InetSocketAddress> addresses;
    private final AtomicInteger turn;
    private final X509Certificate policyCertificate;
    private final Prin servicePrincipal;
    private final Duration timeout;
    private final Clock clock;
    private final int keep;
    private final Connections connections;

    private DomainServiceClient(List<InetSocketAddress> addresses, AtomicInteger turn,
            X509Certificate policyCertificate, Prin servicePrincipal, Duration timeout, Clock clock, int keep) {
        this.addresses = addresses;
        this.turn = turn;
        this.policyCertificate = policyCertificate;
        this.servicePrincipal = servicePrincipal;
        this.timeout = timeout;
        this.clock = clock;
        this.keep = keep;
        this.connections = new Connections();
    }

    /**
     * A client of the service at {@code address} of the domain whose policy certificate is given.
     *
     * @throws VerificationException if the policy certificate's key is not a P-256 key
     */
    public static DomainServiceClient create(InetSocketAddress address, X509Certificate policyCertificate)
            throws VerificationException {
        return create(List.of(Objects.requireNonNull(address, "address")), policyCertificate);
    }

    /**
     * A client of the service replicas at {@code addresses} (at least one, no repeats) of the
     * domain whose policy certificate is given; see the class comment for how it fails over.
     *
     * @throws VerificationException if the policy certificate's key is not a P-256 key
     */
    public static DomainServiceClient create(List<InetSocketAddress> addresses, X509Certificate policyCertificate)
            throws VerificationException {
        List<InetSocketAddress> copy = List.copyOf(addresses);
        if (copy.isEmpty()) {
            throw new IllegalArgumentException("at least one domain service address is needed");
        }
        if (new HashSet<>(copy).size() != copy.size()) {
            throw new IllegalArgumentException("a domain service address is given twice: " + copy);
        }
        Objects.requireNonNull(policyCertificate, "policyCertificate");
        Verifier policyKey = Verifier.fromPkix(policyCertificate.getPublicKey().getEncoded());
        return new DomainServiceClient(copy, new AtomicInteger(), policyCertificate,
                DomainServiceProtocol.servicePrincipal(policyKey.principal()), DEFAULT_TIMEOUT, Clock.systemUTC(), 0);
    }

    /**
     * Parses {@code HOST:PORT[,HOST:PORT...]} ({@code [IPV6]:PORT} for IPv6 addresses), as the
     * options that name domain service replicas take. Host names are resolved at each connect.
     *
     * @throws IllegalArgumentException if an element is not {@code HOST:PORT} or the list is empty
     */
    public static List<InetSocketAddress> parseAddresses(String text) {
        List<InetSocketAddress> out = new ArrayList<>();
        for (String part : text.split(",", -1)) {
            String t = part.strip();
            int colon = t.lastIndexOf(':');
            if (colon <= 0) {
                throw new IllegalArgumentException("expected HOST:PORT, got '" + t + "'");
            }
            String host = t.substring(0, colon);
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            int port;
            try {
                port = Integer.parseInt(t.substring(colon + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("not a port number in '" + t + "'");
            }
            if (host.isEmpty() || port < 1 || port > 65535) {
                throw new IllegalArgumentException("expected HOST:PORT with a port in 1..65535, got '" + t + "'");
            }
            out.add(InetSocketAddress.createUnresolved(host, port));
        }
        return out;
    }

    /** The same client with another connect and read timeout. */
    public DomainServiceClient withTimeout(Duration timeout) {
        if (timeout.isNegative() || timeout.isZero() || timeout.toMillis() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("timeout must be positive and at most " + Integer.MAX_VALUE + " ms");
        }
        return new DomainServiceClient(addresses, turn, policyCertificate, servicePrincipal, timeout, clock, keep);
    }

    /** The same client checking certificates against {@code clock} (tests). */
    public DomainServiceClient withClock(Clock clock) {
        return new DomainServiceClient(addresses, turn, policyCertificate, servicePrincipal, timeout,
                Objects.requireNonNull(clock, "clock"), keep);
    }

    /**
     * The same client keeping up to {@code maxIdle} connections per address open between calls
     * (0 keeps none, the default); see the class comment for the bounds. For clients that request
     * many certificates; a program that asks once per certificate lifetime should not hold a
     * connection (and a slot of the service's per-source limit) open in between.
     */
    public DomainServiceClient withKeptConnections(int maxIdle) {
        if (maxIdle < 0 || maxIdle > MAX_KEPT_CONNECTIONS) {
            throw new IllegalArgumentException("maxIdle must be in 0.." + MAX_KEPT_CONNECTIONS);
        }
        return new DomainServiceClient(addresses, turn, policyCertificate, servicePrincipal, timeout, clock, maxIdle);
    }

    /** Closes the connections kept idle (they are also closed when found too old at the next call). */
    public void closeKeptConnections() {
        connections.closeAll();
    }

    /** The service's (first) address. */
    public InetSocketAddress address() {
        return addresses.get(0);
    }

    /** Every address the client tries, in the order given. */
    public List<InetSocketAddress> addresses() {
        return addresses;
    }

    /** Asks for a program certificate without host certificates; see {@link #certify(Attestation, Verifier, List)}. */
    public X509Certificate certify(Attestation attestation, Verifier programKey) throws IOException, TaoException {
        return certify(attestation, programKey, List.of());
    }

    /**
     * Sends {@code attestation} ("P says key(K) speaksfor P", K being {@code programKey}) and the
     * host certificates, and returns the program certificate the service issued.
     *
     * @throws CertificateRefusedException if the service refused, with its reason
     * @throws VerificationException if the service's answer does not check out
     * @throws IOException if the service cannot be reached, fails, or breaks the protocol
     */
    public X509Certificate certify(Attestation attestation, Verifier programKey, List<X509Certificate> hostCertificates)
            throws IOException, TaoException {
        Objects.requireNonNull(attestation, "attestation");
        Objects.requireNonNull(programKey, "programKey");
        DomainServiceRequest.Builder request = DomainServiceRequest.newBuilder()
                .setOp(DomainServiceOp.DOMAIN_SERVICE_CERTIFY)
                .setAttestation(ByteString.copyFrom(attestation.serialize()))
                .setProgramKey(ByteString.copyFrom(programKey.pkix()));
        for (X509Certificate c : hostCertificates) {
            try {
                request.addHostCertificates(ByteString.copyFrom(c.getEncoded()));
            } catch (CertificateEncodingException e) {
                throw new IllegalArgumentException("a host certificate does not encode", e);
            }
        }
        return checked(call(request.build()), attestation.issuer(), programKey);
    }

    /**
     * The certificate of an {@code OK} answer, if it verifies against the policy certificate now,
     * names exactly {@code expected} and certifies exactly {@code key}.
     */
    private X509Certificate checked(DomainServiceResponse response, Prin expected, Verifier key)
            throws IOException, VerificationException {
        if (!response.hasProgramCertificate()) {
            throw new IOException("the domain service answered without a certificate");
        }
        X509Certificate cert;
        try {
            cert = ProgramCertificate.parseDer(response.getProgramCertificate().toByteArray());
        } catch (CertificateException e) {
            throw new VerificationException("the domain service sent a certificate that does not parse", e);
        }
        if (response.hasPolicyCertificate()
                && !Arrays.equals(response.getPolicyCertificate().toByteArray(), encoded(policyCertificate))) {
            throw new VerificationException("the domain service sent another policy certificate than this domain's");
        }
        Prin named;
        try {
            named = ProgramCertificate.verify(cert, policyCertificate, clock.instant());
        } catch (RuntimeException e) {
            // The JDK's and BouncyCastle's certificate parsers throw unchecked exceptions on some
            // malformed DER; a hostile service must not turn that into a crash of the program.
            throw new VerificationException("the domain service sent a malformed certificate", e);
        }
        if (!named.equals(expected)) {
            throw new VerificationException("the certificate names " + named + ", not " + expected);
        }
        if (!Arrays.equals(cert.getPublicKey().getEncoded(), key.pkix())) {
            throw new VerificationException("the certificate is for another key than the one sent");
        }
        return cert;
    }

    /**
     * Enrols a TPM-rooted host ({@link Enrollment}): sends {@code request}, lets {@code responder}
     * answer the service's challenge with the TPM, and returns the host certificate the service
     * issued, on one connection. Returned only if it verifies against the policy certificate now,
     * names exactly the speaker of the responder's quote and certifies exactly the host key sent.
     * When a replica fails in transport the enrolment starts over at the next one, with a new
     * challenge (the responder is then called again).
     *
     * @throws CertificateRefusedException if the service refused, with its reason
     * @throws VerificationException if the service's answer does not check out
     * @throws IOException if the service cannot be reached, fails, or breaks the protocol
     */
    public X509Certificate enroll(Enrollment.Request request, Enrollment.Responder responder)
            throws IOException, TaoException {
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(responder, "responder");
        DomainServiceProtos.EnrollBegin.Builder begin = DomainServiceProtos.EnrollBegin.newBuilder()
                .setEkPublic(ByteString.copyFrom(request.ekPublicArea()))
                .setAkPublic(ByteString.copyFrom(request.akPublicArea()))
                .setHostKey(ByteString.copyFrom(request.hostKey().pkix()));
        request.ekCertificates().forEach(c -> begin.addEkCertificates(ByteString.copyFrom(c)));
        DomainServiceRequest first = DomainServiceRequest.newBuilder()
                .setOp(DomainServiceOp.DOMAIN_SERVICE_ENROLL_BEGIN).setEnrollBegin(begin).build();
        return converse((in, out) -> {
            DomainServiceResponse challenged = exchange(in, out, first);
            if (!challenged.hasEnrollChallenge()) {
                throw new IOException("the domain service answered the enrolment without a challenge");
            }
            DomainServiceProtos.EnrollChallenge c = challenged.getEnrollChallenge();
            Enrollment.Answer answer = responder.answer(new Enrollment.Challenge(c.getNonce().toByteArray(),
                    c.getIntegrityHmac().toByteArray(), c.getEncIdentity().toByteArray(),
                    c.getEncryptedSecret().toByteArray()));
            byte[] credential = answer.credential();
            DomainServiceResponse issued;
            try {
                issued = exchange(in, out, DomainServiceRequest.newBuilder()
                        .setOp(DomainServiceOp.DOMAIN_SERVICE_ENROLL_FINISH)
                        .setEnrollFinish(DomainServiceProtos.EnrollFinish.newBuilder()
                                .setCredential(ByteString.copyFrom(credential))
                                .setAttestation(ByteString.copyFrom(answer.attestation().serialize())))
                        .build());
            } finally {
                Arrays.fill(credential, (byte) 0);
                answer.destroy();
            }
            return checked(issued, answer.attestation().issuer(), request.hostKey());
        });
    }

    /**
     * The service's current certificate revocation list, verified with {@link RevocationList#verify}.
     *
     * @throws VerificationException if the list is not signed by the policy key or is stale
     * @throws IOException if the service cannot be reached or breaks the protocol
     */
    public X509CRL fetchCrl() throws IOException, TaoException {
        return RevocationList.verify(fetchCrlDer(), policyCertificate, clock.instant());
    }

    /**
     * The service's current CRL as it sent it (DER, at most {@link RevocationList#MAX_BYTES}),
     * <em>not verified</em>: for callers that verify it themselves with {@link RevocationList}
     * and judge its dates by their own rules (the channel module's revocation checker does).
     *
     * @throws IOException if the service cannot be reached, fails, or breaks the protocol
     * @throws TaoException if the service's own certificate does not verify
     */
    public byte[] fetchCrlDer() throws IOException, TaoException {
        DomainServiceResponse response = call(DomainServiceRequest.newBuilder()
                .setOp(DomainServiceOp.DOMAIN_SERVICE_GET_CRL).build());
        if (!response.hasCrl()) {
            throw new IOException("the domain service answered without a CRL");
        }
        return response.getCrl().toByteArray();
    }

    /**
     * The domain's current signed rule file as the service sent it (at most
     * {@link RuleSetGuard#maxFileSize()} bytes), <em>not verified</em>: the caller checks it with a
     * guard that trusts the policy key it pinned ({@link RuleSetGuard#verifyFile}) and decides
     * whether its policy version is new to it.
     *
     * @throws CertificateRefusedException if the domain's guard has no rule file (liberal,
     *     conservative)
     * @throws IOException if the service cannot be reached, fails, or breaks the protocol
     * @throws TaoException if the service's own certificate does not verify
     */
    public byte[] fetchPolicyFile() throws IOException, TaoException {
        DomainServiceResponse response = call(DomainServiceRequest.newBuilder()
                .setOp(DomainServiceOp.DOMAIN_SERVICE_GET_POLICY).build());
        if (!response.hasPolicyRules()) {
            throw new IOException("the domain service answered without a rule file");
        }
        return response.getPolicyRules().toByteArray();
    }

    /**
     * Sends {@code request} to one replica after another, starting at the next in turn, until one
     * answers; see the class comment for what is retried. A kept connection is used if there is
     * one ({@link #withKeptConnections}).
     */
    private DomainServiceResponse call(DomainServiceRequest request) throws IOException, TaoException {
        return overReplicas(address -> call(address, request));
    }

    /** One conversation on one connection: the requests it sends and what it makes of the answers. */
    @FunctionalInterface
    private interface Conversation<T> {
        T run(InputStream in, OutputStream out) throws IOException, TaoException;
    }

    /**
     * Runs {@code conversation} on a new connection of its own (never a kept one: a conversation
     * holds state on the service's side of its connection, as enrolment does), replica after
     * replica until one answers.
     */
    private <T> T converse(Conversation<T> conversation) throws IOException, TaoException {
        return overReplicas(address -> {
            Connection c = connect(address);
            try {
                return conversation.run(c.in, c.out);
            } finally {
                c.close();
            }
        });
    }

    /** What is tried at one replica. */
    @FunctionalInterface
    private interface AtReplica<T> {
        T run(InetSocketAddress address) throws IOException, TaoException;
    }

    /**
     * Runs {@code attempt} at each address in turn, starting at the next in turn, until one
     * answers; see the class comment for what is retried.
     */
    private <T> T overReplicas(AtReplica<T> attempt) throws IOException, TaoException {
        int n = addresses.size();
        int first = Math.floorMod(turn.getAndIncrement(), n);
        List<IOException> failures = new ArrayList<>();
        StringBuilder where = new StringBuilder("no domain service replica answered");
        for (int i = 0; i < n; i++) {
            InetSocketAddress address = addresses.get((first + i) % n);
            try {
                return attempt.run(address);
            } catch (AnsweredException e) {
                throw e;
            } catch (IOException e) {
                // Unreachable, cut off (a frame that ends early), timed out, or INTERNAL: try the next one.
                failures.add(e);
                where.append(failures.size() == 1 ? ": " : "; ").append(address.getHostString()).append(':')
                        .append(address.getPort()).append(": ").append(e.getMessage());
            }
        }
        if (n == 1) {
            throw failures.get(0);
        }
        IOException failed = new IOException(where.toString());
        failures.forEach(failed::addSuppressed);
        throw failed;
    }

    /** The service read the request and rejected it as malformed: another replica would too. */
    private static final class AnsweredException extends IOException {
        private static final long serialVersionUID = 1L;

        AnsweredException(String message) {
            super(message);
        }
    }

    private DomainServiceResponse call(InetSocketAddress address, DomainServiceRequest request)
            throws IOException, TaoException {
        Connection kept = connections.take(address);
        if (kept != null) {
            try {
                return exchange(address, kept, request);
            } catch (AnsweredException e) {
                throw e;
            } catch (IOException e) {
                // The service may have closed it meanwhile (idle or deadline): once on a new one.
            }
        }
        return exchange(address, connect(address), request);
    }

    /** One request and its response on {@code c}, which is kept for reuse or closed. */
    private DomainServiceResponse exchange(InetSocketAddress address, Connection c, DomainServiceRequest request)
            throws IOException, TaoException {
        boolean inSync = false;
        try {
            c.requests++;
            DomainServiceResponse response = roundTrip(c.in, c.out, request);
            // A whole response was read: the connection is ready for the next request.
            inSync = true;
            return ok(response);
        } finally {
            if (inSync) {
                connections.giveBack(address, c);
            } else {
                c.close();
            }
        }
    }

    /** Sends one request and reads its answer, which must be {@code OK}. */
    private static DomainServiceResponse exchange(InputStream in, OutputStream out, DomainServiceRequest request)
            throws IOException, TaoException {
        return ok(roundTrip(in, out, request));
    }

    /** Sends one request and reads its whole answer, whatever its status. */
    private static DomainServiceResponse roundTrip(InputStream in, OutputStream out, DomainServiceRequest request)
            throws IOException {
        DomainServiceProtocol.writeFrame(out, request.toByteArray(), DomainServiceProtocol.MAX_REQUEST_BYTES);
        byte[] frame = DomainServiceProtocol.readFrame(in, DomainServiceProtocol.MAX_RESPONSE_BYTES);
        if (frame == null) {
            throw new IOException("the domain service closed the connection without answering");
        }
        return DomainServiceProtocol.parseResponse(frame);
    }

    /** {@code response} if it is {@code OK}; else the exception its status stands for. */
    private static DomainServiceResponse ok(DomainServiceResponse response) throws IOException, TaoException {
        String reason = DomainServiceProtocol.oneLine(response.getReason());
        switch (response.getStatus()) {
            case DOMAIN_SERVICE_OK -> {
                return response;
            }
            case DOMAIN_SERVICE_REFUSED -> throw new CertificateRefusedException(reason);
            case DOMAIN_SERVICE_BAD_REQUEST -> throw new AnsweredException(
                    "the domain service could not read the request: " + reason);
            case DOMAIN_SERVICE_INTERNAL -> throw new IOException("the domain service failed: " + reason);
        }
        throw new IOException("the domain service answered with an unknown status");
    }

    /** A new TLS 1.3 connection to the service at {@code address}, handshake done. */
    private Connection connect(InetSocketAddress address) throws IOException {
        int millis = (int) timeout.toMillis();
        Socket raw = new Socket();
        try {
            raw.setTcpNoDelay(true);
            raw.connect(address.isUnresolved() ? new InetSocketAddress(address.getHostString(), address.getPort())
                    : address, millis);
            raw.setSoTimeout(millis);
            SSLSocket tls = (SSLSocket) connections.tls().getSocketFactory()
                    .createSocket(raw, address.getHostString(), address.getPort(), true);
            tls.setEnabledProtocols(new String[] {"TLSv1.3"});
            tls.startHandshake();
            return new Connection(tls);
        } catch (IOException | RuntimeException e) {
            raw.close();
            throw e;
        }
    }

    /** An open connection to the service: its streams and how much it has been used. */
    private static final class Connection {
        final SSLSocket socket;
        final InputStream in;
        final OutputStream out;
        final long opened = System.nanoTime();
        long idleSince;
        int requests;

        Connection(SSLSocket socket) throws IOException {
            this.socket = socket;
            this.in = socket.getInputStream();
            this.out = socket.getOutputStream();
        }

        void close() {
            try {
                socket.close();
            } catch (IOException ignored) {
                // Nothing more to release.
            }
        }
    }

    /** This client's TLS context (its session cache lets new connections resume) and its kept connections. */
    private final class Connections {
        // Guarded by this.
        private SSLContext tls;
        private final Map<InetSocketAddress, ArrayDeque<Connection>> idle = new HashMap<>();

        synchronized SSLContext tls() throws IOException {
            if (tls == null) {
                try {
                    SSLContext context = SSLContext.getInstance("TLSv1.3");
                    context.init(null, new TrustManager[] {new ServiceTrustManager()}, null);
                    // A resumed session relies on the check made at its full handshake: bounded.
                    context.getClientSessionContext().setSessionTimeout((int) SESSION_LIFETIME.toSeconds());
                    tls = context;
                } catch (GeneralSecurityException e) {
                    throw new IOException("TLS 1.3 is not available", e);
                }
            }
            return tls;
        }

        /** A kept connection to {@code address} still young enough to use, or null. */
        Connection take(InetSocketAddress address) {
            long now = System.nanoTime();
            synchronized (this) {
                ArrayDeque<Connection> q = idle.get(address);
                while (q != null && !q.isEmpty()) {
                    Connection c = q.pollLast();
                    if (now - c.idleSince < KEPT_IDLE.toNanos() && now - c.opened < KEPT_AGE.toNanos()) {
                        return c;
                    }
                    c.close();
                }
                return null;
            }
        }

        /** Keeps {@code c} for the next call if the client keeps connections and it may serve more, else closes it. */
        void giveBack(InetSocketAddress address, Connection c) {
            long now = System.nanoTime();
            if (keep > 0 && c.requests < DomainServiceProtocol.MAX_REQUESTS_PER_CONNECTION
                    && now - c.opened < KEPT_AGE.toNanos()) {
                synchronized (this) {
                    ArrayDeque<Connection> q = idle.computeIfAbsent(address, a -> new ArrayDeque<>());
                    if (q.size() < keep) {
                        c.idleSince = now;
                        q.addLast(c);
                        return;
                    }
                }
            }
            c.close();
        }

        void closeAll() {
            List<Connection> all = new ArrayList<>();
            synchronized (this) {
                idle.values().forEach(all::addAll);
                idle.clear();
            }
            all.forEach(Connection::close);
        }
    }

    private static byte[] encoded(X509Certificate cert) throws VerificationException {
        try {
            return cert.getEncoded();
        } catch (CertificateEncodingException e) {
            throw new VerificationException("the policy certificate does not encode", e);
        }
    }

    @Override
    public String toString() {
        return "DomainServiceClient[" + addresses + ", " + servicePrincipal + "]";
    }

    /** Accepts exactly the service's certificate from this domain; never a client. */
    private final class ServiceTrustManager extends ServerTrustManager {
        ServiceTrustManager() {
            super("a domain service client trusts no clients");
        }

        @Override
        protected void checkServer(X509Certificate[] chain) throws CertificateException {
            if (chain == null || chain.length == 0) {
                throw new CertificateException("the domain service sent no certificate");
            }
            Prin named;
            try {
                named = ProgramCertificate.verify(chain[0], policyCertificate, clock.instant());
            } catch (VerificationException e) {
                throw new CertificateException("the domain service's certificate does not verify: " + e.getMessage(), e);
            } catch (RuntimeException e) {
                throw new CertificateException("the domain service's certificate is malformed", e);
            }
            if (!named.equals(servicePrincipal)) {
                throw new CertificateException("the peer's certificate names " + named + ", not the domain service "
                        + servicePrincipal);
            }
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[] {policyCertificate};
        }
    }
}
