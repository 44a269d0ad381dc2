package dev.cloudproxy.tao.host;

import com.google.protobuf.ByteString;
import dev.cloudproxy.tao.host.unix.UnixConnection;
import dev.cloudproxy.tao.host.unix.UnixListener;
import dev.cloudproxy.tao.proto.TaoAdminProtos.AdminError;
import dev.cloudproxy.tao.proto.TaoAdminProtos.AdminRequest;
import dev.cloudproxy.tao.proto.TaoAdminProtos.AdminResponse;
import dev.cloudproxy.tao.rpc.RpcFrameException;
import dev.cloudproxy.tao.rpc.RpcFrames;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The host's admin socket: its owner starts, stops, lists and waits for programs, and shuts the
 * host down (protocol in core's {@code tao_admin.proto}, docs/host.md).
 *
 * <p>Only the host's owner and root may use it. The check is the kernel's peer credentials
 * ({@code SO_PEERCRED}) of the connecting process, made before anything is read from it; the
 * socket also lives in the host directory, which only the owner can enter. A caller that may not
 * administer the host gets one refusal frame naming its user and the owner, and the connection
 * is closed.
 *
 * <p>One thread per connection; a malformed frame ends its connection only, and so does a frame
 * that does not arrive within {@link #FRAME_TIMEOUT} once begun. At most {@link #MAX_CONNECTIONS}
 * connections at once; since only the owner and root get past the first check, and both can stop
 * the host anyway, an admin connection waiting between requests is not timed out (a relayed
 * {@code tao run} waits as long as its program runs).
 */
public final class AdminServer implements AutoCloseable {
    /** Most admin connections at once. */
    public static final int MAX_CONNECTIONS = 64;
    /**
     * How long an admin request may take to arrive once its first byte has; a caller that sends
     * half a frame is cut off after this.
     */
    public static final Duration FRAME_TIMEOUT = Duration.ofSeconds(30);
    /** How long stopped programs get before they are killed at shutdown. */
    public static final Duration SHUTDOWN_GRACE = Duration.ofSeconds(5);

    private static final System.Logger LOG = System.getLogger(AdminServer.class.getName());

    private final UnixListener listener;
    private final ProgramRunner runner;
    private final long ownerUid;
    private final Runnable onShutdown;
    private final Duration frameTimeout;
    private final Thread acceptor;
    private final Set<Connection> connections = new HashSet<>();
    private boolean closed;

    private AdminServer(UnixListener listener, ProgramRunner runner, long ownerUid, Runnable onShutdown,
            Duration frameTimeout) {
        this.listener = listener;
        this.frameTimeout = frameTimeout;
        this.runner = runner;
        this.ownerUid = ownerUid;
        this.onShutdown = onShutdown;
        this.acceptor = new Thread(this::acceptLoop, "tao-admin-accept");
        this.acceptor.setDaemon(true);
    }

    /**
     * Serves on {@code socket} (a stale socket file there is replaced; its directory must be
     * private to the owner).
     *
     * @param onShutdown run once, after an {@code Admin.Shutdown} request stopped every program
     *     and was answered; it should close the host (not from the calling thread's stack)
     */
    public static AdminServer start(Path socket, ProgramRunner runner, long ownerUid, Runnable onShutdown)
            throws IOException {
        return start(socket, runner, ownerUid, onShutdown, FRAME_TIMEOUT);
    }

    /** As {@link #start(Path, ProgramRunner, long, Runnable)} with another frame timeout (tests). */
    static AdminServer start(Path socket, ProgramRunner runner, long ownerUid, Runnable onShutdown,
            Duration frameTimeout) throws IOException {
        Files.deleteIfExists(socket);
        AdminServer s = new AdminServer(UnixListener.bind(socket, 16), runner, ownerUid, onShutdown, frameTimeout);
        s.acceptor.start();
        return s;
    }

    public Path socketPath() {
        return listener.path();
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
                    if (closed || connections.size() >= MAX_CONNECTIONS) {
                        conn.refuse(AdminError.ADMIN_REFUSED, closed ? "the host is shutting down" : "too many admin connections");
                        continue;
                    }
                    connections.add(conn);
                }
                conn.thread.start();
            }
        } catch (IOException e) {
            LOG.log(Level.ERROR, "admin socket " + listener.path() + " stopped accepting: " + e.getMessage());
        } finally {
            listener.close();
        }
    }

    /** Stops accepting, ends every admin connection, and removes the socket file. */
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
            if (c.thread != Thread.currentThread()) {
                join(c.thread);
            }
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

    private final class Connection {
        final UnixConnection socket;
        final Thread thread;

        Connection(UnixConnection socket) {
            this.socket = socket;
            this.thread = new Thread(this::serve, "tao-admin pid " + socket.peer().pid());
            this.thread.setDaemon(true);
        }

        void refuse(AdminError kind, String why) {
            try {
                send(AdminProtocol.error(0, kind, why));
            } catch (IOException e) {
                // Turned away anyway.
            } finally {
                socket.close();
            }
        }

        void send(AdminResponse r) throws IOException {
            byte[] b = r.toByteArray();
            try {
                RpcFrames.write(socket, b);
            } finally {
                Arrays.fill(b, (byte) 0);
            }
        }

        void serve() {
            long uid = socket.peer().uid();
            boolean shutdown = false;
            try {
                if (!AdminProtocol.allows(uid, ownerUid)) {
                    LOG.log(Level.WARNING, "refused an admin connection from user " + uid + " (pid "
                            + socket.peer().pid() + ")");
                    send(AdminProtocol.error(0, AdminError.ADMIN_REFUSED, AdminProtocol.refusal(uid, ownerUid)));
                    return;
                }
                send(AdminResponse.newBuilder().setSeq(0).build());
                while (true) {
                    byte[] frame = readRequest();
                    if (frame == null) {
                        return;
                    }
                    AdminRequest r = AdminProtocol.parseRequest(frame);
                    long seq = r.getSeq();
                    if (!r.hasOp() || seq == 0) {
                        send(AdminProtocol.error(seq, AdminError.ADMIN_BAD_REQUEST,
                                "a request needs an operation and a sequence number > 0"));
                        continue;
                    }
                    if (r.getOp().equals(AdminProtocol.START) && r.hasStart() && r.getStart().getRelay()) {
                        relay(r);
                        return;
                    }
                    send(handle(r));
                    if (r.getOp().equals(AdminProtocol.SHUTDOWN)) {
                        shutdown = true;
                        return;
                    }
                }
            } catch (RpcFrameException e) {
                LOG.log(Level.WARNING, "closed an admin connection: " + e.getMessage());
            } catch (IOException e) {
                // The caller went away.
            } catch (RuntimeException e) {
                LOG.log(Level.ERROR, "admin connection failed", e);
            } finally {
                socket.shutdown();
                synchronized (connections) {
                    connections.remove(this);
                }
                socket.close();
                if (shutdown) {
                    onShutdown.run();
                }
            }
        }

        /** The next request frame, or null at end of stream; it must arrive within the frame timeout once begun. */
        byte[] readRequest() throws IOException {
            socket.awaitReadable();
            socket.readBefore(System.nanoTime() + frameTimeout.toNanos());
            try {
                return RpcFrames.read(socket, AdminProtocol.MAX_FRAME_BYTES);
            } finally {
                socket.readWithoutDeadline();
            }
        }

        AdminResponse handle(AdminRequest r) {
            long seq = r.getSeq();
            AdminResponse.Builder out = AdminResponse.newBuilder().setSeq(seq);
            switch (r.getOp()) {
                case AdminProtocol.LIST -> {
                    out.setHostName(runner.host().name().toString());
                    runner.list().forEach(p -> out.addPrograms(AdminProtocol.describe(p)));
                    return out.build();
                }
                case AdminProtocol.START -> {
                    if (!r.hasStart()) {
                        return AdminProtocol.error(seq, AdminError.ADMIN_BAD_REQUEST, "Admin.Start needs a program");
                    }
                    try {
                        RunningProgram p = runner.start(AdminProtocol.fromWire(r.getStart()), false);
                        return out.setProgram(AdminProtocol.describe(p)).build();
                    } catch (IllegalArgumentException e) {
                        return AdminProtocol.error(seq, AdminError.ADMIN_BAD_REQUEST, e.getMessage());
                    } catch (ProgramStartException e) {
                        return startError(seq, e);
                    }
                }
                case AdminProtocol.STOP, AdminProtocol.KILL, AdminProtocol.WAIT -> {
                    if (!r.hasId()) {
                        return AdminProtocol.error(seq, AdminError.ADMIN_BAD_REQUEST, r.getOp() + " needs an id");
                    }
                    Optional<RunningProgram> p = runner.find(r.getId());
                    if (p.isEmpty()) {
                        return AdminProtocol.error(seq, AdminError.ADMIN_NOT_FOUND, "no program " + r.getId());
                    }
                    switch (r.getOp()) {
                        case AdminProtocol.STOP -> p.get().stop();
                        case AdminProtocol.KILL -> p.get().kill();
                        default -> p.get().exit().join();
                    }
                    return out.setProgram(AdminProtocol.describe(p.get())).build();
                }
                case AdminProtocol.SHUTDOWN -> {
                    LOG.log(Level.INFO, "shutdown requested by user " + socket.peer().uid());
                    runner.shutdown(SHUTDOWN_GRACE);
                    return out.build();
                }
                default -> {
                    return AdminProtocol.error(seq, AdminError.ADMIN_BAD_REQUEST, "unknown operation " + r.getOp());
                }
            }
        }

        AdminResponse startError(long seq, ProgramStartException e) {
            return AdminProtocol.error(seq, e.isDenied() ? AdminError.ADMIN_DENIED : AdminError.ADMIN_START_FAILED,
                    e.getMessage());
        }

        /**
         * Runs one program with its standard streams relayed over this connection, until it exits
         * (then the last frame carries its status) or the caller goes away (then it is stopped).
         */
        void relay(AdminRequest r) throws IOException {
            long seq = r.getSeq();
            RunningProgram p;
            try {
                p = runner.start(AdminProtocol.fromWire(r.getStart()), true);
            } catch (IllegalArgumentException e) {
                send(AdminProtocol.error(seq, AdminError.ADMIN_BAD_REQUEST, e.getMessage()));
                return;
            } catch (ProgramStartException e) {
                send(startError(seq, e));
                return;
            }
            send(AdminResponse.newBuilder().setSeq(seq).setProgram(AdminProtocol.describe(p)).build());
            AtomicBoolean finished = new AtomicBoolean();
            Thread out = pump(p.process().getInputStream(), 1, seq);
            Thread err = pump(p.process().getErrorStream(), 2, seq);
            Thread waiter = new Thread(() -> {
                join(out);
                join(err);
                int status = p.exit().join();
                try {
                    send(AdminResponse.newBuilder().setSeq(seq).setExited(status).build());
                } catch (IOException e) {
                    // The caller is gone.
                }
                finished.set(true);
                socket.shutdown();
            }, "tao-admin relay " + p.id());
            waiter.setDaemon(true);
            waiter.start();
            OutputStream stdin = p.process().getOutputStream();
            boolean stdinOpen = true;
            try {
                while (true) {
                    byte[] frame = readRequest();
                    if (frame == null) {
                        break;
                    }
                    AdminRequest in = AdminProtocol.parseRequest(frame);
                    if (!AdminProtocol.INPUT.equals(in.getOp())) {
                        throw new RpcFrameException("only Admin.Input may follow a relayed start");
                    }
                    if (stdinOpen && in.hasData()) {
                        try {
                            in.getData().writeTo(stdin);
                            stdin.flush();
                        } catch (IOException e) {
                            stdinOpen = false; // the program closed its input or exited
                        }
                    }
                    if (stdinOpen && in.getEof()) {
                        closeQuietly(stdin);
                        stdinOpen = false;
                    }
                }
            } catch (IOException e) {
                // A broken or malformed caller: treated as gone.
            } finally {
                closeQuietly(stdin);
                if (!finished.get()) {
                    p.stop();
                }
                socket.shutdown();
                join(waiter);
            }
        }

        /** Forwards one output stream; once the caller is gone, keeps draining so the program never blocks on it. */
        Thread pump(InputStream in, int stream, long seq) {
            Thread t = new Thread(() -> {
                byte[] buf = new byte[AdminProtocol.RELAY_CHUNK];
                boolean callerGone = false;
                try (in) {
                    for (int n = in.read(buf); n >= 0; n = in.read(buf)) {
                        if (callerGone) {
                            continue;
                        }
                        try {
                            send(AdminResponse.newBuilder().setSeq(seq).setStream(stream)
                                    .setData(ByteString.copyFrom(buf, 0, n)).build());
                        } catch (IOException e) {
                            callerGone = true;
                        }
                    }
                } catch (IOException e) {
                    // The program's end of the pipe is gone.
                }
            }, "tao-admin relay stream " + stream);
            t.setDaemon(true);
            t.start();
            return t;
        }
    }

    private static void closeQuietly(OutputStream s) {
        try {
            s.close();
        } catch (IOException e) {
            // already closed
        }
    }
}
