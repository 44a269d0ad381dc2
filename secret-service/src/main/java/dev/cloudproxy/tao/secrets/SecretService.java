package dev.cloudproxy.tao.secrets;

import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.PrinExt;
import dev.cloudproxy.tao.auth.Str;
import dev.cloudproxy.tao.channel.PeerRefusedException;
import dev.cloudproxy.tao.channel.ProgramCredentials;
import dev.cloudproxy.tao.channel.RevocationChecker;
import dev.cloudproxy.tao.channel.RevocationUnknownException;
import dev.cloudproxy.tao.channel.RevokedCertificateException;
import dev.cloudproxy.tao.channel.TaoChannel;
import dev.cloudproxy.tao.channel.TaoChannels;
import dev.cloudproxy.tao.channel.TaoListener;
import dev.cloudproxy.tao.guard.DatalogGuard;
import dev.cloudproxy.tao.guard.Guard;
import dev.cloudproxy.tao.kms.DirectiveRefusedException;
import dev.cloudproxy.tao.kms.DirectiveVerifier;
import dev.cloudproxy.tao.kms.KeyManagementException;
import dev.cloudproxy.tao.kms.ObjectId;
import dev.cloudproxy.tao.kms.ObjectInfo;
import dev.cloudproxy.tao.kms.ObjectMaterial;
import dev.cloudproxy.tao.kms.ObjectNotFoundException;
import dev.cloudproxy.tao.kms.ObjectNotValidException;
import dev.cloudproxy.tao.kms.ObjectUnreadableException;
import dev.cloudproxy.tao.kms.ProtectedObjects;
import dev.cloudproxy.tao.kms.RetireRefusedException;
import dev.cloudproxy.tao.kms.Validity;
import dev.cloudproxy.tao.kms.Verb;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * The secret service: serves READ / WRITE / CREATE / DELETE / ROTATE / REVOKE of its
 * {@link ProtectedObjects} to the programs of the domain over Tao channels.
 *
 * <p>Guarantees:
 *
 * <ul>
 *   <li><b>Identity from the channel only.</b> The requester is the Tao channel's verified peer
 *       (its program certificate, chained to the policy certificate, checked against the CRL when
 *       a {@link RevocationChecker} is set: a revoked program cannot connect, so it can fetch
 *       nothing, new epochs included; the certificate is checked again before each request, so a
 *       program revoked while connected is refused from its next request on). Nothing in a request names its sender.
 *   <li><b>Every operation is authorized before it touches an object</b>, on the exact (name,
 *       epoch) it acts on: by the signed directive the request presents, through the one
 *       {@link DirectiveVerifier} with the channel's peer as the requester (a directive replayed
 *       by another program is refused); or else by the guard,
 *       {@code Authorized(P, "Read", "/zone/file/x", "3")} (or {@code "Own"}, which grants every
 *       operation), so Datalog rules can grant a family of programs. A refused directive is a
 *       refusal: the service does not fall back to the guard behind the requester's back.
 *   <li><b>Every decision is audited before it is answered</b> ({@link SecretAudit}); if the
 *       record cannot be written, the request is refused and nothing is disclosed.
 *   <li><b>Bounded per client.</b> At most {@code maxConnections} channels in all and
 *       {@code maxConnectionsPerPeer} per principal; one message at most
 *       {@link SecretProtocol#MAX_MESSAGE_BYTES}; an idle channel is closed after
 *       {@code idleTimeout}. A malformed request is answered {@code BAD_REQUEST} and closes that
 *       channel only.
 *   <li>Answers to refusals name the reason (object names, epochs and principals are not
 *       secret); contents and key material appear only in a granted READ's answer.
 * </ul>
 *
 * <p>Mutations are serialized, so the epoch that was authorized is the epoch written. The
 * objects' own guarantees (chains, zones, rotation, retirement) are {@link ProtectedObjects}'s.
 */
public final class SecretService implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(SecretService.class.getName());
    /** The guard operation that grants every verb, as {@link Verb#OWN} does in a directive. */
    private static final String OWN = Verb.OWN.guardOperation();
    /** The extension of the policy principal that names an operator: {@code key([policy]).Operator("alice")}. */
    public static final String OPERATOR_EXTENSION = "Operator";

    private final ProtectedObjects objects;
    private final Guard guard;
    private final DirectiveVerifier directives;
    private final Optional<Prin> operatorsOf;
    private final SecretAudit audit;
    private final boolean ownsAudit;
    private final Clock clock;
    private final TaoListener listener;
    private final Duration idleTimeout;
    private final Optional<RevocationChecker> revocation;
    private final int maxPerPeer;
    private final Semaphore permits;
    private final Map<Prin, Integer> perPeer = new HashMap<>();
    private final Set<TaoChannel> open = ConcurrentHashMap.newKeySet();
    private final ExecutorService workers;
    /**
     * Several threads accept at once because {@link TaoListener#accept()} runs the handshake: a
     * peer that stalls its handshake holds one of them for the handshake timeout, not the service.
     */
    static final int ACCEPTORS = 4;

    private final List<Thread> acceptors = new ArrayList<>();
    private final Object mutations = new Object();
    private volatile boolean closed;

    private SecretService(Builder b, TaoListener listener, SecretAudit audit) {
        this.objects = b.objects;
        this.guard = b.guard;
        this.directives = b.directives;
        this.operatorsOf = b.operatorsOf;
        this.audit = audit;
        this.ownsAudit = b.audit == null;
        this.clock = b.clock;
        this.listener = listener;
        this.idleTimeout = b.idleTimeout;
        this.revocation = b.revocation;
        this.maxPerPeer = b.maxConnectionsPerPeer;
        this.permits = new Semaphore(b.maxConnections);
        this.workers = Executors.newCachedThreadPool(r -> daemon(r, "secret-service-connection"));
        for (int i = 0; i < ACCEPTORS; i++) {
            acceptors.add(daemon(this::acceptLoop, "secret-service-accept-" + i));
        }
    }

    /**
     * A service for {@code objects}, speaking with {@code credentials} (the service's own program
     * certificate), authorizing with {@code guard} and {@code directives}, auditing to
     * {@code auditFile}.
     */
    public static Builder builder(ProgramCredentials credentials, ProtectedObjects objects, Guard guard,
            DirectiveVerifier directives) {
        return new Builder(credentials, objects, guard, directives);
    }

    /**
     * Peer disclosure (the seed's alternative to a central service): a program serves its own
     * protected objects, from its own store under its own master key, to successors that present
     * a directive of the domain's policy key naming them. Its guard grants nothing, so every
     * request needs a directive ({@link DirectiveVerifier}: the directive must name the requester
     * as its Tao channel authenticated it, the object and epoch asked for, a verb that allows the
     * operation, and be within its window). Everything else is as for the service: audited,
     * bounded per client, the same client ({@link SecretServiceClient}).
     */
    public static Builder peerDisclosure(ProgramCredentials credentials, ProtectedObjects objects,
            DirectiveVerifier directives) {
        return new Builder(credentials, objects, DatalogGuard.inMemory(), directives);
    }

    /** Configures and starts a {@link SecretService}. */
    public static final class Builder {
        private final ProgramCredentials credentials;
        private final ProtectedObjects objects;
        private final Guard guard;
        private final DirectiveVerifier directives;
        private InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        private Optional<RevocationChecker> revocation = Optional.empty();
        private Optional<Prin> operatorsOf = Optional.empty();
        private SecretAudit audit;
        private java.nio.file.Path auditFile;
        private int maxConnections = 64;
        private int maxConnectionsPerPeer = 4;
        private Duration idleTimeout = Duration.ofSeconds(30);
        private Clock clock = Clock.systemUTC();

        private Builder(ProgramCredentials credentials, ProtectedObjects objects, Guard guard,
                DirectiveVerifier directives) {
            this.credentials = Objects.requireNonNull(credentials, "credentials");
            this.objects = Objects.requireNonNull(objects, "objects");
            this.guard = Objects.requireNonNull(guard, "guard");
            this.directives = Objects.requireNonNull(directives, "directives");
        }

        /** Where to listen; the loopback address on a free port by default. */
        public Builder listen(InetSocketAddress address) {
            this.address = Objects.requireNonNull(address, "address");
            return this;
        }

        /**
         * Refuses revoked programs at the handshake. A service of a domain with a domain service
         * should always set one ({@link RevocationChecker#fromDomainService}).
         */
        public Builder revocation(RevocationChecker checker) {
            this.revocation = Optional.of(Objects.requireNonNull(checker, "checker"));
            return this;
        }

        /**
         * Serves the domain's operators: a peer named {@code policyPrincipal.Operator("who")} may do
         * every operation on every object, as with {@code Own} ({@code tao secrets}). Only the policy
         * key can certify such a name (the domain service refuses every name under the policy key),
         * and the policy key already decides every rule, so this grants its holder nothing new; it
         * spares the operator a directive per epoch. Off by default. Operators' requests are audited
         * with basis {@code OPERATOR}.
         */
        public Builder operatorsOf(Prin policyPrincipal) {
            Objects.requireNonNull(policyPrincipal, "policyPrincipal");
            if (!policyPrincipal.ext().isEmpty()) {
                throw new IllegalArgumentException("a policy principal is a bare key principal");
            }
            this.operatorsOf = Optional.of(policyPrincipal);
            return this;
        }

        /** The audit file (appended to; the service closes it). Required unless {@link #audit(SecretAudit)}. */
        public Builder auditLog(java.nio.file.Path file) {
            this.auditFile = Objects.requireNonNull(file, "file");
            return this;
        }

        /** An audit trail the caller owns and closes. */
        public Builder audit(SecretAudit trail) {
            this.audit = Objects.requireNonNull(trail, "trail");
            return this;
        }

        /** Channels served at once; 64 by default. */
        public Builder maxConnections(int max) {
            if (max < 1) {
                throw new IllegalArgumentException("maxConnections must be positive");
            }
            this.maxConnections = max;
            return this;
        }

        /** Channels one principal may hold at once; 4 by default. */
        public Builder maxConnectionsPerPeer(int max) {
            if (max < 1) {
                throw new IllegalArgumentException("maxConnectionsPerPeer must be positive");
            }
            this.maxConnectionsPerPeer = max;
            return this;
        }

        /** How long a channel may wait between requests; 30 seconds by default. */
        public Builder idleTimeout(Duration timeout) {
            if (timeout.isNegative() || timeout.isZero() || timeout.toMillis() > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("idleTimeout must be positive");
            }
            this.idleTimeout = timeout;
            return this;
        }

        /** The clock audit records are stamped with (tests). */
        Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** Binds and starts accepting. */
        public SecretService start() throws IOException {
            if (audit == null && auditFile == null) {
                throw new IllegalStateException("an audit log is required");
            }
            TaoChannels.Builder channels = TaoChannels.builder(credentials)
                    .maxMessageBytes(SecretProtocol.MAX_MESSAGE_BYTES);
            revocation.ifPresent(channels::revocation);
            SecretAudit trail = audit != null ? audit : SecretAudit.open(auditFile);
            TaoListener listener;
            try {
                listener = channels.build().listen(address);
            } catch (IOException | RuntimeException e) {
                if (audit == null) {
                    trail.close();
                }
                throw e;
            }
            SecretService service = new SecretService(this, listener, trail);
            service.acceptors.forEach(Thread::start);
            return service;
        }
    }

    /** The address it listens on. */
    public InetSocketAddress address() {
        return listener.address();
    }

    private void acceptLoop() {
        while (!closed) {
            TaoChannel channel;
            try {
                // The handshake runs here, bounded by the channel's handshake timeout.
                channel = listener.accept();
            } catch (PeerRefusedException e) {
                LOG.log(System.Logger.Level.INFO, "peer refused at the handshake: {0}", e.getMessage());
                continue;
            } catch (SSLException | SocketTimeoutException e) {
                LOG.log(System.Logger.Level.DEBUG, "handshake failed: {0}", e.getMessage());
                continue;
            } catch (IOException e) {
                if (!closed) {
                    LOG.log(System.Logger.Level.WARNING, "accept failed: {0}", e.getMessage());
                    pause();
                }
                continue;
            }
            Optional<String> full = admit(channel.peer());
            if (full.isPresent()) {
                auditQuietly(channel.peer(), null, "-", SecretAudit.Decision.DENIED, full.get());
                closeQuietly(channel);
                continue;
            }
            open.add(channel);
            try {
                workers.execute(() -> serve(channel));
            } catch (RuntimeException e) {
                release(channel);
            }
        }
    }

    /** Takes a connection slot for {@code peer}, or says why there is none. */
    private Optional<String> admit(Prin peer) {
        synchronized (perPeer) {
            int held = perPeer.getOrDefault(peer, 0);
            if (held >= maxPerPeer) {
                return Optional.of("too many connections from this principal (limit " + maxPerPeer + ")");
            }
            if (!permits.tryAcquire()) {
                return Optional.of("too many connections");
            }
            perPeer.put(peer, held + 1);
            return Optional.empty();
        }
    }

    private void release(TaoChannel channel) {
        open.remove(channel);
        closeQuietly(channel);
        synchronized (perPeer) {
            perPeer.computeIfPresent(channel.peer(), (p, n) -> n <= 1 ? null : n - 1);
            permits.release();
        }
    }

    /** Connections the principal holds now; for tests. */
    int connectionsOf(Prin peer) {
        synchronized (perPeer) {
            return perPeer.getOrDefault(peer, 0);
        }
    }

    private void serve(TaoChannel channel) {
        Prin peer = channel.peer();
        try {
            channel.setReceiveTimeout(idleTimeout);
            while (!closed) {
                byte[] bytes;
                try {
                    bytes = channel.receive();
                } catch (EOFException | SocketTimeoutException e) {
                    return;
                }
                SecretResponse response;
                boolean keepOpen = true;
                Optional<String> revoked = revokedNow(channel);
                if (revoked.isPresent()) {
                    // Checked per request as well as at the handshake: a program revoked while its
                    // channel is open fetches nothing more (no new epoch) over that channel.
                    Arrays.fill(bytes, (byte) 0);
                    auditQuietly(peer, null, "-", SecretAudit.Decision.DENIED, revoked.get());
                    response = SecretResponse.refused(SecretResponse.Status.DENIED, revoked.get());
                    byte[] answer = SecretProtocol.encodeResponse(response);
                    channel.send(answer);
                    return;
                }
                try (SecretRequest request = SecretProtocol.parseRequest(bytes)) {
                    response = handle(peer, request);
                } catch (MalformedMessageException e) {
                    auditQuietly(peer, null, "-", SecretAudit.Decision.FAILED, "bad request: " + e.getMessage());
                    response = SecretResponse.refused(SecretResponse.Status.BAD_REQUEST, e.getMessage());
                    keepOpen = false;
                } finally {
                    Arrays.fill(bytes, (byte) 0);
                }
                byte[] answer = SecretProtocol.encodeResponse(response);
                try {
                    channel.send(answer);
                } finally {
                    Arrays.fill(answer, (byte) 0);
                    response.close();
                }
                if (!keepOpen) {
                    return;
                }
            }
        } catch (IOException | RuntimeException e) {
            // A framing error, a reset or a timeout: this channel only.
            LOG.log(System.Logger.Level.DEBUG, "connection from {0} ended: {1}", peer, e.toString());
        } finally {
            release(channel);
        }
    }

    /** Why the channel's peer certificate may no longer be served, if it may not. */
    private Optional<String> revokedNow(TaoChannel channel) {
        if (revocation.isEmpty()) {
            return Optional.empty();
        }
        try {
            revocation.get().check((X509Certificate) channel.session().getPeerCertificates()[0]);
            return Optional.empty();
        } catch (RevokedCertificateException e) {
            return Optional.of("the requester's certificate is revoked");
        } catch (RevocationUnknownException e) {
            return Optional.of("the revocation status of the requester is unknown");
        } catch (SSLPeerUnverifiedException | RuntimeException e) {
            return Optional.of("the requester's certificate cannot be checked");
        }
    }

    /**
     * Decides and performs one request from the authenticated {@code peer}; every path writes one
     * audit record first.
     */
    SecretResponse handle(Prin peer, SecretRequest request) {
        try {
            if (request.op() == SecretOp.READ) {
                return read(peer, request);
            }
            synchronized (mutations) {
                return mutate(peer, request);
            }
        } catch (AuditFailure e) {
            return SecretResponse.refused(SecretResponse.Status.INTERNAL, "the service could not audit the decision");
        }
    }

    private SecretResponse read(Prin peer, SecretRequest request) throws AuditFailure {
        ObjectId id;
        try {
            id = request.epoch() == 0 ? objects.newestActive(request.name()) : new ObjectId(request.name(), request.epoch());
        } catch (ObjectNotFoundException e) {
            // Only a program that may read the name's first epoch learns that it has none; to any
            // other an absent name looks like one it may not read.
            Optional<SecretResponse> refused = authorize(peer, request, new ObjectId(request.name(), 1));
            if (refused.isPresent()) {
                return refused.get();
            }
            return failed(peer, request, request.name().value(), e);
        } catch (IOException | KeyManagementException e) {
            return failed(peer, request, request.name().value(), e);
        }
        Optional<SecretResponse> refused = authorize(peer, request, id);
        if (refused.isPresent()) {
            return refused.get();
        }
        try (ObjectMaterial material = objects.read(id)) {
            byte[] bytes = material.exportSecretMaterial();
            try {
                record(peer, request.op(), id.toString(), SecretAudit.Decision.GRANTED, basis(peer, request), "");
                return SecretResponse.ok(material.info(), bytes);
            } finally {
                Arrays.fill(bytes, (byte) 0);
            }
        } catch (IOException | KeyManagementException e) {
            return failed(peer, request, id.toString(), e);
        }
    }

    private SecretResponse mutate(Prin peer, SecretRequest request) throws AuditFailure {
        ObjectId target;
        try {
            target = switch (request.op()) {
                case WRITE -> new ObjectId(request.name(), nextEpoch(request));
                case CREATE -> new ObjectId(request.name(), 1);
                case DELETE, REVOKE -> new ObjectId(request.name(), request.epoch());
                case ROTATE -> new ObjectId(request.name(), objects.newestActive(request.name()).epoch() + 1);
                case READ -> throw new IllegalStateException("READ is not a mutation");
            };
        } catch (IOException | KeyManagementException e) {
            return failed(peer, request, request.name().value(), e);
        }
        Optional<SecretResponse> refused = authorize(peer, request, target);
        if (refused.isPresent()) {
            return refused.get();
        }
        try {
            ObjectInfo info = switch (request.op()) {
                case WRITE -> write(request);
                case CREATE -> objects.createKey(request.name(), request.type().orElseThrow(),
                        request.protector().orElseThrow(), Validity.UNBOUNDED);
                case DELETE, REVOKE -> {
                    if (request.op() == SecretOp.REVOKE) {
                        objects.revoke(target);
                    } else {
                        objects.retire(target);
                    }
                    yield objects.epochs(target.name()).stream().filter(i -> i.id().equals(target)).findFirst()
                            .orElseThrow(() -> new ObjectNotFoundException("no link for " + target));
                }
                case ROTATE -> objects.rotate(request.name(), Validity.UNBOUNDED);
                case READ -> throw new IllegalStateException("READ is not a mutation");
            };
            record(peer, request.op(), info.id().toString(), SecretAudit.Decision.GRANTED, basis(peer, request), "");
            return SecretResponse.ok(info, new byte[0]);
        } catch (IOException | KeyManagementException | IllegalArgumentException e) {
            return failed(peer, request, target.toString(), e);
        }
    }

    private ObjectInfo write(SecretRequest request) throws IOException, KeyManagementException {
        byte[] content = request.content();
        try {
            return objects.write(request.name(), request.protector().orElseThrow(), content, Validity.UNBOUNDED);
        } finally {
            Arrays.fill(content, (byte) 0);
        }
    }

    private int nextEpoch(SecretRequest request) throws IOException {
        List<ObjectInfo> epochs = objects.epochs(request.name());
        return epochs.isEmpty() ? 1 : epochs.get(epochs.size() - 1).id().epoch() + 1;
    }

    /**
     * The operator name {@code policyPrincipal.Operator("who")} ({@link Builder#operatorsOf}).
     *
     * @throws IllegalArgumentException if {@code who} is empty or longer than 64 characters, or the
     *     policy principal is not a bare key principal
     */
    public static Prin operatorPrincipal(Prin policyPrincipal, String who) {
        if (!policyPrincipal.ext().isEmpty()) {
            throw new IllegalArgumentException("a policy principal is a bare key principal");
        }
        if (who.isEmpty() || who.length() > 64) {
            throw new IllegalArgumentException("an operator's name has 1 to 64 characters");
        }
        return policyPrincipal.extend(PrinExt.of(OPERATOR_EXTENSION, new Str(who)));
    }

    /** Whether {@code peer} is an operator of the domain this service serves operators of. */
    private boolean isOperator(Prin peer) {
        if (operatorsOf.isEmpty() || !peer.isExtensionOf(operatorsOf.get())) {
            return false;
        }
        List<PrinExt> ext = peer.extensionsBeyond(operatorsOf.get()).exts();
        return ext.size() == 1 && ext.get(0).name().equals(OPERATOR_EXTENSION) && ext.get(0).args().size() == 1
                && ext.get(0).args().get(0) instanceof Str;
    }

    /** Empty if {@code peer} may do the request's operation on {@code target}; else the refusal. */
    private Optional<SecretResponse> authorize(Prin peer, SecretRequest request, ObjectId target) throws AuditFailure {
        Verb verb = request.op().verb();
        Optional<byte[]> directive = request.directive();
        if (isOperator(peer) && directive.isEmpty()) {
            return Optional.empty();
        }
        if (directive.isPresent()) {
            try {
                directives.verify(directive.get(), peer, verb, target);
                return Optional.empty();
            } catch (DirectiveRefusedException e) {
                String reason = "directive refused: " + e.getMessage();
                record(peer, request.op(), target.toString(), SecretAudit.Decision.DENIED, SecretAudit.Basis.DIRECTIVE,
                        reason);
                return Optional.of(SecretResponse.refused(SecretResponse.Status.DENIED, reason));
            }
        }
        List<String> args = List.of(target.name().value(), Integer.toString(target.epoch()));
        if (guard.isAuthorized(peer, verb.guardOperation(), args) || guard.isAuthorized(peer, OWN, args)) {
            return Optional.empty();
        }
        String fact = "Authorized(P, \"" + verb.guardOperation() + "\", \"" + target.name() + "\", ";
        String reason = "the guard does not authorize " + fact + "\"" + target.epoch() + "\")";
        record(peer, request.op(), target.toString(), SecretAudit.Decision.DENIED, SecretAudit.Basis.GUARD, reason);
        // A refused request for the newest epoch does not learn which epoch that is (or whether
        // there is one); the audit record names it for the operator.
        String answer = request.op() == SecretOp.READ && request.epoch() == 0
                ? "the guard does not authorize " + fact + "E) for the newest epoch E (the audit log names it)"
                : reason;
        return Optional.of(SecretResponse.refused(SecretResponse.Status.DENIED, answer));
    }

    private SecretResponse failed(Prin peer, SecretRequest request, String object, Exception e) throws AuditFailure {
        SecretResponse.Status status;
        String reason;
        if (e instanceof ObjectNotFoundException) {
            status = SecretResponse.Status.NOT_FOUND;
            reason = e.getMessage();
        } else if (e instanceof ObjectUnreadableException || e instanceof ObjectNotValidException) {
            status = SecretResponse.Status.UNREADABLE;
            reason = e.getMessage();
        } else if (e instanceof RetireRefusedException || e instanceof IllegalArgumentException
                || e instanceof KeyManagementException) {
            // ProtectedObjects' messages name objects and epochs only.
            status = SecretResponse.Status.REFUSED;
            reason = e.getMessage();
        } else {
            LOG.log(System.Logger.Level.ERROR, "storage failed during " + request.op() + " of " + object, e);
            status = SecretResponse.Status.INTERNAL;
            reason = "the service's storage failed";
        }
        record(peer, request.op(), object, SecretAudit.Decision.FAILED, basis(peer, request), reason);
        return SecretResponse.refused(status, reason);
    }

    private SecretAudit.Basis basis(Prin peer, SecretRequest request) {
        return request.hasDirective() ? SecretAudit.Basis.DIRECTIVE
                : isOperator(peer) ? SecretAudit.Basis.OPERATOR : SecretAudit.Basis.GUARD;
    }

    private void record(Prin peer, SecretOp op, String object, SecretAudit.Decision decision, SecretAudit.Basis basis,
            String reason) throws AuditFailure {
        try {
            audit.record(clock.instant(), peer, op, object, decision, basis, reason);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.ERROR, "cannot write the audit record; request refused", e);
            throw new AuditFailure();
        }
    }

    private void auditQuietly(Prin peer, SecretOp op, String object, SecretAudit.Decision decision, String reason) {
        try {
            audit.record(clock.instant(), peer, op, object, decision, SecretAudit.Basis.NONE, reason);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.ERROR, "cannot write the audit record", e);
        }
    }

    /** Thrown inside the service when a decision could not be recorded: it is then not acted on. */
    private static final class AuditFailure extends Exception {
        private static final long serialVersionUID = 1L;

        AuditFailure() {
            super(null, null, false, false);
        }
    }

    private static void closeQuietly(TaoChannel channel) {
        try {
            channel.close();
        } catch (IOException e) {
            // Nothing more to do for a channel that is being dropped.
        }
    }

    private static void pause() {
        try {
            Thread.sleep(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /** Waits until {@link #close()} has been called and the acceptors have stopped. */
    public void awaitClosed() throws InterruptedException {
        for (Thread t : acceptors) {
            t.join();
        }
    }

    /** Stops accepting, closes every channel and waits for their threads. Idempotent. */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        listener.close();
        open.forEach(SecretService::closeQuietly);
        workers.shutdown();
        try {
            for (Thread t : acceptors) {
                t.join(TimeUnit.SECONDS.toMillis(5));
            }
            workers.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (ownsAudit) {
            audit.close();
        }
    }

    @Override
    public String toString() {
        return "SecretService[" + listener.address() + "]";
    }
}
