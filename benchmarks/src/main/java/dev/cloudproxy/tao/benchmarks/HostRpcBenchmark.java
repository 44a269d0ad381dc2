package dev.cloudproxy.tao.benchmarks;

import dev.cloudproxy.tao.CoreTao;
import dev.cloudproxy.tao.attestation.Attestation;
import dev.cloudproxy.tao.auth.Bytes;
import dev.cloudproxy.tao.auth.Form;
import dev.cloudproxy.tao.auth.Pred;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.PrinExt;
import dev.cloudproxy.tao.auth.Str;
import dev.cloudproxy.tao.auth.SubPrin;
import dev.cloudproxy.tao.host.Host;
import dev.cloudproxy.tao.host.HostedPrograms;
import dev.cloudproxy.tao.host.TaoRpcServer;
import dev.cloudproxy.tao.keys.Keys;
import dev.cloudproxy.tao.rpc.RpcTao;
import dev.cloudproxy.tao.soft.SoftTao;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Tao calls through the host RPC server (this benchmark JVM registered as the host's hosted
 * program, over a Unix domain socket) beside the same calls on an in-process soft Tao, in the same
 * run: getTaoName (the bare round trip), seal of 1 KiB, attest.
 *
 * <pre>java -jar benchmarks/target/benchmarks.jar HostRpcBenchmark</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class HostRpcBenchmark {
    private static final Form HELLO = Pred.of("Hello", new Str("world"));

    private Path dir;
    private Keys hostKeys;
    private TaoRpcServer server;
    private RpcTao rpc;
    private SoftTao soft;
    private byte[] data;
    private ServerSocketChannel echoServer;
    private SocketChannel echoClient;
    private Thread echoThread;
    private final ByteBuffer ping = ByteBuffer.allocate(64);

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        dir = Files.createTempDirectory("tao-rpc-bench");
        hostKeys = Keys.generate();
        HostedPrograms programs = new HostedPrograms();
        byte[] hash = new byte[32];
        new SecureRandom().nextBytes(hash);
        programs.register(ProcessHandle.current().pid(), SubPrin.of(PrinExt.of("Program", new Bytes(hash))));
        server = TaoRpcServer.start(dir.resolve("host"), Host.root(hostKeys), programs);
        rpc = RpcTao.connect(server.socketPath());
        soft = SoftTao.ephemeral();
        data = new byte[1024];
        new SecureRandom().nextBytes(data);

        // The floor: a bare JDK Unix-socket round trip to a thread that echoes one byte.
        Path echoPath = dir.resolve("echo");
        echoServer = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        echoServer.bind(UnixDomainSocketAddress.of(echoPath));
        echoThread = new Thread(() -> {
            try (SocketChannel c = echoServer.accept()) {
                ByteBuffer b = ByteBuffer.allocate(64);
                while (true) {
                    b.clear();
                    if (c.read(b) < 0) {
                        return;
                    }
                    b.flip();
                    c.write(b);
                }
            } catch (IOException e) {
                // the benchmark closed the socket
            }
        }, "echo");
        echoThread.setDaemon(true);
        echoThread.start();
        echoClient = SocketChannel.open(UnixDomainSocketAddress.of(echoPath));
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        echoClient.close();
        echoThread.join();
        echoServer.close();
        Files.deleteIfExists(dir.resolve("echo"));
        rpc.close();
        server.close();
        hostKeys.close();
        soft.close();
        Files.deleteIfExists(dir.resolve("host"));
        Files.deleteIfExists(dir);
    }

    @Benchmark
    public Prin rpcGetTaoName() throws Exception {
        return rpc.getTaoName();
    }

    @Benchmark
    public byte[] rpcSeal1KiB() throws Exception {
        return rpc.seal(data, CoreTao.SEAL_POLICY_SELF);
    }

    @Benchmark
    public Attestation rpcAttest() throws Exception {
        return rpc.attest(HELLO);
    }

    @Benchmark
    public int baselineUnixSocketRoundTrip() throws IOException {
        ping.clear();
        ping.put((byte) 1);
        ping.flip();
        echoClient.write(ping);
        ping.clear();
        return echoClient.read(ping);
    }

    @Benchmark
    public Prin softGetTaoName() {
        return soft.getTaoName();
    }

    @Benchmark
    public byte[] softSeal1KiB() {
        return soft.seal(data, CoreTao.SEAL_POLICY_SELF);
    }

    @Benchmark
    public Attestation softAttest() throws Exception {
        return soft.attest(HELLO);
    }
}
