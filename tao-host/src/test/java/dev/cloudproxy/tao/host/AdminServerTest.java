package dev.cloudproxy.tao.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cloudproxy.tao.auth.Bytes;
import dev.cloudproxy.tao.auth.PrinExt;
import dev.cloudproxy.tao.host.unix.Users;
import dev.cloudproxy.tao.measurement.JvmProgram;
import dev.cloudproxy.tao.proto.TaoAdminProtos.AdminError;
import dev.cloudproxy.tao.proto.TaoAdminProtos.AdminProgram;
import dev.cloudproxy.tao.proto.TaoAdminProtos.AdminRequest;
import dev.cloudproxy.tao.proto.TaoAdminProtos.AdminResponse;
import dev.cloudproxy.tao.rpc.RpcFrames;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The admin socket of a real running host, through {@link AdminClient} and raw frames. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class AdminServerTest {
    @TempDir
    Path temp;

    private OpenedHost opened;
    private HostService service;

    @BeforeEach
    void start() throws Exception {
        opened = TestHosts.root(temp.resolve("host"));
        service = HostService.start(opened);
    }

    @AfterEach
    void stop() throws Exception {
        service.close();
        opened.close();
    }

    private AdminClient client() throws Exception {
        return AdminClient.connect(service.adminSocket());
    }

    @Test
    void halfAFrame_isCutOffAfterTheFrameTimeout_andOthersAreServed() throws Exception {
        Path socket = temp.resolve("admin-short.sock");
        AdminServer admin = AdminServer.start(socket, service.runner(), Users.currentUid(), () -> { },
                java.time.Duration.ofMillis(300));
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            assertThat(AdminResponse.parseFrom(RpcFrames.read(ch)).hasError()).isFalse();
            ch.write(ByteBuffer.wrap(ByteBuffer.allocate(8).putInt(100).put(new byte[4]).array()));

            assertThat(ch.read(ByteBuffer.allocate(64))).as("closed without an answer").isEqualTo(-1);
            try (AdminClient c = AdminClient.connect(socket)) {
                assertThat(c.list()).isEmpty();
            }
        } finally {
            admin.close();
        }
    }

    @Test
    void allows_onlyTheOwnerAndRoot() {
        assertThat(AdminProtocol.allows(1000, 1000)).isTrue();
        assertThat(AdminProtocol.allows(0, 1000)).isTrue();
        assertThat(AdminProtocol.allows(1001, 1000)).isFalse();
        assertThat(AdminProtocol.allows(1000, 0)).isFalse();
        assertThat(AdminProtocol.refusal(1001, 1000)).contains("user 1001").contains("user 1000");
    }

    @Test
    void run_relaysInputAndOutput_andPassesTheExitStatusThrough() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        AdminProgram[] started = new AdminProgram[1];
        int status;
        try (AdminClient c = client()) {
            status = c.run(ProgramSpec.process(Path.of("/bin/sh"), List.of("-c", "cat; echo oops >&2; exit 5")),
                    new ByteArrayInputStream("piped in\n".getBytes(StandardCharsets.UTF_8)), out, err, p -> started[0] = p);
        }
        assertThat(status).isEqualTo(5);
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("piped in\n");
        assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo("oops\n");
        assertThat(started[0].getName()).isEqualTo(opened.host().name()
                .extend(PrinExt.of("Program", new Bytes(TestHosts.sha256(Path.of("/bin/sh"))))).toString());
    }

    @Test
    void startListStopWait_manageADetachedProgram() throws Exception {
        try (AdminClient c = client()) {
            AdminProgram p = c.start(ProgramSpec.process(Path.of("/bin/sleep"), List.of("600")));
            assertThat(p.getRunning()).isTrue();
            assertThat(c.list()).extracting(AdminProgram::getId).containsExactly(p.getId());
            assertThat(c.lastHostName()).isEqualTo(opened.host().name().toString());
            c.stop(p.getId());
            AdminProgram done = c.waitFor(p.getId());
            assertThat(done.getRunning()).isFalse();
            assertThat(done.getExitStatus()).isEqualTo(143);
            assertThat(c.list()).isEmpty();

            AdminProgram q = c.start(ProgramSpec.process(Path.of("/bin/sleep"), List.of("600")));
            c.kill(q.getId());
            assertThat(c.waitFor(q.getId()).getExitStatus()).isEqualTo(137);

            HostException e = assertThrows(HostException.class, () -> c.stop(424242));
            assertThat(e.getMessage()).contains("no program 424242");
            HostException bad = assertThrows(HostException.class,
                    () -> c.start(ProgramSpec.process(temp.resolve("missing"), List.of())));
            assertThat(bad.getMessage()).contains("no such file");
        }
    }

    @Test
    void jvmProgram_isNamedByItsJvmMeasurement_andRunsFromAPrivateCopy() throws Exception {
        Path jar = helloJar();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        AdminProgram[] started = new AdminProgram[1];
        try (AdminClient c = client()) {
            int status = c.run(ProgramSpec.jvm(jar, List.of("a", "b")), InputStream.nullInputStream(), out,
                    OutputStream.nullOutputStream(), p -> started[0] = p);
            assertThat(status).isZero();
        }
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("hello a b socket=true\n");
        PrinExt expected = JvmProgram.builder().jar(jar).build().measure().extension();
        assertThat(started[0].getName()).isEqualTo(opened.host().name().extend(expected).toString());
        try (var s = Files.list(opened.directory().programs())) {
            assertThat(s.toList()).as("private copies are removed when the program exits").isEmpty();
        }
    }

    private Path helloJar() throws IOException {
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        m.getMainAttributes().put(Attributes.Name.MAIN_CLASS, JvmHello.class.getName());
        Path jar = temp.resolve("hello.jar");
        String entry = JvmHello.class.getName().replace('.', '/') + ".class";
        try (JarOutputStream j = new JarOutputStream(Files.newOutputStream(jar), m);
                InputStream in = JvmHello.class.getClassLoader().getResourceAsStream(entry)) {
            j.putNextEntry(new JarEntry(entry));
            in.transferTo(j);
            j.closeEntry();
        }
        return jar;
    }

    @Test
    void shutdown_stopsEveryProgram_andTheHost() throws Exception {
        try (AdminClient c = client()) {
            AdminProgram p = c.start(ProgramSpec.process(Path.of("/bin/sleep"), List.of("600")));
            ProcessHandle h = ProcessHandle.of(p.getPid()).orElseThrow();
            c.shutdown();
            h.onExit().get(30, TimeUnit.SECONDS);
        }
        service.awaitShutdownRequest();
        service.close();
        assertThat(service.adminSocket()).doesNotExist();
        assertThat(opened.directory().pidFile()).doesNotExist();
    }

    @Test
    void secondHost_onTheSameDirectory_isRefused() throws Exception {
        HostException e = assertThrows(HostException.class, () -> HostService.start(opened));
        assertThat(e.getMessage()).contains("already running");
    }

    private SocketChannel raw() throws IOException {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        ch.connect(UnixDomainSocketAddress.of(service.adminSocket()));
        AdminResponse hello = AdminProtocol.parseResponse(RpcFrames.read(ch));
        assertThat(hello.getSeq()).isZero();
        assertThat(hello.hasError()).isFalse();
        return ch;
    }

    @Test
    void badFrames_closeOnlyTheirConnection_andBadRequestsGetErrors() throws Exception {
        List<byte[]> bad = List.of(
                ByteBuffer.allocate(4).putInt(-1).array(),
                ByteBuffer.allocate(4).putInt(AdminProtocol.MAX_FRAME_BYTES + 1).array(),
                ByteBuffer.allocate(7).putInt(3).put(new byte[] {1, 2, 3}).array(),
                ByteBuffer.allocate(6).putInt(2).put(new byte[] {0x0a, 5}).array(),
                // a known message with an unknown field (99, varint)
                ByteBuffer.allocate(7).putInt(3).put(new byte[] {(byte) 0x98, 0x06, 1}).array());
        try (AdminClient good = client()) {
            for (byte[] b : bad) {
                try (SocketChannel ch = raw()) {
                    ch.write(ByteBuffer.wrap(b));
                    assertThat(ch.read(ByteBuffer.allocate(64))).isEqualTo(-1);
                }
                assertThat(good.list()).isEmpty();
            }
        }
        try (SocketChannel ch = raw()) {
            for (AdminRequest r : List.of(
                    AdminRequest.newBuilder().setOp("Admin.Format").setSeq(1).build(),
                    AdminRequest.newBuilder().setOp(AdminProtocol.STOP).setSeq(2).build(),
                    AdminRequest.newBuilder().setOp(AdminProtocol.START).setSeq(3).build(),
                    AdminRequest.newBuilder().setOp(AdminProtocol.LIST).build())) {
                RpcFrames.write(ch, r.toByteArray());
                AdminResponse resp = AdminProtocol.parseResponse(RpcFrames.read(ch));
                assertThat(resp.getSeq()).isEqualTo(r.getSeq());
                assertThat(resp.getError()).isEqualTo(AdminError.ADMIN_BAD_REQUEST);
            }
        }
    }
}
