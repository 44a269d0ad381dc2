package dev.cloudproxy.tao.channel;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static dev.cloudproxy.tao.channel.Tasks.await;
import static dev.cloudproxy.tao.channel.Tasks.failureOf;
import static dev.cloudproxy.tao.channel.Tasks.host;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cloudproxy.tao.VerificationException;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.guard.AclGuard;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Certificate mode over real TLS on loopback. */
class ChannelTest {
    private static final InetSocketAddress LOOPBACK = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    private final Tasks tasks = new Tasks();
    private TestDomain domain;
    private TestDomain otherDomain;

    @BeforeEach
    void setUp() {
        domain = TestDomain.create("Test Domain");
        otherDomain = TestDomain.create("Other Domain");
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        tasks.close();
        domain.close();
        otherDomain.close();
    }

    private <T> Future<T> async(Callable<T> task) {
        return tasks.async(task);
    }

    @Test
    void dial_toListenerOfTheSameDomain_bothLearnEachOthersPrincipal() throws Exception {
        ProgramCredentials server = domain.program();
        ProgramCredentials client = domain.program();
        TaoChannels serverChannels = TaoChannels.of(server);
        try (TaoListener listener = serverChannels.listen(LOOPBACK)) {
            Future<Prin> served = async(() -> {
                try (TaoChannel c = listener.accept()) {
                    byte[] request = c.receive();
                    c.send(("hello " + new String(request, UTF_8)).getBytes(UTF_8));
                    assertThat(serverChannels.peerPrincipal(c.session())).isEqualTo(c.peer());
                    return c.peer();
                }
            });
            try (TaoChannel c = TaoChannel.dial(host(), listener.port(), client)) {
                c.send("client".getBytes(UTF_8));

                assertThat(new String(c.receive(), UTF_8)).isEqualTo("hello client");
                assertThat(c.peer()).isEqualTo(server.principal());
                assertThat(c.session().getProtocol()).isEqualTo("TLSv1.3");
                assertThat(TaoChannels.peerPrincipal(c.session(), domain.policyCertificate))
                        .isEqualTo(server.principal());
            }
            assertThat(await(served)).isEqualTo(client.principal());
        }
    }

    @Test
    void dial_serverOfAnotherDomain_isRefusedByTheClient() throws Exception {
        ProgramCredentials stranger = otherDomain.program();
        try (TaoListener listener = TaoChannels.of(stranger).listen(LOOPBACK)) {
            Future<TaoChannel> served = async(listener::accept);

            SSLHandshakeException e = assertThrows(SSLHandshakeException.class,
                    () -> TaoChannel.dial(host(), listener.port(), domain.program()));

            assertThat(e).hasMessageContaining("not a valid program certificate of this domain");
            failureOf(served, IOException.class);
        }
    }

    @Test
    void accept_clientOfAnotherDomain_isRefusedByTheServer() throws Exception {
        // A careless client that trusts any server, so that the refusal is the server's own.
        TestDomain.Issued stranger = otherDomain.issue(otherDomain.nextPrincipal(), Instant.now(), Duration.ofDays(1));
        // (a JDK key manager would not even offer it: the server names the issuer it accepts)
        SSLContext client = TestDomain.trustingJdkContext("TLSv1.3", new javax.net.ssl.KeyManager[] {
                new ProgramKeyManager(new java.security.cert.X509Certificate[] {stranger.certificate()},
                        stranger.key().toJcaPrivateKey())});
        try (TaoListener listener = TaoChannels.of(domain.program()).listen(LOOPBACK)) {
            Future<TaoChannel> served = async(listener::accept);
            expectRefusal(client, listener.port());

            SSLHandshakeException refused = failureOf(served, SSLHandshakeException.class);
            assertThat(refused).hasMessageContaining("not a valid program certificate of this domain");
        }
    }

