package dev.cloudproxy.tao.host;

import com.google.protobuf.ByteString;
import dev.cloudproxy.tao.AttestRequest;
import dev.cloudproxy.tao.StaleStateException;
import dev.cloudproxy.tao.CoreTao;
import dev.cloudproxy.tao.Unsealed;
import dev.cloudproxy.tao.auth.AuthFormatException;
import dev.cloudproxy.tao.auth.Form;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.PrinTail;
import dev.cloudproxy.tao.auth.SubPrin;
import dev.cloudproxy.tao.auth.Term;
import dev.cloudproxy.tao.host.unix.UnixConnection;
import dev.cloudproxy.tao.host.unix.UnixListener;
import dev.cloudproxy.tao.proto.TaoRpcProtos.TaoRpcError;
import dev.cloudproxy.tao.proto.TaoRpcProtos.TaoRpcRequest;
import dev.cloudproxy.tao.proto.TaoRpcProtos.TaoRpcResponse;
import dev.cloudproxy.tao.rpc.RpcFrameException;
import dev.cloudproxy.tao.rpc.RpcFrames;
import dev.cloudproxy.tao.events.TaoEvents;
import dev.cloudproxy.tao.metrics.Metrics;
import dev.cloudproxy.tao.rpc.RpcProtocol;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The host's side of the host RPC protocol: a Unix domain socket on which each hosted program
 * reaches its {@link CoreTao}.
 *
 * <p>Who is calling is decided once per connection from the kernel's peer credentials: the
 * connecting process's id, checked against {@link HostedPrograms} together with the process's
 * start time. Nothing the peer sends is used to identify it, so a process the host did not
 * register is refused however it learned the socket path. The socket lives in a directory only
 * the host's user can enter (mode 0700), and is removed on {@link #close}.
 *
 * <p>One thread per connection. A frame that is oversized, cut short or not a request closes
 * that connection only; other programs' connections carry on.
 *
 * <p>What one program can hold is bounded by {@link RpcLimits} (ARCHITECTURE.md rule 14):
 * connections (per program and in all), time (a connection idle too long is closed with a notice
 * the client handles by reconnecting; a frame that does not complete in time is cut off) and the
 * bytes of frames being read or served (per program and in all, accounted before they are
 * allocated and released when the request is answered or fails). A program at its limit gets
 * refusals and closed connections; other programs are served as before.
 */
public final class TaoRpcServer implements AutoCloseable {
    /** The name of the socket file inside the server's directory. */
    public static final String SOCKET_NAME = "tao.sock";

    private static final System.Logger LOG = System.getLogger(TaoRpcServer.class.getName());
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rwx------");

    private final Host host;
    private final HostedPrograms programs;
    private final RpcLimits limits;
    private final UnixListener listener;
    private final Thread acceptor;
    // Guarded by connections: the live connections, what each program holds, the bytes of frames
    // held by all connections together and the most they ever came to.
    private final Set<Connection> connections = new HashSet<>();
    private final Metrics metrics = new Metrics();
    private final Metrics.Counter calls = metrics.counter("tao_host_rpc_calls_total",
            "Tao RPC requests answered, by method (unknown for any other operation name).", "method");
    private final Metrics.Counter errors = metrics.counter("tao_host_rpc_errors_total",
            "Tao RPC requests answered with an error, by method and error kind.", "method", "error");
    private final Metrics.Counter refusedConnections = metrics.counter("tao_host_rpc_connections_refused_total",
            "Tao RPC connections turned away, by reason.", "reason");
    private final Map<HostedProgram, Usage> usage = new HashMap<>();
    private long bufferedBytes;
    private long peakBufferedBytes;
    private boolean closed;

    /** What one hosted program holds; removed when its last connection ends. */
    private static final class Usage {
        int connections;
        long bytes;
        boolean refusalLogged;
    }

    private TaoRpcServer(Host host, HostedPrograms programs, RpcLimits limits, UnixListener listener) {
        this.host = host;
        this.programs = programs;
        this.limits = limits;
        this.listener = listener;
        this.acceptor = new Thread(this::acceptLoop, "tao-rpc-accept " + listener.path());
        this.acceptor.setDaemon(true);
        metrics.gauge("tao_host_rpc_connections_open", "Tao RPC connections being served.", () -> {
            synchronized (connections) {
                return connections.size();
            }
        });
    }

