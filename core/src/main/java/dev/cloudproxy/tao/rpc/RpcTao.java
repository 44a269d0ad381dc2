package dev.cloudproxy.tao.rpc;

import com.google.protobuf.ByteString;
import dev.cloudproxy.tao.AttestRequest;
import dev.cloudproxy.tao.CoreTao;
import dev.cloudproxy.tao.SealPolicy;
import dev.cloudproxy.tao.TaoException;
import dev.cloudproxy.tao.UnsealException;
import dev.cloudproxy.tao.Unsealed;
import dev.cloudproxy.tao.VerificationException;
import dev.cloudproxy.tao.attestation.Attestation;
import dev.cloudproxy.tao.auth.AuthFormatException;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.PrinTail;
import dev.cloudproxy.tao.auth.SubPrin;
import dev.cloudproxy.tao.proto.TaoRpcProtos.TaoRpcError;
import dev.cloudproxy.tao.proto.TaoRpcProtos.TaoRpcRequest;
import dev.cloudproxy.tao.proto.TaoRpcProtos.TaoRpcResponse;
import dev.cloudproxy.tao.seal.GroupKeys;
import dev.cloudproxy.tao.seal.RollbackCounters;
import dev.cloudproxy.tao.seal.SealFormat;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The Tao of a hosted program: every call goes to the host over a Unix domain socket.
 *
 * <p>The host decides who the caller is from the kernel's credentials for the connecting process,
 * never from anything this class sends; the socket path is not a secret, and a process the host
 * did not start is refused when it connects ({@link #connect} throws {@link TaoException}).
 *
 * <p>Thread-safe: calls on one instance are serialized over its one connection. If the connection
 * breaks (the host went away, or sent something unreadable), this and every later call fail with
 * {@link IOException}; nothing is retried, since a retried seal or extension is not idempotent.
 * The one exception: a host closes a connection that stayed idle too long with a notice
 * ({@code TAO_RPC_IDLE}) after which it reads nothing more, so a request that meets that notice
 * was certainly not run; it is sent again once on a new connection.
 */
public final class RpcTao implements CoreTao, AutoCloseable {
    /** The environment variable in which a host gives its hosted program the socket path. */
    public static final String SOCKET_ENV = "TAO_HOST_SOCKET";

    private static final Object PARENT_LOCK = new Object();
    private static RpcTao parent;

    private final Path socket;
    private final Object lock = new Object();
    private volatile SocketChannel channel;
    private long seq;
    private volatile boolean broken;

    private RpcTao(Path socket, SocketChannel channel) {
        this.socket = socket;
        this.channel = channel;
    }

    /**
     * Connects to the host listening on {@code socket} and waits for it to accept this process.
     *
     * @throws TaoException if the host refuses this process (it is not a program the host runs)
     * @throws IOException if there is no host there or it does not speak this protocol
     */
    public static RpcTao connect(Path socket) throws IOException, TaoException {
        Objects.requireNonNull(socket, "socket");
        return new RpcTao(socket, open(socket));
    }

    /** A new connection to {@code socket}, once the host has greeted it. */
    private static SocketChannel open(Path socket) throws IOException, TaoException {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            ch.connect(UnixDomainSocketAddress.of(socket));
            byte[] frame = RpcFrames.read(ch);
            if (frame == null) {
                throw new IOException("the Tao host at " + socket + " closed the connection without a greeting");
            }
            TaoRpcResponse hello = RpcProtocol.parseResponse(frame);
            if (hello.getSeq() != 0) {
                throw new RpcFrameException("the Tao host's greeting has sequence number " + hello.getSeq());
            }
            RpcProtocol.throwIfError(hello);
            return ch;
        } catch (IOException | TaoException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /**
     * The Tao of the host that started this process, at the socket named by {@value #SOCKET_ENV}.
     * One connection per process, made on first use and shared by all callers (it is
     * thread-safe); if it was closed or broke, the next call connects again.
     *
     * @throws TaoException if the variable is unset (this process has no Tao host) or the host
     *     refuses this process
     * @throws IOException if the host cannot be reached
     */
    public static RpcTao parent() throws IOException, TaoException {
        return parent(System.getenv());
    }

    static RpcTao parent(Map<String, String> env) throws IOException, TaoException {
        synchronized (PARENT_LOCK) {
            if (parent != null && parent.isOpen()) {
                return parent;
            }
            String path = env.get(SOCKET_ENV);
            if (path == null || path.isBlank()) {
                throw new TaoException("no parent Tao: the environment variable " + SOCKET_ENV
                        + " is not set (this program was not started by a Tao host)");
            }
            parent = connect(Path.of(path));
            return parent;
        }
    }

    /** Whether the connection is still usable. */
    public boolean isOpen() {
        return !broken && channel.isOpen();
    }

    @Override
    public Prin getTaoName() throws IOException, TaoException {
        byte[] name = call(request(RpcProtocol.GET_TAO_NAME)).getData().toByteArray();
        try {
            return Prin.decode(name);
        } catch (AuthFormatException e) {
            throw fail("the Tao host sent a malformed name");
        }
    }

    @Override
    public void extendTaoName(SubPrin subprin) throws IOException, TaoException {
        Objects.requireNonNull(subprin, "subprin");
        TaoRpcRequest.Builder r = request(RpcProtocol.EXTEND_TAO_NAME);
        if (!subprin.isEmpty()) {
            r.setSubprin(ByteString.copyFrom(new PrinTail(subprin).encode()));
        }
        call(r);
    }

    @Override
    public byte[] getRandomBytes(int n) throws IOException, TaoException {
        if (n < 0 || n > MAX_RANDOM_BYTES) {
            throw new IllegalArgumentException("random byte count must be 0.." + MAX_RANDOM_BYTES);
        }
        byte[] b = call(request(RpcProtocol.GET_RANDOM_BYTES).setSize(n)).getData().toByteArray();
        if (b.length != n) {
            throw fail("the Tao host sent " + b.length + " random bytes instead of " + n);
        }
        return b;
    }

    @Override
    public byte[] getSharedSecret(int n, String policy) throws IOException, TaoException {
        Objects.requireNonNull(policy, "policy");
        TaoRpcRequest.Builder r = request(RpcProtocol.GET_SHARED_SECRET).setSize(n).setPolicy(policy);
        byte[] b = call(r).getData().toByteArray();
        if (b.length != n) {
            Arrays.fill(b, (byte) 0);
            throw fail("the Tao host sent a secret of the wrong length");
        }
        return b;
    }

    /** The host takes its own record of the caller's name as the asker: one round trip, no race with an extension. */
    @Override
    public byte[] getGroupKey(List<Prin> members, int n) throws IOException, TaoException {
        return groupKey(request(RpcProtocol.GET_GROUP_KEY), members, n);
    }

    @Override
    public byte[] getGroupKeyFor(Prin asker, List<Prin> members, int n) throws IOException, TaoException {
        Objects.requireNonNull(asker, "asker");
        GroupKeys.checkName(asker);
        return groupKey(request(RpcProtocol.GET_GROUP_KEY).setAsker(ByteString.copyFrom(asker.encode())), members, n);
    }

    private byte[] groupKey(TaoRpcRequest.Builder r, List<Prin> members, int n) throws IOException, TaoException {
        for (Prin m : GroupKeys.checkRequest(members, n)) {
            r.addMembers(ByteString.copyFrom(m.encode()));
        }
        byte[] b = call(r.setSize(n)).getData().toByteArray();
        if (b.length != n) {
            Arrays.fill(b, (byte) 0);
            throw fail("the Tao host sent a group key of the wrong length");
        }
        return b;
    }

    @Override
    public Attestation attest(AttestRequest request) throws IOException, TaoException {
        Objects.requireNonNull(request, "request");
        TaoRpcRequest.Builder r = request(RpcProtocol.ATTEST)
                .setMessage(ByteString.copyFrom(request.message().encode()));
        request.issuer().ifPresent(i -> r.setIssuer(ByteString.copyFrom(i.encode())));
        request.from().ifPresent(r::setTime);
        request.until().ifPresent(r::setExpiration);
        byte[] a = call(r).getData().toByteArray();
        try {
            return Attestation.parse(a);
        } catch (VerificationException e) {
            throw fail("the Tao host sent a malformed attestation: " + e.getMessage());
        }
    }

    @Override
    public byte[] seal(byte[] data, String policy) throws IOException, TaoException {
        return call(sealRequest(RpcProtocol.SEAL, data, policy)).getData().toByteArray();
    }

    @Override
    public Unsealed unseal(byte[] sealed) throws IOException, TaoException {
        Objects.requireNonNull(sealed, "sealed");
        if (sealed.length > SealFormat.MAX_BLOB_BYTES) {
            throw new UnsealException();
        }
        TaoRpcResponse r = call(request(RpcProtocol.UNSEAL).setData(ByteString.copyFrom(sealed)));
        String policy = r.getPolicy();
        if (!isKnownPolicy(policy)) {
            throw fail("the Tao host sent an unknown seal policy");
        }
        return new Unsealed(r.getData().toByteArray(), SealPolicy.fromText(policy));
    }

    @Override
    public long initCounter(String label) throws IOException, TaoException {
        return counter(call(request(RpcProtocol.INIT_COUNTER).setLabel(checkedLabel(label))));
    }

    @Override
    public long getCounter(String label) throws IOException, TaoException {
        return counter(call(request(RpcProtocol.GET_COUNTER).setLabel(checkedLabel(label))));
    }

    @Override
    public byte[] rollbackProtectedSeal(String label, byte[] data, String policy) throws IOException, TaoException {
        String checked = checkedLabel(label);
        return call(sealRequest(RpcProtocol.ROLLBACK_PROTECTED_SEAL, data, policy).setLabel(checked))
                .getData().toByteArray();
    }

    @Override
    public Unsealed rollbackProtectedUnseal(byte[] sealed) throws IOException, TaoException {
        Objects.requireNonNull(sealed, "sealed");
        if (sealed.length > SealFormat.MAX_BLOB_BYTES) {
            throw new UnsealException();
        }
        TaoRpcResponse r = call(request(RpcProtocol.ROLLBACK_PROTECTED_UNSEAL).setData(ByteString.copyFrom(sealed)));
        String policy = r.getPolicy();
        if (policy.equals(SEAL_POLICY_ANY) || !isKnownPolicy(policy) || !RollbackCounters.isValidLabel(r.getLabel())
                || r.getCounter() < 1) {
            throw fail("the Tao host sent a malformed rollback-protected unseal result");
        }
        return new Unsealed(r.getData().toByteArray(), SealPolicy.fromText(policy), r.getLabel(), r.getCounter());
    }

    /** {@code self}, {@code any} or a well-formed {@code app:<app-id>}. */
    private static boolean isKnownPolicy(String policy) {
        try {
            return policy.equals(SEAL_POLICY_SELF) || policy.equals(SEAL_POLICY_ANY) || SealFormat.appId(policy).isPresent();
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static TaoRpcRequest.Builder sealRequest(String op, byte[] data, String policy) {
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(policy, "policy");
        if (data.length > MAX_SEAL_BYTES) {
            throw new IllegalArgumentException("cannot seal more than " + MAX_SEAL_BYTES + " bytes");
        }
        return request(op).setData(ByteString.copyFrom(data)).setPolicy(policy);
    }

    private static String checkedLabel(String label) {
        RollbackCounters.checkLabel(label);
        return label;
    }

    private long counter(TaoRpcResponse r) throws IOException {
        if (!r.hasCounter() || r.getCounter() < 0) {
            throw fail("the Tao host sent no counter value");
        }
        return r.getCounter();
    }

    /** Closes the connection; calls in progress on other threads fail with {@link IOException}. */
    @Override
    public void close() throws IOException {
        broken = true;
        channel.close();
    }

    @Override
    public String toString() {
        return "RpcTao[" + (isOpen() ? "connected" : "closed") + "]";
    }

    private static TaoRpcRequest.Builder request(String op) {
        return TaoRpcRequest.newBuilder().setOp(op);
    }

    /**
     * One request and its response; a transport or framing failure breaks the connection. If the
     * host had closed the connection as idle, the request is sent again once on a new connection.
     */
    private TaoRpcResponse call(TaoRpcRequest.Builder request) throws IOException, TaoException {
        TaoRpcResponse response;
        synchronized (lock) {
            if (!isOpen()) {
                throw new IOException("the connection to the Tao host is closed");
            }
            response = exchange(request);
            if (response == null) {
                try {
                    channel.close();
                    channel = open(socket);
                    if (broken) { // closed by another thread meanwhile
                        channel.close();
                        throw new IOException("the connection to the Tao host is closed");
                    }
                } catch (IOException | TaoException | RuntimeException e) {
                    close();
                    throw e;
                }
                response = exchange(request);
                if (response == null) {
                    close();
                    throw new IOException("the Tao host closed a new connection as idle");
                }
            }
        }
        RpcProtocol.throwIfError(response);
        return response;
    }

    /**
     * Sends {@code request} and reads its answer; null if the host's answer was its idle notice
     * (then the request was not run). Any other failure closes this instance.
     */
    private TaoRpcResponse exchange(TaoRpcRequest.Builder request) throws IOException {
        long id = ++seq;
        byte[] out = request.setSeq(id).build().toByteArray();
        byte[] in = null;
        try {
            IOException writeFailed = null;
            try {
                RpcFrames.write(channel, out);
            } catch (IOException e) {
                // A host that closed the connection as idle left its notice to read.
                writeFailed = e;
            }
            in = RpcFrames.read(channel);
            if (in == null) {
                throw writeFailed != null ? writeFailed : new IOException("the Tao host closed the connection");
            }
            TaoRpcResponse response = RpcProtocol.parseResponse(in);
            if (response.getSeq() == 0 && response.getError() == TaoRpcError.TAO_RPC_IDLE) {
                return null;
            }
            if (writeFailed != null) {
                throw writeFailed;
            }
            if (response.getSeq() != id) {
                throw new RpcFrameException("response " + response.getSeq() + " does not answer request " + id);
            }
            return response;
        } catch (IOException e) {
            close();
            throw e;
        } finally {
            Arrays.fill(out, (byte) 0);
            if (in != null) {
                Arrays.fill(in, (byte) 0);
            }
        }
    }

    private IOException fail(String message) throws IOException {
        close();
        return new IOException(message);
    }
}
