package dev.cloudproxy.tao.agent.tooling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cloudproxy.tao.auth.Bytes;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.PrinExt;
import dev.cloudproxy.tao.channel.PeerPolicy;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The incoming relay in one process, playing the network hooks' part by hand: the "app" binds where
 * the relay says and reports its accepts, as the hooks do. TLS clients with the test certificate
 * reach the app; anything else never does.
 */
class IncomingRelayTest {
    SSLContext tls;
    IncomingRelay relay;
    InetAddress lo = InetAddress.getLoopbackAddress();

    @BeforeEach
    void setUp() throws Exception {
        tls = TestTls.selfSigned("tao-relay-in-test");
        relay = new IncomingRelay(() -> tls);
    }

    @AfterEach
    void tearDown() {
        relay.close();
    }

    /** The app's side: bound where the relay said, and known to the relay. */
    private ServerSocket appListening(Object key, int port) throws IOException {
        InetSocketAddress at = relay.prepare(key, lo, port);
        assertThat(at.getAddress().isLoopbackAddress()).isTrue();
        ServerSocket app = new ServerSocket();
        app.bind(at);
        relay.bound(key, (InetSocketAddress) app.getLocalSocketAddress());
        return app;
    }

    @Test
    void verbose_sayWhereTheRelayTakesTaoChannelsForTheAppsSocket() throws Exception {
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        IncomingRelay verbose = new IncomingRelay(() -> tls,
                new AgentLines(new java.io.PrintStream(err, true, StandardCharsets.UTF_8), System::nanoTime, true));
        try {
            Object key = new Object();
            InetSocketAddress at = verbose.prepare(key, lo, 0);
            try (ServerSocket app = new ServerSocket()) {
                app.bind(at);
                verbose.bound(key, (InetSocketAddress) app.getLocalSocketAddress());

                assertThat(err.toString(StandardCharsets.UTF_8)).startsWith("tao-agent: the relay takes Tao channels on 127.0.0.1:")
                        .endsWith(" for the app's socket on 127.0.0.1:" + app.getLocalPort() + "\n");
            }
        } finally {
            verbose.close();
        }
    }

    /** Accepts as the hook-instrumented app would: refused connections are closed and skipped. */
    private Socket accept(Object key, ServerSocket app) throws IOException {
        for (;;) {
            Socket s = app.accept();
            InetSocketAddress shown = relay.accepted(key, new Object(), (InetSocketAddress) s.getRemoteSocketAddress());
            if (shown != null) {
                return s;
            }
            s.close();
        }
    }

    private SSLSocket tlsClient(int port) throws IOException {
        SSLSocket c = (SSLSocket) tls.getSocketFactory().createSocket(lo, port);
        c.startHandshake();
        return c;
    }