    @Test
    void dial_bothOfOtherDomains_isRefusedByBoth() throws Exception {
        try (TaoListener listener = TaoChannels.of(domain.program()).listen(LOOPBACK)) {
            Future<TaoChannel> served = async(listener::accept);

            SSLHandshakeException e = assertThrows(SSLHandshakeException.class,
                    () -> TaoChannel.dial(host(), listener.port(), otherDomain.program()));

            assertThat(e).hasMessageContaining("not a valid program certificate of this domain");
            failureOf(served, IOException.class);
        }
    }

    /**
     * Connects with a plain JDK client and expects the server to end the connection: in TLS 1.3 the
     * client's handshake is over before the server judges the client's certificate, so the
     * refusal arrives on the client's first read (or breaks its write).
     */
    private static void expectRefusal(SSLContext client, int port) {
        assertThrows(IOException.class, () -> {
            try (SSLSocket s = (SSLSocket) client.getSocketFactory().createSocket(host(), port)) {
                s.startHandshake();
                s.getOutputStream().write(new byte[] {0, 0, 0, 1, 42});
                s.getOutputStream().flush();
                s.getInputStream().read();
            }
        });
    }

    /** The same with a Tao client. */
    private static void expectRefusal(TaoChannels client, int port) {
        assertThrows(IOException.class, () -> {
            try (TaoChannel c = client.dial(host(), port)) {
                c.send(new byte[] {42});
                c.receive();
            }
        });
    }

    @Test
    void accept_tlsClientWithoutACertificate_isRefused() throws Exception {
        try (TaoListener listener = TaoChannels.of(domain.program()).listen(LOOPBACK)) {
            Future<TaoChannel> served = async(listener::accept);
            expectRefusal(TestDomain.trustingJdkContext("TLSv1.3", null), listener.port());

            SSLHandshakeException refused = failureOf(served, SSLHandshakeException.class);
            assertThat(refused).hasMessageContaining("certificate");
        }
    }

