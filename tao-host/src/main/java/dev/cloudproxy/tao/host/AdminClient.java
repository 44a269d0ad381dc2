package dev.cloudproxy.tao.host;

import com.google.protobuf.ByteString;
import dev.cloudproxy.tao.proto.TaoAdminProtos.AdminError;
import dev.cloudproxy.tao.proto.TaoAdminProtos.AdminProgram;
import dev.cloudproxy.tao.proto.TaoAdminProtos.AdminRequest;
import dev.cloudproxy.tao.proto.TaoAdminProtos.AdminResponse;
import dev.cloudproxy.tao.rpc.RpcFrameException;
import dev.cloudproxy.tao.rpc.RpcFrames;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * The caller's side of a host's admin socket ({@code tao run/list/stop/kill}, {@code tao host
 * stop}). JDK sockets only. Not thread-safe: one request at a time; {@link #run} takes over the
 * connection until the program exits.
 */
public final class AdminClient implements AutoCloseable {
    private final SocketChannel channel;
    private final Object writeLock = new Object();
    private long seq;

    private AdminClient(SocketChannel channel) {
        this.channel = channel;
    }

    /**
     * Connects to the admin socket and waits for the host to accept this caller.
     *
     * @throws HostException if the host refuses this caller (not its owner or root)
     * @throws IOException if no host is listening there
     */
    public static AdminClient connect(Path socket) throws IOException, HostException {
        Objects.requireNonNull(socket, "socket");
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            ch.connect(UnixDomainSocketAddress.of(socket));
            AdminResponse hello = read(ch);
            if (hello == null) {
                throw new IOException("the Tao host closed the admin connection without a greeting");
            }
            if (hello.getSeq() != 0) {
                throw new RpcFrameException("the admin greeting has sequence number " + hello.getSeq());
            }
            throwIfError(hello);
            return new AdminClient(ch);
        } catch (IOException | HostException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    private static AdminResponse read(SocketChannel ch) throws IOException {
        byte[] frame = RpcFrames.read(ch, AdminProtocol.MAX_FRAME_BYTES);
        return frame == null ? null : AdminProtocol.parseResponse(frame);
    }

    private static void throwIfError(AdminResponse r) throws IOException, HostException {
        if (!r.hasError() || r.getError() == AdminError.ADMIN_OK) {
            return;
        }
        String m = dev.cloudproxy.tao.rpc.RpcProtocol.oneLine(r.getMessage());
        switch (r.getError()) {
            case ADMIN_REFUSED -> throw new HostException("refused by the Tao host: " + m);
            case ADMIN_NOT_FOUND, ADMIN_START_FAILED, ADMIN_DENIED -> throw new HostException(m);
            case ADMIN_BAD_REQUEST -> throw new HostException("the Tao host could not use the request: " + m);
            default -> throw new IOException("the Tao host failed: " + m);
        }
    }

    private void send(AdminRequest.Builder r) throws IOException {
        synchronized (writeLock) {
            RpcFrames.write(channel, r.build().toByteArray());
        }
    }

    private AdminResponse call(AdminRequest.Builder r) throws IOException, HostException {
        long id = ++seq;
        send(r.setSeq(id));
        AdminResponse resp = read(channel);
        if (resp == null) {
            throw new IOException("the Tao host closed the admin connection");
        }
        if (resp.getSeq() != id) {
            throw new RpcFrameException("admin response " + resp.getSeq() + " does not answer request " + id);
        }
        throwIfError(resp);
        return resp;
    }

    private static AdminRequest.Builder op(String op) {
        return AdminRequest.newBuilder().setOp(op);
    }

    /** The host's running programs; {@link #lastHostName()} then holds the host's name. */
    public List<AdminProgram> list() throws IOException, HostException {
        AdminResponse r = call(op(AdminProtocol.LIST));
        hostName = r.getHostName();
        return r.getProgramsList();
    }

    private String hostName = "";

    /** The host's name, as the last {@link #list()} reported it. */
    public String lastHostName() {
        return hostName;
    }

    /** Starts a program whose input is empty and whose output is discarded; returns at once. */
    public AdminProgram start(ProgramSpec spec) throws IOException, HostException {
        return call(op(AdminProtocol.START).setStart(AdminProtocol.toWire(spec, false))).getProgram();
    }

    /** {@code SIGTERM} to program {@code id} (and what it started). */
    public AdminProgram stop(long id) throws IOException, HostException {
        return call(op(AdminProtocol.STOP).setId(id)).getProgram();
    }

    /** {@code SIGKILL} to program {@code id} (and what it started). */
    public AdminProgram kill(long id) throws IOException, HostException {
        return call(op(AdminProtocol.KILL).setId(id)).getProgram();
    }

    /** Waits until program {@code id} has exited; returns its final state. */
    public AdminProgram waitFor(long id) throws IOException, HostException {
        return call(op(AdminProtocol.WAIT).setId(id)).getProgram();
    }

    /** Stops every program and then the host; returns once the host has answered. */
    public void shutdown() throws IOException, HostException {
        call(op(AdminProtocol.SHUTDOWN));
    }

    /**
     * Runs a program with its standard streams connected to {@code in}, {@code out} and
     * {@code err}, and returns its exit status once it exits. {@code in} is read on a daemon thread
     * until it ends (then the program's input is closed) or the program exits.
     *
     * @param started told the program (id, pid, name) as soon as it runs
     */
    public int run(ProgramSpec spec, InputStream in, OutputStream out, OutputStream err, Consumer<AdminProgram> started)
            throws IOException, HostException {
        long id = ++seq;
        send(op(AdminProtocol.START).setSeq(id).setStart(AdminProtocol.toWire(spec, true)));
        AdminResponse first = read(channel);
        if (first == null) {
            throw new IOException("the Tao host closed the admin connection");
        }
        throwIfError(first);
        started.accept(first.getProgram());
        Thread input = new Thread(() -> pumpInput(in), "tao-run stdin");
        input.setDaemon(true);
        input.start();
        while (true) {
            AdminResponse r = read(channel);
            if (r == null) {
                throw new IOException("the Tao host closed the connection before the program exited");
            }
            if (r.getSeq() != id) {
                throw new RpcFrameException("relay frame for request " + r.getSeq() + ", not " + id);
            }
            if (r.hasExited()) {
                out.flush();
                err.flush();
                return r.getExited();
            }
            if (r.hasData()) {
                OutputStream to = r.getStream() == 2 ? err : out;
                r.getData().writeTo(to);
                to.flush();
            }
        }
    }

    private void pumpInput(InputStream in) {
        byte[] buf = new byte[AdminProtocol.RELAY_CHUNK];
        try {
            for (int n = in.read(buf); n >= 0; n = in.read(buf)) {
                send(op(AdminProtocol.INPUT).setSeq(seq).setData(ByteString.copyFrom(buf, 0, n)));
            }
            send(op(AdminProtocol.INPUT).setSeq(seq).setEof(true));
        } catch (IOException e) {
            // The program exited and the host closed the connection, or our input failed.
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
