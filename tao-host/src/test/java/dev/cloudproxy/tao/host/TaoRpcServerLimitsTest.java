package dev.cloudproxy.tao.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cloudproxy.tao.CoreTao;
import dev.cloudproxy.tao.TaoException;
import dev.cloudproxy.tao.auth.SubPrin;
import dev.cloudproxy.tao.keys.Keys;
import dev.cloudproxy.tao.proto.TaoRpcProtos.TaoRpcError;
import dev.cloudproxy.tao.proto.TaoRpcProtos.TaoRpcResponse;
import dev.cloudproxy.tao.rpc.RpcFrames;
import dev.cloudproxy.tao.rpc.RpcProtocol;
import dev.cloudproxy.tao.rpc.RpcTao;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The attacks of a hosted program on the host's RPC server (issue 14, attack 5): holding every
 * connection slot, holding connections idle or half-sent, and announcing large frames on many
 * connections to grow the host's memory. Each bound is set small here, through {@link RpcLimits},
 * so the tests are quick; the defaults are in docs/host-rpc.md.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TaoRpcServerLimitsTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path temp;

    private Keys keys;
    private Host host;
    private HostedPrograms programs;
    private SubPrin self;
    private final List<TaoRpcServer> servers = new ArrayList<>();
    private final List<SocketChannel> channels = new ArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        keys = Keys.generate();
        host = Host.root(keys);
        programs = new HostedPrograms();
        self = RpcTaoContractTest.freshProgram();
        programs.register(ProcessHandle.current().pid(), self);
    }

    @AfterEach
    void tearDown() throws Exception {
        for (SocketChannel ch : channels) {
            ch.close();
        }
        for (TaoRpcServer s : servers) {
            s.close();
        }
        keys.close();
    }

    private TaoRpcServer start(RpcLimits limits) throws IOException {
        TaoRpcServer s = TaoRpcServer.start(temp.resolve("host" + servers.size()), host, programs, limits);
        servers.add(s);
        return s;
    }

    /** A connection the server accepted (its greeting read), kept open until the test ends. */
    private SocketChannel accepted(TaoRpcServer server) throws IOException {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        channels.add(ch);
        ch.connect(UnixDomainSocketAddress.of(server.socketPath()));
        TaoRpcResponse hello = RpcProtocol.parseResponse(RpcFrames.read(ch));
        assertThat(hello.hasError()).as("greeting: %s", hello.getMessage()).isFalse();
        return ch;
    }

    /** Polls an observable condition until a deadline (a bounded wait, not a guess at timing). */
    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + WAIT + ": " + what);
            }
            Thread.sleep(5);
        }
    }

    @Test
    void oneProgram_beyondItsConnectionLimit_isRefused_whileAnotherProgramIsServed() throws Exception {
        TaoRpcServer server = start(RpcLimits.DEFAULT.withConnections(8, 4));
        for (int i = 0; i < 4; i++) {
            accepted(server);
        }
        TaoException refused = assertThrows(TaoException.class, () -> RpcTao.connect(server.socketPath()));
        assertThat(refused.getMessage()).contains("already has 4 connections");

        try (Child other = Child.start(server.socketPath())) {
            SubPrin otherProgram = RpcTaoContractTest.freshProgram();
            programs.register(other.pid(), otherProgram);
            assertThat(other.ask("connect")).isEqualTo("connected " + host.name().extend(otherProgram));
            assertThat(other.ask("name")).isEqualTo(host.name().extend(otherProgram).toString());
        }

        // The limit is on what the program holds now: closing one frees a slot for it.
        channels.remove(0).close();
        await("the server noticed the closed connection", () -> server.connectionCount() == 3);
        try (RpcTao again = RpcTao.connect(server.socketPath())) {
            assertThat(again.getTaoName()).isEqualTo(host.name().extend(self));
        }
    }

    @Test
    void idleConnection_isClosedWithANotice_afterTheIdleTimeout() throws Exception {
        Duration idle = Duration.ofMillis(300);
        TaoRpcServer server = start(RpcLimits.DEFAULT.withTimeouts(idle, Duration.ofSeconds(30)));
        long before = System.nanoTime();
        SocketChannel ch = accepted(server);

        byte[] notice = RpcFrames.read(ch); // blocks until the server gives up on the connection
        assertThat(Duration.ofNanos(System.nanoTime() - before)).isGreaterThanOrEqualTo(idle);
        TaoRpcResponse r = RpcProtocol.parseResponse(notice);
        assertThat(r.getSeq()).isZero();
        assertThat(r.getError()).isEqualTo(TaoRpcError.TAO_RPC_IDLE);
        assertThat(RpcFrames.read(ch)).as("closed after the notice").isNull();
        await("the slot is free again", () -> server.connectionCount() == 0);
    }

    @Test
    void rpcTao_whoseConnectionWasClosedAsIdle_reconnects_andKeepsItsExtensions() throws Exception {
        TaoRpcServer server = start(RpcLimits.DEFAULT.withTimeouts(Duration.ofMillis(200), Duration.ofSeconds(30)));
        SubPrin more = RpcTaoContractTest.freshProgram();
        try (RpcTao tao = RpcTao.connect(server.socketPath())) {
            tao.extendTaoName(more);
            await("the server closed the idle connection", () -> server.connectionCount() == 0);

            assertThat(tao.getTaoName()).isEqualTo(host.name().extend(self).extend(more));
            byte[] blob = tao.seal(new byte[] {1, 2, 3}, CoreTao.SEAL_POLICY_SELF);
            await("closed as idle again", () -> server.connectionCount() == 0);
            try (var u = tao.unseal(blob)) {
                assertThat(u.data()).containsExactly(1, 2, 3);
            }
            assertThat(tao.isOpen()).isTrue();
        }
    }

    @Test
    void halfAFrame_isCutOffAfterTheFrameTimeout() throws Exception {
        TaoRpcServer server = start(RpcLimits.DEFAULT.withTimeouts(Duration.ofMinutes(5), Duration.ofMillis(300)));
        SocketChannel ch = accepted(server);
        ch.write(ByteBuffer.wrap(ByteBuffer.allocate(14).putInt(100).put(new byte[10]).array()));

        ByteBuffer buf = ByteBuffer.allocate(1024);
        assertThat(ch.read(buf)).as("closed without an answer").isEqualTo(-1);
        await("the slot is free again", () -> server.connectionCount() == 0);
        assertThat(server.bufferedBytes()).isZero();
    }

    @Test
    void manyConnectionsAnnouncingLargeFrames_stayWithinTheProgramsBufferBound_andReleaseIt() throws Exception {
        long perProgram = RpcFrames.MAX_FRAME_BYTES;
        TaoRpcServer server = start(RpcLimits.DEFAULT.withConnections(64, 40)
                .withBufferedBytes(2L * RpcFrames.MAX_FRAME_BYTES, perProgram));
        byte[] part = new byte[1 << 20];
        for (int i = 0; i < 32; i++) {
            SocketChannel ch = accepted(server);
            try {
                ch.write(ByteBuffer.wrap(ByteBuffer.allocate(4).putInt(RpcFrames.MAX_FRAME_BYTES).array()));
                ByteBuffer b = ByteBuffer.wrap(part);
                while (b.hasRemaining()) {
                    ch.write(b);
                }
            } catch (IOException e) {
                // the server closed it while the client was still writing: the budget was spent
            }
        }
        // 32 connections each holding at least 1 MiB would be 32 MiB; the program may hold 17 MiB.
        // The server cuts a connection off when its next read would exceed the budget, which may
        // be after the client's write returned: count what the server holds, not write errors.
        await("the program's budget cut connections off", () -> server.connectionCount() < 32);
        assertThat(server.peakBufferedBytes()).isLessThanOrEqualTo(perProgram).isGreaterThan(perProgram / 2);

        // Another program is served meanwhile, the large frame included.
        try (Child other = Child.start(server.socketPath())) {
            programs.register(other.pid(), RpcTaoContractTest.freshProgram());
            assertThat(other.ask("connect")).startsWith("connected ");
            String data = HexFormat.of().formatHex(new byte[256 << 10]);
            assertThat(other.ask("seal any " + data)).matches("[0-9a-f]+");
        }

        for (SocketChannel ch : channels) {
            ch.close();
        }
        await("every buffered byte is released", () -> server.bufferedBytes() == 0);
        await("every connection is gone", () -> server.connectionCount() == 0);
    }
}