    /** The server's counters and gauges (serve them with a {@link dev.cloudproxy.tao.metrics.MetricsEndpoint}). */
    public Metrics metrics() {
        return metrics;
    }

    /**
     * Starts serving {@code host}'s programs on {@code directory}/{@value #SOCKET_NAME}. The
     * directory is created with mode 0700 if missing; if it exists it must be a directory (not a
     * link) with exactly that mode. A stale socket file in it is replaced.
     */
    public static TaoRpcServer start(Path directory, Host host, HostedPrograms programs) throws IOException {
        return start(directory, host, programs, RpcLimits.DEFAULT);
    }

    /** As {@link #start(Path, Host, HostedPrograms)}, with other limits than the default ones. */
    public static TaoRpcServer start(Path directory, Host host, HostedPrograms programs, RpcLimits limits)
            throws IOException {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(programs, "programs");
        Objects.requireNonNull(limits, "limits");
        privateDirectory(directory);
        Path socket = directory.resolve(SOCKET_NAME);
        Files.deleteIfExists(socket);
        TaoRpcServer server = new TaoRpcServer(host, programs, limits, UnixListener.bind(socket, 64));
        server.acceptor.start();
        return server;
    }

    private static void privateDirectory(Path dir) throws IOException {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
        }
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException(dir + " is not a directory");
        }
        Set<PosixFilePermission> mode = Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS);
        if (!mode.equals(OWNER_ONLY)) {
            throw new IOException(dir + " has mode " + PosixFilePermissions.toString(mode) + ", not rwx------");
        }
    }

    /** The socket path: what a hosted program's {@code TAO_HOST_SOCKET} names. */
    public Path socketPath() {
        return listener.path();
    }

    /** The limits this server enforces. */
    public RpcLimits limits() {
        return limits;
    }

    /**
     * Bytes of request frames the server holds right now (being read, or read and being served),
     * as accounted against {@link RpcLimits#maxBufferedBytes()}; for tests and monitoring.
     */
    public long bufferedBytes() {
        synchronized (connections) {
            return bufferedBytes;
        }
    }

    /** The most {@link #bufferedBytes()} has ever been. */
    public long peakBufferedBytes() {
        synchronized (connections) {
            return peakBufferedBytes;
        }
    }

    /** Connections being served right now (identified or not yet), for tests and monitoring. */
    public int connectionCount() {
        synchronized (connections) {
            return connections.size();
        }
    }

    private void acceptLoop() {
        try {
            while (true) {
                UnixConnection c = listener.accept();
                if (c == null) {
                    return;
                }
                Connection conn = new Connection(c);
                synchronized (connections) {
                    if (closed || connections.size() >= limits.maxConnections()) {
                        refusedConnections.inc(closed ? "closing" : "host-limit");
                        conn.refuse(closed ? "the host is shutting down" : "too many connections");
                        continue;
                    }
                    connections.add(conn);
                }
                conn.thread.start();
            }
        } catch (IOException e) {
            LOG.log(Level.ERROR, "Tao RPC server on " + listener.path() + " stopped accepting: " + e.getMessage());
        } finally {
            listener.close();
        }
    }

    /**
     * Stops accepting, ends every connection, waits for their threads and removes the socket file.
     */
    @Override
    public void close() throws IOException {
        List<Connection> live;
        synchronized (connections) {
            if (closed) {
                return;
            }
            closed = true;
            live = new ArrayList<>(connections);
        }
        listener.shutdown();
        join(acceptor);
        for (Connection c : live) {
            c.socket.shutdown();
        }
        for (Connection c : live) {
            join(c.thread);
        }
        Files.deleteIfExists(listener.path());
    }

    private static void join(Thread t) {
        boolean interrupted = false;
        while (true) {
            try {
                t.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private final class Connection implements RpcFrames.Allowance {
        final UnixConnection socket;
        final Thread thread;
        // Set once identified and admitted; guarded by connections (as is held).
        Usage programUsage;
        long held;

        /** The program this connection serves, once identified. */
        private HostedProgram served;

        Connection(UnixConnection socket) {
            this.socket = socket;
            this.thread = new Thread(this::serve, "tao-rpc pid " + socket.peer().pid());
            this.thread.setDaemon(true);
        }

        void refuse(String why) {
            try {
                RpcFrames.write(socket, RpcProtocol.error(0, TaoRpcError.TAO_RPC_REFUSED, why).toByteArray());
            } catch (IOException e) {
                // It is being turned away anyway.
            } finally {
                socket.close();
            }
        }

        void serve() {
            long pid = socket.peer().pid();
            try {
                Optional<HostedProgram> program = programs.identify(socket.peer());
                if (program.isEmpty()) {
                    LOG.log(Level.WARNING, "refused a Tao RPC connection from process " + pid + ": not a hosted program");
                    refusedConnections.inc("not-hosted");
                    refuse("process " + pid + " is not a hosted program of this host");
                    return;
                }
                if (!admit(program.get())) {
                    refusedConnections.inc("per-program-limit");
                    refuse("process " + pid + " already has " + limits.maxConnectionsPerProgram()
                            + " connections to this host");
                    return;
                }
                served = program.get();
                CoreTao tao = host.taoFor(served);
                RpcFrames.write(socket, TaoRpcResponse.newBuilder().setSeq(0).build().toByteArray());
                while (true) {
                    if (!socket.awaitReadable(limits.idleTimeout())) {
                        // Nothing is read after this notice, so a request that crosses it was not
                        // run and the client may send it again on a new connection.
                        RpcFrames.write(socket, RpcProtocol.error(0, TaoRpcError.TAO_RPC_IDLE,
                                "no request for " + limits.idleTimeout().toSeconds() + " s").toByteArray());
                        return;
                    }
                    if (!serveOne(tao)) {
                        return;
                    }
                }
            } catch (SocketTimeoutException e) {
                LOG.log(Level.WARNING, "closed the Tao RPC connection from process " + pid
                        + ": a frame did not arrive within " + limits.frameTimeout().toSeconds() + " s");
            } catch (RpcFrameException e) {
                LOG.log(Level.WARNING, "closed the Tao RPC connection from process " + pid + ": " + e.getMessage());
            } catch (IOException e) {
                // The program went away or the host is closing: nothing to answer.
            } catch (RuntimeException e) {
                LOG.log(Level.ERROR, "Tao RPC connection from process " + pid + " failed", e);
            } finally {
                socket.close();
                synchronized (connections) {
                    connections.remove(this);
                    releaseFrame();
                    if (programUsage != null && --programUsage.connections == 0) {
                        usage.values().remove(programUsage);
                    }
                }
            }
        }

        /** Counts this connection against {@code program}'s limit; false if it is at its limit. */
        private boolean admit(HostedProgram program) {
            synchronized (connections) {
                Usage u = usage.computeIfAbsent(program, p -> new Usage());
                if (u.connections >= limits.maxConnectionsPerProgram()) {
                    if (!u.refusalLogged) {
                        u.refusalLogged = true; // once per burst: a flood must not flood the log too
                        LOG.log(Level.WARNING, "hosted program process " + program.pid() + " reached its limit of "
                                + limits.maxConnectionsPerProgram() + " Tao RPC connections; refusing more");
                    }
                    return false;
                }
                u.connections++;
                programUsage = u;
                return true;
            }
        }

        /** Reads, runs and answers one request; false at a clean end of stream. */
        private boolean serveOne(CoreTao tao) throws IOException {
            socket.readBefore(System.nanoTime() + limits.frameTimeout().toNanos());
            byte[] frame;
            try {
                frame = RpcFrames.read(socket, RpcFrames.MAX_FRAME_BYTES, this);
            } finally {
                socket.readWithoutDeadline();
            }
            if (frame == null) {
                return false;
            }
            try {
                TaoRpcRequest request;
                try {
                    request = RpcProtocol.parseRequest(frame);
                } finally {
                    Arrays.fill(frame, (byte) 0);
                }
                TaoEvents.RpcCall event = TaoEvents.rpcCall();
                TaoRpcResponse answer = handle(tao, request);
                String method = OPERATIONS.contains(request.getOp()) ? request.getOp() : "unknown";
                HostedProgram caller = served;
                event.end(() -> "pid " + caller.pid() + ": " + caller.subprin(), method,
                        answer.hasError() ? answer.getError().name() : null);
                calls.inc(method);
                if (answer.hasError()) {
                    errors.inc(method, answer.getError().name());
                }
                byte[] response = answer.toByteArray();
                try {
                    RpcFrames.write(socket, response);
                } finally {
                    Arrays.fill(response, (byte) 0);
                }
                return true;
            } finally {
                synchronized (connections) {
                    releaseFrame();
                }
            }
        }

        @Override
        public void reserve(int bytes) throws RpcFrameException {
            synchronized (connections) {
                if (programUsage.bytes + bytes > limits.maxBufferedBytesPerProgram()) {
                    throw new RpcFrameException("the program's frames in progress would exceed "
                            + limits.maxBufferedBytesPerProgram() + " bytes");
                }
                if (bufferedBytes + bytes > limits.maxBufferedBytes()) {
                    throw new RpcFrameException("the host's frames in progress would exceed "
                            + limits.maxBufferedBytes() + " bytes");
                }
                programUsage.bytes += bytes;
                bufferedBytes += bytes;
                held += bytes;
                peakBufferedBytes = Math.max(peakBufferedBytes, bufferedBytes);
            }
        }

        /** Gives back what this connection's current frame held; called with the lock held. */
        private void releaseFrame() {
            if (held > 0) {
                programUsage.bytes -= held;
                bufferedBytes -= held;
                held = 0;
            }
        }
    }

    /** The operation names counted by name; any other counts as {@code unknown} (bounded labels). */
    private static final Set<String> OPERATIONS = Set.of(RpcProtocol.GET_TAO_NAME, RpcProtocol.EXTEND_TAO_NAME,
            RpcProtocol.GET_RANDOM_BYTES, RpcProtocol.GET_SHARED_SECRET, RpcProtocol.GET_GROUP_KEY, RpcProtocol.ATTEST,
            RpcProtocol.SEAL,
            RpcProtocol.UNSEAL, RpcProtocol.INIT_COUNTER, RpcProtocol.GET_COUNTER, RpcProtocol.ROLLBACK_PROTECTED_SEAL,
            RpcProtocol.ROLLBACK_PROTECTED_UNSEAL);

    /** One request's response: the result, or the error the call raised. */
    static TaoRpcResponse handle(CoreTao tao, TaoRpcRequest r) {
        long seq = r.getSeq();
        if (!r.hasSeq() || seq == 0 || !r.hasOp()) {
            return RpcProtocol.error(seq, TaoRpcError.TAO_RPC_BAD_REQUEST, "a request needs an operation and a sequence number > 0");
        }
        TaoRpcResponse.Builder out = TaoRpcResponse.newBuilder().setSeq(seq);
        try {
            switch (r.getOp()) {
                case RpcProtocol.GET_TAO_NAME -> out.setData(ByteString.copyFrom(tao.getTaoName().encode()));
                case RpcProtocol.EXTEND_TAO_NAME -> tao.extendTaoName(subprin(r));
                case RpcProtocol.GET_RANDOM_BYTES -> out.setData(ByteString.copyFrom(tao.getRandomBytes(size(r))));
                case RpcProtocol.GET_SHARED_SECRET -> out.setData(ByteString.copyFrom(tao.getSharedSecret(size(r), policy(r))));
                case RpcProtocol.GET_GROUP_KEY -> {
                    List<Prin> members = members(r);
                    byte[] key = r.hasAsker() ? tao.getGroupKeyFor(principal(r.getAsker(), "asker"), members, size(r))
                            : tao.getGroupKey(members, size(r));
                    out.setData(ByteString.copyFrom(key));
                    Arrays.fill(key, (byte) 0);
                }
                case RpcProtocol.ATTEST -> out.setData(ByteString.copyFrom(tao.attest(attestRequest(r)).serialize()));
                case RpcProtocol.SEAL -> out.setData(ByteString.copyFrom(tao.seal(data(r), policy(r))));
                case RpcProtocol.UNSEAL -> {
                    try (Unsealed u = tao.unseal(data(r))) {
                        out.setData(ByteString.copyFrom(u.data())).setPolicy(u.policy().text());
                    }
                }
                case RpcProtocol.INIT_COUNTER -> out.setCounter(tao.initCounter(label(r)));
                case RpcProtocol.GET_COUNTER -> out.setCounter(tao.getCounter(label(r)));
                case RpcProtocol.ROLLBACK_PROTECTED_SEAL ->
                        out.setData(ByteString.copyFrom(tao.rollbackProtectedSeal(label(r), data(r), policy(r))));
                case RpcProtocol.ROLLBACK_PROTECTED_UNSEAL -> {
                    try (Unsealed u = tao.rollbackProtectedUnseal(data(r))) {
                        out.setData(ByteString.copyFrom(u.data())).setPolicy(u.policy().text())
                                .setLabel(u.label().orElseThrow()).setCounter(u.counter().orElseThrow());
                    }
                }
                default -> {
                    return RpcProtocol.error(seq, TaoRpcError.TAO_RPC_BAD_REQUEST, "unknown operation " + r.getOp());
                }
            }
            return out.build();
        } catch (BadRequest e) {
            return RpcProtocol.error(seq, TaoRpcError.TAO_RPC_BAD_REQUEST, e.getMessage());
        } catch (StaleStateException e) {
            return RpcProtocol.stale(seq, e);
        } catch (Exception e) {
            TaoRpcError kind = RpcProtocol.kindOf(e);
            if (kind == TaoRpcError.TAO_RPC_INTERNAL) {
                LOG.log(Level.ERROR, "Tao RPC operation " + r.getOp() + " failed", e);
                return RpcProtocol.error(seq, kind, "internal error in the host");
            }
            return RpcProtocol.error(seq, kind, e.getMessage());
        }
    }

    private static final class BadRequest extends Exception {
        private static final long serialVersionUID = 1L;

        BadRequest(String message) {
            super(message, null, false, false);
        }
    }

    private static int size(TaoRpcRequest r) throws BadRequest {
        if (!r.hasSize()) {
            throw new BadRequest(r.getOp() + " needs a size");
        }
        return r.getSize();
    }

    private static String policy(TaoRpcRequest r) throws BadRequest {
        if (!r.hasPolicy()) {
            throw new BadRequest(r.getOp() + " needs a policy");
        }
        return r.getPolicy();
    }

    private static String label(TaoRpcRequest r) throws BadRequest {
        if (!r.hasLabel()) {
            throw new BadRequest(r.getOp() + " needs a label");
        }
        return r.getLabel();
    }

    private static byte[] data(TaoRpcRequest r) throws BadRequest {
        if (!r.hasData()) {
            throw new BadRequest(r.getOp() + " needs data");
        }
        return r.getData().toByteArray();
    }

    /**
     * The group of a GetGroupKey request, bounded before anything is decoded: the count and each
     * name's length (the frame bound alone would let 17 MiB of names through the decoder).
     */
    private static List<Prin> members(TaoRpcRequest r) throws BadRequest {
        int count = r.getMembersCount();
        if (count < 1 || count > CoreTao.MAX_GROUP_MEMBERS) {
            throw new BadRequest(r.getOp() + " needs 1.." + CoreTao.MAX_GROUP_MEMBERS + " members");
        }
        List<Prin> members = new ArrayList<>(count);
        for (ByteString m : r.getMembersList()) {
            members.add(principal(m, "member"));
        }
        return members;
    }

    private static Prin principal(ByteString encoded, String what) throws BadRequest {
        if (encoded.size() > CoreTao.MAX_GROUP_MEMBER_NAME_BYTES) {
            throw new BadRequest(what + " name longer than " + CoreTao.MAX_GROUP_MEMBER_NAME_BYTES + " bytes");
        }
        try {
            return Prin.decode(encoded.toByteArray());
        } catch (AuthFormatException e) {
            throw new BadRequest(what + " is not a binary principal");
        }
    }

    private static SubPrin subprin(TaoRpcRequest r) throws BadRequest {
        if (!r.hasSubprin() || r.getSubprin().isEmpty()) {
            return SubPrin.EMPTY;
        }
        try {
            if (Term.decode(r.getSubprin().toByteArray()) instanceof PrinTail tail) {
                return tail.ext();
            }
        } catch (AuthFormatException e) {
            // reported below
        }
        throw new BadRequest("subprin is not a binary principal tail");
    }

    private static AttestRequest attestRequest(TaoRpcRequest r) throws BadRequest {
        if (!r.hasMessage()) {
            throw new BadRequest("Tao.Attest needs a message");
        }
        AttestRequest a;
        try {
            a = AttestRequest.of(Form.decode(r.getMessage().toByteArray()));
            if (r.hasIssuer()) {
                a = a.issuer(Prin.decode(r.getIssuer().toByteArray()));
            }
        } catch (AuthFormatException e) {
            throw new BadRequest("malformed message or issuer: " + e.getMessage());
        }
        if (r.hasTime()) {
            a = a.from(r.getTime());
        }
        if (r.hasExpiration()) {
            a = a.until(r.getExpiration());
        }
        return a;
    }
}
