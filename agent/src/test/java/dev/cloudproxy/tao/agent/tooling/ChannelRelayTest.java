package dev.cloudproxy.tao.agent.tooling;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The relay with a test TLS provider (a self-signed certificate both sides trust; the channel
 * module will provide the real one): bytes go out as TLS, the peer is authenticated, and another
 * process cannot use the relay.
 */
class ChannelRelayTest {
    SSLContext tls;
    ChannelRelay relay;
    InetAddress lo = InetAddress.getLoopbackAddress();

    @BeforeEach
    void setUp() throws Exception {
        tls = TestTls.selfSigned("tao-relay-test");
        relay = new ChannelRelay(() -> tls, new AgentLines(new java.io.PrintStream(err, true, StandardCharsets.UTF_8),
                System::nanoTime));
    }

    final java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();

    /** What the relay printed for the app's user, once it has printed {@code count} lines. */
    private java.util.List<String> errLines(int count) throws InterruptedException {
        for (int i = 0; i < 300 && err.toString(StandardCharsets.UTF_8).lines().count() < count; i++) {
            Thread.sleep(100);
        }
        return err.toString(StandardCharsets.UTF_8).lines().toList();
    }

    @AfterEach
    void tearDown() throws Exception {
        relay.close();
    }

    @Test
    void route_carriesTheAppsBytesOverMutualTls() throws Exception {
        try (SSLServerSocket server = (SSLServerSocket) tls.getServerSocketFactory().createServerSocket(0, 5, lo)) {
            server.setNeedClientAuth(true);
            CompletableFuture<String> seen = CompletableFuture.supplyAsync(() -> {
                try (SSLSocket s = (SSLSocket) server.accept();
                        BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
                        PrintWriter out = new PrintWriter(s.getOutputStream(), true, StandardCharsets.UTF_8)) {
                    String line = in.readLine();
                    out.println("echo: " + line);
                    return s.getSession().getProtocol() + " " + s.getSession().getPeerPrincipal().getName();
                } catch (Exception e) {
                    return "server failed: " + e;
                }
            });

            InetSocketAddress via = relay.route(lo, server.getLocalPort());
            try (Socket app = new Socket(via.getAddress(), via.getPort())) {
                app.getOutputStream().write("hello\n".getBytes(StandardCharsets.UTF_8));
                String answer = new BufferedReader(new InputStreamReader(app.getInputStream(), StandardCharsets.UTF_8)).readLine();
                assertThat(answer).isEqualTo("echo: hello");
                assertThat(relay.peer(app.getLocalPort())).contains("CN=tao-relay-test");
                assertThat(relay.peer(app.getLocalPort(), new InetSocketAddress(lo, server.getLocalPort())))
                        .isEqualTo("CN=tao-relay-test");
                assertThat(relay.peer(app.getLocalPort(), new InetSocketAddress(lo, 1))).isNull(); // not relayed
            }
            assertThat(seen.get(30, TimeUnit.SECONDS)).isEqualTo("TLSv1.3 CN=tao-relay-test");
            assertThat(via.getAddress().isLoopbackAddress()).isTrue();
            assertThat(relay.route(lo, server.getLocalPort())).isEqualTo(via); // one listener per destination
        }
    }

    @Test
    void aPeerThatDoesNotSpeakTls_getsOnlyAHandshake_andTheAppItsConnectionClosed() throws Exception {
        try (ServerSocket plain = new ServerSocket(0, 5, lo)) {
            CompletableFuture<byte[]> firstBytes = CompletableFuture.supplyAsync(() -> {
                try (Socket s = plain.accept()) {
                    byte[] b = s.getInputStream().readNBytes(3);
                    s.getOutputStream().write("plain text, not TLS\n".getBytes(StandardCharsets.UTF_8));
                    return b;
                } catch (Exception e) {
                    return new byte[0];
                }
            });

            InetSocketAddress via = relay.route(lo, plain.getLocalPort());
            try (Socket app = new Socket(via.getAddress(), via.getPort())) {
                app.getOutputStream().write("secret request\n".getBytes(StandardCharsets.UTF_8));
                assertThat(app.getInputStream().read()).isEqualTo(-1); // closed, never answered in plaintext
            }
            // a TLS record: handshake (22), version 3.x
            assertThat(firstBytes.get(30, TimeUnit.SECONDS)).startsWith(22, 3);
            assertThat(errLines(1)).singleElement().asString()
                    .startsWith("tao-agent: the Tao channel to 127.0.0.1:" + plain.getLocalPort() + " failed: ")
                    .endsWith("; the app's connection was closed (nothing was sent in plaintext)");
        }
    }

    @Test
    void aDestinationThatRefuses_theAppsConnectionEnds_andOneLineNamesTheAddress() throws Exception {
        int nothing;
        try (ServerSocket probe = new ServerSocket(0, 1, lo)) {
            nothing = probe.getLocalPort();
        }
        InetSocketAddress via = relay.route(lo, nothing);
        try (Socket app = new Socket(via.getAddress(), via.getPort())) {
            assertThat(app.getInputStream().read()).isEqualTo(-1);
        }
        assertThat(errLines(1)).singleElement().asString()
                .startsWith("tao-agent: the Tao channel to 127.0.0.1:" + nothing + " failed: ")
                .contains("Connection refused");
    }

    @Test
    void anotherProcess_cannotUseTheRelay() throws Exception {
        try (SSLServerSocket server = (SSLServerSocket) tls.getServerSocketFactory().createServerSocket(0, 5, lo)) {
            InetSocketAddress via = relay.route(lo, server.getLocalPort());
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), RelayProbe.class.getName(),
                    via.getAddress().getHostAddress(), Integer.toString(via.getPort())).redirectErrorStream(true).start();
            try {
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
                assertThat(out).isEqualTo("closed\n");
            } finally {
                p.destroyForcibly();
                p.waitFor();
            }
            // the relay decided before it closed the probe's connection: nothing reached the server
            server.setSoTimeout(1);
            assertThat(catchAccept(server)).isFalse();
        }
    }

    private static boolean catchAccept(ServerSocket server) {
        try (Socket s = server.accept()) {
            return true;
        } catch (java.net.SocketTimeoutException e) {
            return false;
        } catch (java.io.IOException e) {
            return false;
        }
    }

    @Test
    void ownSockets_findsTheRowByPortsOnLoopbackOnly() {
        String table = """
                  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
                   0: 0100007F:1F90 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 4242 1
                   1: 0A00020F:1F91 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 99 1
                """;
        assertThat(OwnSockets.find(table, ":1F90", ":D431")).isEqualTo(4242);
        assertThat(OwnSockets.find(table, ":1F91", ":D431")).isEqualTo(-1);
        assertThat(OwnSockets.find(table, ":0001", ":D431")).isEqualTo(-1);
    }
}
