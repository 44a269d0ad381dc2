package dev.cloudproxy.tao.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cloudproxy.tao.CoreTao;
import dev.cloudproxy.tao.TaoException;
import dev.cloudproxy.tao.UnsealException;
import dev.cloudproxy.tao.Unsealed;
import dev.cloudproxy.tao.attestation.AttestationVerifier;
import dev.cloudproxy.tao.attestation.VerifiedStatement;
import dev.cloudproxy.tao.auth.Pred;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.SubPrin;
import dev.cloudproxy.tao.keys.Keys;
import dev.cloudproxy.tao.proto.TaoRpcProtos.TaoRpcError;
import dev.cloudproxy.tao.proto.TaoRpcProtos.TaoRpcRequest;
import dev.cloudproxy.tao.proto.TaoRpcProtos.TaoRpcResponse;
import dev.cloudproxy.tao.rpc.RpcFrames;
import dev.cloudproxy.tao.rpc.RpcProtocol;
import dev.cloudproxy.tao.rpc.RpcTao;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TaoRpcServerTest {
    private static final HexFormat HEX = HexFormat.of();
    private static final byte[] SECRET = "attack at dawn".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path temp;

    private Keys keys;
    private Host host;
    private HostedPrograms programs;
    private SubPrin self;
    private TaoRpcServer server;

    @BeforeEach
    void start() throws Exception {
        keys = Keys.generate();
        host = Host.root(keys);
        programs = new HostedPrograms();
        self = RpcTaoContractTest.freshProgram();
        programs.register(ProcessHandle.current().pid(), self);
        server = TaoRpcServer.start(temp.resolve("host"), host, programs);
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
        keys.close();
    }

    @Test
    void socket_isInAnOwnerOnlyDirectory_andRemovedOnClose() throws Exception {
        Path dir = server.socketPath().getParent();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir))).isEqualTo("rwx------");
        assertThat(server.socketPath()).exists();
        server.close();
        assertThat(server.socketPath()).doesNotExist();
        assertThrows(IOException.class, () -> RpcTao.connect(server.socketPath()));
    }

    @Test
    void start_inADirectoryOthersCanEnter_isRefused() throws Exception {
        Path open = Files.createDirectory(temp.resolve("open"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxr-xr-x"));
        assertThrows(IOException.class, () -> TaoRpcServer.start(open, host, programs));
    }

    @Test
    void child_isNamedByTheHostAndItsProgram_andItsAttestationsSaySo() throws Exception {
        try (RpcTao tao = RpcTao.connect(server.socketPath())) {
            Prin expected = host.name().extend(self);
            assertThat(tao.getTaoName()).isEqualTo(expected);
            VerifiedStatement v = AttestationVerifier.create().verify(tao.attest(Pred.of("Ready")).serialize());
            assertThat(v.speaker()).isEqualTo(expected);
            assertThat(v.signer()).isEqualTo(keys.principal());
        }
    }

    @Test
    void metrics_countCallsByMethod_errorsByKind_andRefusedConnections() throws Exception {
        try (RpcTao tao = RpcTao.connect(server.socketPath())) {
            tao.getTaoName();
            tao.getTaoName();
            byte[] sealed = tao.seal(SECRET, CoreTao.SEAL_POLICY_SELF);
            sealed[sealed.length - 1] ^= 1;
            byte[] tampered = sealed;
            assertThrows(TaoException.class, () -> tao.unseal(tampered));
        }
        try (Child child = Child.start(server.socketPath())) {
            assertThat(child.ask("connect")).startsWith("refused");
        }

        String text = server.metrics().text();
        assertThat(text).contains("tao_host_rpc_calls_total{method=\"Tao.GetTaoName\"} 2\n")
                .contains("tao_host_rpc_calls_total{method=\"Tao.Seal\"} 1\n")
                .contains("tao_host_rpc_calls_total{method=\"Tao.Unseal\"} 1\n")
                .containsPattern("tao_host_rpc_errors_total\\{method=\"Tao.Unseal\",error=\"TAO_RPC_[A-Z_]+\"\\} 1\n")
                .contains("tao_host_rpc_connections_refused_total{reason=\"not-hosted\"} 1\n")
                .contains("tao_host_rpc_connections_open ");
    }

    @Test
    void events_eachCallIsAJfrEventWithProgramMethodAndError() throws Exception {
        Path file = temp.resolve("rpc.jfr");
        try (jdk.jfr.Recording recording = new jdk.jfr.Recording()) {
            recording.enable("dev.cloudproxy.tao.HostRpcCall");
            recording.start();
            try (RpcTao tao = RpcTao.connect(server.socketPath())) {
                tao.getTaoName();
                byte[] sealed = tao.seal(SECRET, CoreTao.SEAL_POLICY_SELF);
                sealed[sealed.length - 1] ^= 1;
                assertThrows(TaoException.class, () -> tao.unseal(sealed));
            }
            recording.stop();
            recording.dump(file);
        }
        List<jdk.jfr.consumer.RecordedEvent> events = jdk.jfr.consumer.RecordingFile.readAllEvents(file).stream()
                .filter(e -> e.getEventType().getName().equals("dev.cloudproxy.tao.HostRpcCall")).toList();
        assertThat(events).extracting(e -> e.getString("method"))
                .containsExactly("Tao.GetTaoName", "Tao.Seal", "Tao.Unseal");
        assertThat(events.get(0).getString("error")).isEmpty();
        assertThat(events.get(2).getString("error")).startsWith("TAO_RPC_");
        assertThat(events).allSatisfy(e -> assertThat(e.getString("program")).contains(self.toString()));
    }

    @Test
    void extension_survivesReconnecting() throws Exception {
        SubPrin more = RpcTaoContractTest.freshProgram();
        try (RpcTao tao = RpcTao.connect(server.socketPath())) {
            tao.extendTaoName(more);
        }
        try (RpcTao again = RpcTao.connect(server.socketPath())) {
            assertThat(again.getTaoName()).isEqualTo(host.name().extend(self).extend(more));
        }
    }

    @Test
    void unregisteredProcess_isRefused() throws Exception {
        try (Child child = Child.start(server.socketPath())) {
            String answer = child.ask("connect");
            assertThat(answer).startsWith("refused").contains("process " + child.pid() + " is not a hosted program");
        }
    }

    @Test
    void processWithARegisteredPidButAnotherStartTime_isRefused() throws Exception {
        HostedPrograms reused = new HostedPrograms();
        long pid = ProcessHandle.current().pid();
        long start = ProcessStart.of(pid).getAsLong();
        reused.register(pid, start + 1, self);
        assertThat(reused.identify(pid)).isEmpty();
        try (TaoRpcServer other = TaoRpcServer.start(temp.resolve("reused"), host, reused)) {
            TaoException e = assertThrows(TaoException.class, () -> RpcTao.connect(other.socketPath()));
            assertThat(e.getMessage()).contains("not a hosted program");
        }
    }

    @Test
    void exitedProcess_isNoLongerIdentified() throws Exception {
        HostedPrograms registry = new HostedPrograms();
        try (Child child = Child.start(server.socketPath())) {
            HostedProgram p = registry.register(child.pid(), self);
            assertThat(registry.identify(child.pid())).contains(p);
            child.kill();
            assertThat(registry.identify(child.pid())).isEmpty();
        }
    }

    @Test
    void twoChildren_cannotUnsealEachOthersSelfBlobs_butShareAny_andACrashDisturbsNoOne() throws Exception {
        try (RpcTao mine = RpcTao.connect(server.socketPath()); Child other = Child.start(server.socketPath())) {
            SubPrin otherProgram = RpcTaoContractTest.freshProgram();
            programs.register(other.pid(), otherProgram);
            assertThat(other.ask("connect")).isEqualTo("connected " + host.name().extend(otherProgram));

            byte[] mySelf = mine.seal(SECRET, CoreTao.SEAL_POLICY_SELF);
            byte[] myAny = mine.seal(SECRET, CoreTao.SEAL_POLICY_ANY);
            assertThat(other.ask("unseal " + HEX.formatHex(mySelf))).isEqualTo("UnsealException unseal failed");
            assertThat(other.ask("unseal " + HEX.formatHex(myAny))).isEqualTo("unsealed any " + HEX.formatHex(SECRET));

            byte[] theirSelf = HEX.parseHex(other.ask("seal self " + HEX.formatHex(SECRET)));
            UnsealException e = assertThrows(UnsealException.class, () -> mine.unseal(theirSelf));
            assertThat(e.getMessage()).isEqualTo("unseal failed");

            other.kill();
            assertThat(mine.getTaoName()).isEqualTo(host.name().extend(self));
            try (Unsealed u = mine.unseal(mySelf)) {
                assertThat(u.data()).isEqualTo(SECRET);
            }
        }
    }

    private SocketChannel raw() throws IOException {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        ch.connect(UnixDomainSocketAddress.of(server.socketPath()));
        TaoRpcResponse hello = RpcProtocol.parseResponse(RpcFrames.read(ch));
        assertThat(hello.getSeq()).isZero();
        assertThat(hello.hasError()).isFalse();
        return ch;
    }

    /** Reads until the server closes the connection; fails if it answers instead. */
    private static void assertClosedByServer(SocketChannel ch) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(1024);
        assertThat(ch.read(buf)).as("the server closed the connection without answering").isEqualTo(-1);
    }

    private static byte[] header(int length) {
        return ByteBuffer.allocate(4).putInt(length).array();
    }

    @Test
    void badFrames_closeOnlyTheirConnection() throws Exception {
        List<byte[]> bad = List.of(
                header(-1),                                                    // negative length
                header(RpcFrames.MAX_FRAME_BYTES + 1),                          // oversized
                ByteBuffer.allocate(7).putInt(3).put(new byte[] {1, 2, 3}).array(), // not a request
                ByteBuffer.allocate(6).putInt(2).put(new byte[] {0x0a, 5}).array()); // a field cut short inside the frame
        try (RpcTao good = RpcTao.connect(server.socketPath())) {
            for (byte[] b : bad) {
                try (SocketChannel ch = raw()) {
                    ch.write(ByteBuffer.wrap(b));
                    assertClosedByServer(ch);
                }
                assertThat(good.getTaoName()).isEqualTo(host.name().extend(self));
            }
            try (SocketChannel ch = raw()) {
                ch.write(ByteBuffer.wrap(ByteBuffer.allocate(10).putInt(100).put(new byte[6]).array()));
                ch.shutdownOutput(); // the frame ends early
                assertClosedByServer(ch);
            }
            assertThat(good.getRandomBytes(16)).hasSize(16);
        }
    }

    @Test
    void wellFramedButInvalidRequests_getAnErrorAndTheConnectionStays() throws Exception {
        try (SocketChannel ch = raw()) {
            for (TaoRpcRequest r : List.of(
                    TaoRpcRequest.newBuilder().setOp("Tao.Format").setSeq(1).build(),
                    TaoRpcRequest.newBuilder().setOp(RpcProtocol.SEAL).setSeq(2).build(),
                    TaoRpcRequest.newBuilder().setOp(RpcProtocol.GET_TAO_NAME).build())) {
                RpcFrames.write(ch, r.toByteArray());
                TaoRpcResponse resp = RpcProtocol.parseResponse(RpcFrames.read(ch));
                assertThat(resp.getSeq()).isEqualTo(r.getSeq());
                assertThat(resp.getError()).isEqualTo(TaoRpcError.TAO_RPC_BAD_REQUEST);
            }
            RpcFrames.write(ch, TaoRpcRequest.newBuilder().setOp(RpcProtocol.GET_TAO_NAME).setSeq(9).build().toByteArray());
            TaoRpcResponse name = RpcProtocol.parseResponse(RpcFrames.read(ch));
            assertThat(Prin.decode(name.getData().toByteArray())).isEqualTo(host.name().extend(self));
        }
    }

    @Test
    void errors_arriveAsTheRightJavaTypes() throws Exception {
        try (RpcTao tao = RpcTao.connect(server.socketPath())) {
            assertThrows(IllegalArgumentException.class, () -> tao.seal(SECRET, "few"));
            assertThrows(IllegalArgumentException.class, () -> tao.getSharedSecret(0, CoreTao.SEAL_POLICY_SELF));
            assertThrows(UnsealException.class, () -> tao.unseal(new byte[10]));
            assertThat(tao.getTaoName()).isEqualTo(host.name().extend(self));
        }
    }

    @Test
    void closingTheServer_endsConnectedPrograms_withIOException() throws Exception {
        try (RpcTao tao = RpcTao.connect(server.socketPath())) {
            server.close();
            assertThrows(IOException.class, tao::getTaoName);
            assertThat(tao.isOpen()).isFalse();
        }
    }
}