    private static String exchange(Socket s, String line) throws IOException {
        s.getOutputStream().write((line + "\n").getBytes(StandardCharsets.UTF_8));
        s.getOutputStream().flush();
        return new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8)).readLine();
    }

    /** What comes back until the peer closes (nothing if it resets). */
    private static byte[] readToEnd(Socket s) throws IOException {
        try {
            return s.getInputStream().readAllBytes();
        } catch (java.net.SocketException reset) {
            return new byte[0];
        }
    }

    private static void echoOne(Socket s) throws IOException {
        String line = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8)).readLine();
        s.getOutputStream().write(("echo: " + line + "\n").getBytes(StandardCharsets.UTF_8));
        s.getOutputStream().flush();
    }

    @Test
    void anAuthenticatedClient_reachesTheApp_whichSeesItsAddressAndPeer() throws Exception {
        Object key = new Object();
        try (ServerSocket app = appListening(key, 0)) {
            InetSocketAddress shown = relay.localAddress(key);
            assertThat(shown.getPort()).isPositive().isNotEqualTo(app.getLocalPort());
            try (SSLSocket client = tlsClient(shown.getPort())) {
                client.getOutputStream().write("hello\n".getBytes(StandardCharsets.UTF_8));
                client.getOutputStream().flush();
                Socket fromRelay = app.accept();
                Object acceptedKey = new Object();
                InetSocketAddress remote = relay.accepted(key, acceptedKey,
                        (InetSocketAddress) fromRelay.getRemoteSocketAddress());
                assertThat(remote).isEqualTo(client.getLocalSocketAddress()); // the client's real address
                assertThat(relay.localAddress(acceptedKey)).isEqualTo(client.getRemoteSocketAddress());
                assertThat(relay.peer(shown.getPort(), remote)).isEqualTo("CN=tao-relay-in-test");
                try (Socket s = fromRelay) {
                    echoOne(s);
                }
                assertThat(new BufferedReader(new InputStreamReader(client.getInputStream(), StandardCharsets.UTF_8))
                        .readLine()).isEqualTo("echo: hello");
            }
        }
    }

    @Test
    void aPlainClient_neverReachesTheApp() throws Exception {
        Object key = new Object();
        try (ServerSocket app = appListening(key, 0)) {
            int port = relay.localAddress(key).getPort();
            try (Socket plain = new Socket(lo, port)) {
                plain.getOutputStream().write("hello\n".getBytes(StandardCharsets.UTF_8));
                byte[] back = readToEnd(plain);
                if (back.length > 0) {
                    assertThat(back[0]).as("at most a TLS alert record, then closed").isEqualTo((byte) 21);
                }
            }
            // The next connection the app sees is the authenticated one: the plain one never came.
            try (SSLSocket client = tlsClient(port)) {
                client.getOutputStream().write("second\n".getBytes(StandardCharsets.UTF_8));
                client.getOutputStream().flush();
                try (Socket s = accept(key, app)) {
                    echoOne(s);
                }
                assertThat(new BufferedReader(new InputStreamReader(client.getInputStream(), StandardCharsets.UTF_8))
                        .readLine()).isEqualTo("echo: second");
            }
        }
    }

    @Test
    void aConnectionToTheAppsOwnPort_isRefused_andRelayedOnesStillPass() throws Exception {
        Object key = new Object();
        try (ServerSocket app = appListening(key, 0); Socket direct = new Socket(lo, app.getLocalPort())) {
            try (Socket s = app.accept()) {
                assertThat(relay.accepted(key, new Object(), (InetSocketAddress) s.getRemoteSocketAddress())).isNull();
            }
            try (SSLSocket client = tlsClient(relay.localAddress(key).getPort())) {
                assertThat(client.getSession().getProtocol()).isEqualTo("TLSv1.3");
                client.getOutputStream().write("hi\n".getBytes(StandardCharsets.UTF_8));
                client.getOutputStream().flush();
                try (Socket s = accept(key, app)) {
                    echoOne(s);
                }
                assertThat(exchange(client, "")).isEqualTo("echo: hi");
            }
        }
    }

    @Test
    void aSocketTheRelayDoesNotServe_isLeftAlone() {
        InetSocketAddress remote = new InetSocketAddress(lo, 4242);
        assertThat(relay.accepted(new Object(), new Object(), remote)).isSameAs(remote);
        assertThat(relay.localAddress(new Object())).isNull();
        assertThat(relay.relays(new Object())).isFalse();
    }

    @Test
    void aTakenAddress_failsLikeTheAppsBindWould() throws Exception {
        try (ServerSocket other = new ServerSocket(0, 1, lo)) {
            BindException e = assertThrows(BindException.class, () -> relay.prepare(new Object(), lo, other.getLocalPort()));
            assertThat(e.getMessage()).containsIgnoringCase("in use");
        }
    }

    @Test
    void aFailedAppBind_releasesTheAddress() throws Exception {
        Object key = new Object();
        relay.prepare(key, lo, 0);
        InetSocketAddress shown = relay.localAddress(key);
        relay.bound(key, null);
        assertThat(relay.relays(key)).isFalse();
        try (ServerSocket again = new ServerSocket(shown.getPort(), 1, lo)) {
            assertThat(again.getLocalPort()).isEqualTo(shown.getPort());
        }
    }

    /** Repeated: the relay's listener must be really closed (its accept left) when the app binds again. */
    @org.junit.jupiter.api.RepeatedTest(20)
    void whenTheAppClosesItsSocket_itCanListenOnTheSameAddressAgain() throws Exception {
        Object first = new Object();
        int port;
        try (ServerSocket app = appListening(first, 0)) {
            port = relay.localAddress(first).getPort();
        }
        relay.appClosed(first); // as the close hook does while the app closes its socket
        assertThat(relay.relays(first)).isFalse();
        Object second = new Object();
        try (ServerSocket app = appListening(second, port)) {
            assertThat(relay.localAddress(second).getPort()).isEqualTo(port);
            try (SSLSocket client = tlsClient(port)) {
                client.getOutputStream().write("again\n".getBytes(StandardCharsets.UTF_8));
                client.getOutputStream().flush();
                try (Socket s = accept(second, app)) {
                    echoOne(s);
                }
                assertThat(exchange(client, "")).isEqualTo("echo: again");
            }
        }
    }

    @Test
    void aClosedRelay_refusesNewListeners() {
        relay.close();
        assertThrows(BindException.class, () -> relay.prepare(new Object(), lo, 0));
    }

    @Test
    void aPeerPolicy_keepsOtherProgramsFromTheApp_andLetsTheNamedOneThrough() throws Exception {
        Prin allowed = Prin.parse("key([0a0b]).Jvm([0c])");
        AtomicReference<Prin> nextClient = new AtomicReference<>(Prin.parse("key([0a0b]).Jvm([0d])"));
        IncomingRelay named = new IncomingRelay(new TlsProvider() {
            @Override
            public SSLContext sslContext() {
                return tls;
            }

            @Override
            public Prin peerPrincipal(javax.net.ssl.SSLSession session) {
                return nextClient.get(); // one test certificate for all: the test says who is calling
            }
        });
        Object key = new Object();
        InetSocketAddress at = named.prepare(key, lo, 0, Optional.of(PeerPolicy.subprincipalsOf(List.of(allowed))),
                "in 127.0.0.1 * TAO peer=" + allowed);
        try (ServerSocket app = new ServerSocket()) {
            app.bind(at);
            named.bound(key, (InetSocketAddress) app.getLocalSocketAddress());
            int port = named.localAddress(key).getPort();

            try (SSLSocket other = tlsClient(port)) {
                other.getOutputStream().write("from another program\n".getBytes(StandardCharsets.UTF_8));
                other.getOutputStream().flush();
                byte[] back;
                try {
                    back = other.getInputStream().readAllBytes();
                } catch (IOException closedWithoutCloseNotify) {
                    back = new byte[0];
                }
                assertThat(back).as("closed, nothing from the app").isEmpty();
            }
            nextClient.set(allowed.extend(new PrinExt("PolicyKey", List.of(new Bytes(new byte[] {1})))));
            try (SSLSocket client = tlsClient(port)) {
                client.getOutputStream().write("hello\n".getBytes(StandardCharsets.UTF_8));
                client.getOutputStream().flush();
                app.setSoTimeout(60_000);
                Socket fromRelay = app.accept(); // the first connection the app sees
                InetSocketAddress remote = named.accepted(key, new Object(),
                        (InetSocketAddress) fromRelay.getRemoteSocketAddress());
                assertThat(remote).as("it came through the relay").isEqualTo(client.getLocalSocketAddress());
                try (Socket s = fromRelay) {
                    assertThat(new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8))
                            .readLine()).as("the named program's bytes, not the other's").isEqualTo("hello");
                }
            }
        } finally {
            named.close();
        }
    }
}
