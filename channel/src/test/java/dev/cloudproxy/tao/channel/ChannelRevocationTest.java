package dev.cloudproxy.tao.channel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.domain.RevocationList;
import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Revocation on real TLS connections: the domain revokes a program's certificate, the checker
 * learns it at its next refresh (triggered by the test, not waited for), and the program's new
 * connections are refused, by a {@link TaoListener}, by a dialing client and by
 * {@link TaoChannels#checkPeer} on a session that was established before.
 */
class ChannelRevocationTest {
    private static final InetSocketAddress LOOPBACK = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    private final ExecutorService executor = Executors.newCachedThreadPool();
    private final TestDomain domain = TestDomain.create("Test Domain");
    private final List<BigInteger> revoked = new ArrayList<>();
    private long crlNumber;
    /** What the domain service would serve: the list of {@link #revoked}, freshly signed. */
    private volatile byte[] served;
    private volatile boolean reachable = true;

    private final CrlSource source = () -> {
        if (!reachable) {
            throw new IOException("connection refused");
        }
        return served.clone();
    };

    @AfterEach
    void tearDown() throws InterruptedException {
        executor.shutdownNow();
        assertThat(executor.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        domain.close();
    }

    private void publish() throws Exception {
        Instant now = Instant.now();
        List<RevocationList.Entry> entries = revoked.stream().map(s -> new RevocationList.Entry(s, now)).toList();
        served = RevocationList.issue(domain.policyKey, domain.policyCertificate, entries,
                BigInteger.valueOf(++crlNumber), now.minusSeconds(60), now.plus(Duration.ofDays(7))).getEncoded();
    }

    private void revoke(ProgramCredentials who) throws Exception {
        revoked.add(who.certificate().getSerialNumber());
        publish();
    }

    private RevocationChecker checker() throws Exception {
        if (served == null) {
            publish();
        }
        return RevocationChecker.builder(domain.policyCertificate, source).build();
    }

    private <T> Future<T> async(Callable<T> task) {
        return executor.submit(task);
    }

    private static String host() {
        return InetAddress.getLoopbackAddress().getHostAddress();
    }

    /** Dials and exchanges one message, or throws as the client sees the refusal. */
    private static Prin exchange(TaoChannels client, int port) throws IOException {
        try (TaoChannel c = client.dial(host(), port)) {
            c.send(new byte[] {42});
            c.receive();
            return c.peer();
        }
    }

    private Future<Prin> serveOne(TaoListener listener) {
        return async(() -> {
            try (TaoChannel c = listener.accept()) {
                c.send(c.receive());
                return c.peer();
            }
        });
    }

    @Test
    void accept_clientRevokedAfterItsFirstConnection_isRefusedByTheListenerAfterTheRefresh() throws Exception {
        ProgramCredentials client = domain.program();
        RevocationChecker checker = checker();
        TaoChannels server = TaoChannels.builder(domain.program()).revocation(checker).build();
        // One client context for both connections: the second may resume the first's session,
        // which skips the trust manager; the listener's checkPeer must refuse it all the same.
        TaoChannels clientChannels = TaoChannels.of(client);
        try (TaoListener listener = server.listen(LOOPBACK)) {
            Future<Prin> first = serveOne(listener);
            exchange(clientChannels, listener.port());
            assertThat(first.get(20, TimeUnit.SECONDS)).isEqualTo(client.principal());

            revoke(client);
            checker.refresh();

            Future<Prin> second = serveOne(listener);
            assertThrows(IOException.class, () -> exchange(clientChannels, listener.port()));
            ExecutionException e = assertThrows(ExecutionException.class, () -> second.get(20, TimeUnit.SECONDS));
            assertThat(e.getCause()).isInstanceOf(SSLHandshakeException.class)
                    .hasMessageContaining("peer " + client.principal()).hasMessageContaining("revoked");

            // A program that is not revoked still gets in.
            ProgramCredentials other = domain.program();
            Future<Prin> third = serveOne(listener);
            exchange(TaoChannels.of(other), listener.port());
            assertThat(third.get(20, TimeUnit.SECONDS)).isEqualTo(other.principal());
        }
    }

    @Test
    void dial_revokedServer_isRefusedByTheClient() throws Exception {
        ProgramCredentials server = domain.program();
        revoke(server);
        TaoChannels client = TaoChannels.builder(domain.program()).revocation(checker()).build();
        try (TaoListener listener = TaoChannels.of(server).listen(LOOPBACK)) {
            Future<Prin> served = serveOne(listener);

            SSLHandshakeException e = assertThrows(SSLHandshakeException.class, () -> exchange(client, listener.port()));

            assertThat(e).hasMessageContaining("peer " + server.principal()).hasMessageContaining("revoked");
            assertThrows(ExecutionException.class, () -> served.get(20, TimeUnit.SECONDS));
        }
    }

    @Test
    void checkPeer_sessionEstablishedBeforeTheRevocation_isRefusedAfterTheRefresh() throws Exception {
        ProgramCredentials client = domain.program();
        RevocationChecker checker = checker();
        TaoChannels server = TaoChannels.builder(domain.program()).revocation(checker).build();
        try (SSLServerSocket ss = (SSLServerSocket) server.sslContext().getServerSocketFactory()
                .createServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Future<SSLSocket> accepted = async(() -> {
                SSLSocket s = (SSLSocket) ss.accept();
                s.startHandshake();
                return s;
            });
            try (SSLSocket c = (SSLSocket) TaoChannels.of(client).sslContext().getSocketFactory()
                    .createSocket(host(), ss.getLocalPort());
                    SSLSocket s = handshakeWith(c, accepted)) {
                assertThat(server.checkPeer(s.getSession())).isEqualTo(client.principal());

                revoke(client);
                checker.refresh();

                PeerRefusedException e = assertThrows(PeerRefusedException.class, () -> server.checkPeer(s.getSession()));
                assertThat(e).hasMessageContaining("revoked");
            }
        }
    }

    /** Runs the client's handshake beside the server's, and returns the server's socket. */
    private SSLSocket handshakeWith(SSLSocket client, Future<SSLSocket> server) throws Exception {
        Future<Void> hs = async(() -> {
            client.startHandshake();
            return null;
        });
        SSLSocket s = server.get(20, TimeUnit.SECONDS);
        hs.get(20, TimeUnit.SECONDS);
        return s;
    }

    @Test
    void accept_noCrlCanBeFetched_refusesEveryClient() throws Exception {
        reachable = false;
        TaoChannels server = TaoChannels.builder(domain.program()).revocation(checker()).build();
        try (TaoListener listener = server.listen(LOOPBACK)) {
            Future<Prin> served = serveOne(listener);

            assertThrows(IOException.class, () -> exchange(TaoChannels.of(domain.program()), listener.port()));

            ExecutionException e = assertThrows(ExecutionException.class, () -> served.get(20, TimeUnit.SECONDS));
            assertThat(e.getCause()).isInstanceOf(SSLHandshakeException.class)
                    .hasMessageContaining("no CRL of the domain could be fetched");
        }
    }

    @Test
    void accept_staleCrl_refusesEveryClient() throws Exception {
        Instant longAgo = Instant.now().minus(Duration.ofDays(10));
        served = RevocationList.issue(domain.policyKey, domain.policyCertificate, List.of(), BigInteger.ONE, longAgo,
                longAgo.plus(Duration.ofDays(7))).getEncoded();
        TaoChannels server = TaoChannels.builder(domain.program()).revocation(checker()).build();
        try (TaoListener listener = server.listen(LOOPBACK)) {
            Future<Prin> served = serveOne(listener);

            assertThrows(IOException.class, () -> exchange(TaoChannels.of(domain.program()), listener.port()));

            ExecutionException e = assertThrows(ExecutionException.class, () -> served.get(20, TimeUnit.SECONDS));
            assertThat(e.getCause()).isInstanceOf(SSLHandshakeException.class).hasMessageContaining("stale");
        }
    }

    @Test
    void trustManager_revokedChain_throwsCertificateException() throws Exception {
        ProgramCredentials peer = domain.program();
        revoke(peer);
        TaoChannels channels = TaoChannels.builder(domain.program()).revocation(checker()).build();

        java.security.cert.CertificateException e = assertThrows(java.security.cert.CertificateException.class,
                () -> channels.trustManager().checkClientTrusted(new X509Certificate[] {peer.certificate()}, "EC"));

        assertThat(e).hasMessageContaining("revoked");
    }
}