    @Test
    void accept_plainTcpClient_isRefusedAndTheListenerKeepsServing() throws Exception {
        ProgramCredentials client = domain.program();
        try (TaoListener listener = TaoChannels.of(domain.program()).listen(LOOPBACK)) {
            Future<TaoChannel> first = async(listener::accept);
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), listener.port())) {
                s.setTcpNoDelay(true);
                s.getOutputStream().write("GET / HTTP/1.0\r\n\r\n".getBytes(UTF_8));
                s.getOutputStream().flush();
                failureOf(first, SSLException.class);
            }

            Future<Prin> second = async(() -> {
                try (TaoChannel c = listener.accept()) {
                    return c.peer();
                }
            });
            try (TaoChannel c = TaoChannel.dial(host(), listener.port(), client)) {
                assertThat(c.session().getProtocol()).isEqualTo("TLSv1.3");
                assertThat(await(second)).isEqualTo(client.principal());
            }
        }
    }

    @Test
    void accept_expiredClientCertificate_isRefused() throws Exception {
        TestDomain.Issued expired = domain.issue(domain.nextPrincipal(), Instant.now().minus(Duration.ofDays(2)),
                Duration.ofDays(1));
        SSLContext client = TestDomain.trustingJdkContext("TLSv1.3", TestDomain.jdkKeyManagers(
                expired.key().toJcaPrivateKey(), expired.certificate()));
        try (TaoListener listener = TaoChannels.of(domain.program()).listen(LOOPBACK)) {
            Future<TaoChannel> served = async(listener::accept);
            expectRefusal(client, listener.port());

            SSLHandshakeException refused = failureOf(served, SSLHandshakeException.class);
            assertThat(refused).hasMessageContaining("not valid at");
        }
    }

    @Test
    void accept_clientCertificateWithAFlippedBit_isRefused() throws Exception {
        TestDomain.Issued issued = domain.issue(domain.nextPrincipal(), Instant.now(), Duration.ofDays(1));
        byte[] der = issued.certificate().getEncoded();
        byte[] uri = "tao:".getBytes(UTF_8);
        int inName = indexOf(der, uri) + uri.length + 2;
        for (int position : new int[] {der.length - 1, inName}) {
            byte[] tampered = der.clone();
            tampered[position] ^= 0x01;
            java.security.cert.X509Certificate cert = dev.cloudproxy.tao.domain.ProgramCertificate.parseDer(tampered);
            SSLContext client = TestDomain.trustingJdkContext("TLSv1.3", new javax.net.ssl.KeyManager[] {
                    new ProgramKeyManager(new java.security.cert.X509Certificate[] {cert},
                            issued.key().toJcaPrivateKey())});
            try (TaoListener listener = TaoChannels.of(domain.program()).listen(LOOPBACK)) {
                Future<TaoChannel> served = async(listener::accept);
                expectRefusal(client, listener.port());

                assertThat(failureOf(served, SSLHandshakeException.class))
                        .as("bit flipped at " + position)
                        .hasMessageContaining("not a valid program certificate of this domain");
            }
        }
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("not found");
    }

    @Test
    void sslContext_init_isRefused() {
        SSLContext ctx = TaoChannels.of(domainProgram()).sslContext();

        assertThrows(java.security.KeyManagementException.class, () -> ctx.init(null, null, null));
    }

    private ProgramCredentials domainProgram() {
        try {
            return domain.program();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void of_expiredCertificate_isRefusedBeforeAnyHandshake() {
        TestDomain.Issued expired = domain.issue(domain.nextPrincipal(), Instant.now().minus(Duration.ofDays(2)),
                Duration.ofDays(1));

        assertThrows(VerificationException.class,
                () -> ProgramCredentials.of(expired.key(), List.of(expired.certificate()), domain.policyCertificate));
    }

    @Test
    void of_certificateForAnotherKey_isRefused() {
        TestDomain.Issued issued = domain.issue(domain.nextPrincipal(), Instant.now(), Duration.ofDays(1));

        VerificationException e = assertThrows(VerificationException.class, () -> ProgramCredentials.of(
                domain.newKey(), List.of(issued.certificate()), domain.policyCertificate));
        assertThat(e).hasMessageContaining("another key");
    }

    @Test
    void of_certificateOfAnotherDomain_isRefused() {
        TestDomain.Issued issued = otherDomain.issue(otherDomain.nextPrincipal(), Instant.now(), Duration.ofDays(1));

        assertThrows(VerificationException.class, () -> ProgramCredentials.of(
                issued.key(), List.of(issued.certificate()), domain.policyCertificate));
    }

    @Test
    void accept_clientTheGuardDoesNotAuthorize_isRefusedWithTheReason() throws Exception {
        ProgramCredentials client = domain.program();
        AclGuard guard = AclGuard.inMemory();
        TaoChannels server = TaoChannels.builder(domain.program())
                .peerPolicy(PeerPolicy.guard(guard, "Connect"))
                .build();
        try (TaoListener listener = server.listen(LOOPBACK)) {
            Future<TaoChannel> served = async(listener::accept);
            expectRefusal(TaoChannels.of(client), listener.port());
            SSLHandshakeException refused = failureOf(served, SSLHandshakeException.class);
            assertThat(refused).hasMessageContaining("peer " + client.principal())
                    .hasMessageContaining("Authorized(peer, \"Connect\")");

            guard.authorize(client.principal(), "Connect", List.of());
            Future<Prin> accepted = async(() -> {
                try (TaoChannel c = listener.accept()) {
                    return c.peer();
                }
            });
            try (TaoChannel c = TaoChannel.dial(host(), listener.port(), client)) {
                assertThat(c.session().getProtocol()).isEqualTo("TLSv1.3");
                assertThat(await(accepted)).isEqualTo(client.principal());
            }
        }
    }

    @Test
    void dial_clientPolicyNamesAnotherServer_isRefusedByTheClient() throws Exception {
        ProgramCredentials server = domain.program();
        Prin expected = domain.nextPrincipal();
        TaoChannels client = TaoChannels.builder(domain.program()).peerPolicy(PeerPolicy.only(Set.of(expected))).build();
        try (TaoListener listener = TaoChannels.of(server).listen(LOOPBACK)) {
            Future<TaoChannel> served = async(listener::accept);

            SSLHandshakeException e = assertThrows(SSLHandshakeException.class, () -> client.dial(host(), listener.port()));

            assertThat(e).hasMessageContaining("peer " + server.principal() + " is not accepted");
            failureOf(served, IOException.class);
        }
    }

    @Test
    void dial_again_resumesTheSessionAndStillKnowsThePeer() throws Exception {
        ProgramCredentials server = domain.program();
        // The client's policy runs in its trust manager (full handshakes only) and in checkPeer
        // (every channel): two calls for a full handshake, one for a resumed one.
        java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
        TaoChannels client = TaoChannels.builder(domain.program())
                .peerPolicy(peer -> calls.incrementAndGet() > 0)
                .build();
        try (TaoListener listener = TaoChannels.of(server).listen(LOOPBACK)) {
            Future<?> serving = async(() -> {
                for (int i = 0; i < 2; i++) {
                    try (TaoChannel c = listener.accept()) {
                        c.send(c.receive());
                    }
                }
                return null;
            });
            try (TaoChannel c = client.dial(host(), listener.port())) {
                c.send(new byte[] {1});
                c.receive(); // also reads the session ticket
            }
            assertThat(calls.getAndSet(0)).isEqualTo(2);
            try (TaoChannel c = client.dial(host(), listener.port())) {
                c.send(new byte[] {2});
                c.receive();

                assertThat(calls.get()).isEqualTo(1);
                assertThat(c.peer()).isEqualTo(server.principal());
                assertThat(client.peerPrincipal(c.session())).isEqualTo(server.principal());
            }
            await(serving);
        }
    }

    @Test
    void accept_resumedSessionOfAPeerNoLongerAuthorized_isRefused() throws Exception {
        ProgramCredentials client = domain.program();
        AclGuard guard = AclGuard.inMemory();
        guard.authorize(client.principal(), "Connect", List.of());
        TaoChannels server = TaoChannels.builder(domain.program()).peerPolicy(PeerPolicy.guard(guard, "Connect")).build();
        TaoChannels clientChannels = TaoChannels.of(client);
        try (TaoListener listener = server.listen(LOOPBACK)) {
            Future<Prin> first = async(() -> {
                try (TaoChannel c = listener.accept()) {
                    c.send(c.receive());
                    return c.peer();
                }
            });
            try (TaoChannel c = clientChannels.dial(host(), listener.port())) {
                c.send(new byte[] {1});
                c.receive();
            }
            assertThat(await(first)).isEqualTo(client.principal());

            guard.retract(client.principal(), "Connect", List.of());
            Future<TaoChannel> second = async(listener::accept);
            expectRefusal(clientChannels, listener.port());

            PeerRefusedException refused = failureOf(second, PeerRefusedException.class);
            assertThat(refused).hasMessageContaining("is not accepted by the guard");
        }
    }

    @Test
    void dial_withAJcaPrivateKey_works() throws Exception {
        TestDomain.Issued issued = domain.issue(domain.nextPrincipal(), Instant.now(), Duration.ofDays(1));
        ProgramCredentials client = ProgramCredentials.of(issued.key().toJcaPrivateKey(),
                List.of(issued.certificate(), domain.policyCertificate), domain.policyCertificate);
        try (TaoListener listener = TaoListener.listen(0, domain.program())) {
            Future<Prin> served = async(() -> {
                try (TaoChannel c = listener.accept()) {
                    return c.peer();
                }
            });
            try (TaoChannel c = TaoChannel.dial(host(), listener.port(), client)) {
                assertThat(c.session().getProtocol()).isEqualTo("TLSv1.3");
                assertThat(await(served)).isEqualTo(issued.principal());
            }
        }
    }

    @Test
    void accept_tls12Client_isRefused() throws Exception {
        TestDomain.Issued issued = domain.issue(domain.nextPrincipal(), Instant.now(), Duration.ofDays(1));
        SSLContext client = TestDomain.trustingJdkContext("TLSv1.2", TestDomain.jdkKeyManagers(
                issued.key().toJcaPrivateKey(), issued.certificate()));
        try (TaoListener listener = TaoChannels.of(domain.program()).listen(LOOPBACK)) {
            Future<TaoChannel> served = async(listener::accept);
            try (SSLSocket s = (SSLSocket) client.getSocketFactory().createSocket(host(), listener.port())) {
                s.setEnabledProtocols(new String[] {"TLSv1.2"});
                assertThrows(SSLException.class, s::startHandshake);
            }
            failureOf(served, SSLHandshakeException.class);
        }
    }

    @Test
    void receive_messageOverTheReceiversBound_isAFrameException() throws Exception {
        TaoChannels server = TaoChannels.builder(domain.program()).maxMessageBytes(1024).build();
        TaoChannels client = TaoChannels.builder(domain.program()).maxMessageBytes(4096).build();
        try (TaoListener listener = server.listen(LOOPBACK)) {
            Future<byte[]> served = async(() -> {
                try (TaoChannel c = listener.accept()) {
                    return c.receive();
                }
            });
            try (TaoChannel c = client.dial(host(), listener.port())) {
                c.send(new byte[2048]);
                assertThrows(IllegalArgumentException.class, () -> c.send(new byte[4097]));

                FrameException e = failureOf(served, FrameException.class);
                assertThat(e).hasMessageContaining("2048 bytes is over the channel's bound of 1024");
            }
        }
    }

    @Test
    void receive_peerClosedBetweenMessages_isEof() throws Exception {
        try (TaoListener listener = TaoChannels.of(domain.program()).listen(LOOPBACK)) {
            Future<byte[]> served = async(() -> {
                try (TaoChannel c = listener.accept()) {
                    c.receive();
                    return c.receive();
                }
            });
            try (TaoChannel c = TaoChannel.dial(host(), listener.port(), domain.program())) {
                c.send(new byte[0]);
            }
            failureOf(served, EOFException.class);
        }
    }

    @Test
    void peerPrincipal_sessionWithoutPeerCertificate_isUnverified() throws Exception {
        ProgramCredentials server = domain.program();
        TaoChannels channels = TaoChannels.of(server);
        // A server that does not ask for a client certificate: the session has no peer certificate.
        javax.net.ssl.SSLServerSocketFactory factory = channels.sslContext().getServerSocketFactory();
        try (javax.net.ssl.SSLServerSocket ss = (javax.net.ssl.SSLServerSocket) factory.createServerSocket(0, 1,
                InetAddress.getLoopbackAddress())) {
            ss.setNeedClientAuth(false);
            Future<Void> served = async(() -> {
                try (SSLSocket s = (SSLSocket) ss.accept()) {
                    InputStream in = s.getInputStream();
                    in.read();
                    assertThrows(SSLPeerUnverifiedException.class, () -> channels.peerPrincipal(s.getSession()));
                    OutputStream out = s.getOutputStream();
                    out.write(1);
                    out.flush();
                }
                return null;
            });
            SSLContext plain = TestDomain.trustingJdkContext("TLSv1.3", null);
            try (SSLSocket s = (SSLSocket) plain.getSocketFactory().createSocket(host(), ss.getLocalPort())) {
                s.getOutputStream().write(1);
                s.getOutputStream().flush();
                assertThat(s.getInputStream().read()).isEqualTo(1);
            }
            await(served);
        }
    }
}
