package dev.cloudproxy.tao.agent.tooling;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudproxy.tao.auth.Bytes;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.PrinExt;
import dev.cloudproxy.tao.channel.CrlSource;
import dev.cloudproxy.tao.channel.ProgramCredentials;
import dev.cloudproxy.tao.channel.RevocationChecker;
import dev.cloudproxy.tao.channel.TaoChannel;
import dev.cloudproxy.tao.channel.TaoChannels;
import dev.cloudproxy.tao.channel.TaoListener;
import dev.cloudproxy.tao.domain.DomainTemplate;
import dev.cloudproxy.tao.domain.PolicyCertificate;
import dev.cloudproxy.tao.domain.ProgramCertificate;
import dev.cloudproxy.tao.domain.RevocationList;
import dev.cloudproxy.tao.keys.Signer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The incoming relay with the channel module's credentials and a revocation checker: a client
 * whose certificate the domain revoked never reaches the app, before or after its first
 * connection (the checker's refresh is triggered by the test), while others still do.
 */
class RelayRevocationTest {
    private final InetAddress lo = InetAddress.getLoopbackAddress();
    private final Signer policyKey = Signer.generate();
    private final X509Certificate policyCert = PolicyCertificate.create(policyKey, "Relay Test Domain",
            DomainTemplate.X509Details.NONE, 30);
    private final List<Signer> keys = new ArrayList<>();
    private final List<BigInteger> revoked = new ArrayList<>();
    private volatile byte[] crl;
    private long crlNumber;
    private IncomingRelay relay;
    private ChannelRelay outgoing;

    @AfterEach
    void tearDown() throws Exception {
        if (relay != null) {
            relay.close();
        }
        if (outgoing != null) {
            outgoing.close();
        }
        keys.forEach(Signer::close);
        policyKey.close();
    }

    private ProgramCredentials program(int n) throws Exception {
        Signer key = Signer.generate();
        keys.add(key);
        byte[] hash = new byte[32];
        hash[31] = (byte) n;
        Prin name = Prin.key(new byte[32]).extend(PrinExt.of("Program", new Bytes(hash)));
        X509Certificate cert = ProgramCertificate.issue(policyKey, policyCert, key.verifier(), name,
                Duration.ofDays(1), Instant.now());
        return ProgramCredentials.of(key, List.of(cert), policyCert);
    }

    private void publish() {
        Instant now = Instant.now();
        try {
            crl = RevocationList.issue(policyKey, policyCert,
                    revoked.stream().map(s -> new RevocationList.Entry(s, now)).toList(),
                    BigInteger.valueOf(++crlNumber), now.minusSeconds(60), now.plus(Duration.ofDays(7))).getEncoded();
        } catch (java.security.cert.CRLException e) {
            throw new AssertionError(e);
        }
    }

    /** The app's side, as the hooks would run it: bound where the relay said, accepts reported. */
    private ServerSocket appListening(Object key) throws IOException {
        InetSocketAddress at = relay.prepare(key, lo, 0);
        ServerSocket app = new ServerSocket();
        app.bind(at);
        relay.bound(key, (InetSocketAddress) app.getLocalSocketAddress());
        return app;
    }

    private Socket accept(Object key, ServerSocket app) throws IOException {
        for (;;) {
            Socket s = app.accept();
            if (relay.accepted(key, new Object(), (InetSocketAddress) s.getRemoteSocketAddress()) != null) {
                return s;
            }
            s.close();
        }
    }

    /** Connects as {@code who}, sends a line; returns the echo, or null if the relay closed the connection. */
    private String exchange(ProgramCredentials who, int port, Object key, ServerSocket app, boolean expectApp)
            throws Exception {
        try (SSLSocket c = (SSLSocket) TaoChannels.of(who).sslContext().getSocketFactory().createSocket(lo, port)) {
            c.setSoTimeout(20_000);
            try {
                // TLS 1.3: the relay judges the client's certificate after the client's handshake
                // is over, so a refusal shows on this write (broken pipe) or on the read below.
                c.startHandshake();
                c.getOutputStream().write("hello\n".getBytes(StandardCharsets.UTF_8));
                c.getOutputStream().flush();
            } catch (IOException refused) {
                if (expectApp) {
                    throw refused;
                }
                return null;
            }
            if (expectApp) {
                try (Socket s = accept(key, app)) {
                    String line = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8))
                            .readLine();
                    s.getOutputStream().write(("echo: " + line + "\n").getBytes(StandardCharsets.UTF_8));
                    s.getOutputStream().flush();
                }
            }
            try {
                return new BufferedReader(new InputStreamReader(c.getInputStream(), StandardCharsets.UTF_8)).readLine();
            } catch (IOException refused) {
                return null;
            }
        }
    }

    interface Action {
        void run() throws Exception;
    }

    /** Runs {@code action} and returns the relay's refusal line on standard error (waiting for it, bounded). */
    private static String refusalPrintedDuring(Action action) throws Exception {
        java.util.concurrent.CompletableFuture<String> line = new java.util.concurrent.CompletableFuture<>();
        java.io.PrintStream original = System.err;
        java.io.PrintStream spy = new java.io.PrintStream(original, true, StandardCharsets.UTF_8) {
            @Override
            public void println(String x) {
                if (x != null && x.startsWith("tao-agent: refused")) {
                    line.complete(x);
                }
                super.println(x);
            }
        };
        System.setErr(spy);
        try {
            action.run();
            return line.get(20, java.util.concurrent.TimeUnit.SECONDS);
        } finally {
            System.setErr(original);
        }
    }

    @Test
    void aRevokedClient_neverReachesTheApp_andOthersStillDo() throws Exception {
        ProgramCredentials server = program(1);
        ProgramCredentials client = program(2);
        ProgramCredentials other = program(3);
        publish();
        CrlSource source = () -> crl.clone();
        RevocationChecker checker = RevocationChecker.builder(policyCert, source).build();
        relay = new IncomingRelay(ChannelCredentials.of(server.principal().toString(),
                TaoChannels.builder(server).revocation(checker).build()));
        Object key = new Object();
        try (ServerSocket app = appListening(key)) {
            int port = relay.localAddress(key).getPort();
            assertThat(exchange(client, port, key, app, true)).isEqualTo("echo: hello");

            revoked.add(client.certificate().getSerialNumber());
            publish();
            checker.refresh();

            String said = refusalPrintedDuring(() -> assertThat(exchange(client, port, key, app, false))
                    .as("the revoked client's connection").isNull());
            assertThat(said).contains("tao-agent: refused a connection").contains("peer " + client.principal())
                    .contains("revoked");
            // The app's next connection is the other client's: the revoked one never reached it.
            assertThat(exchange(other, port, key, app, true)).isEqualTo("echo: hello");
        }
    }

    @Test
    void theOutgoingRelay_refusesARevokedServer_andReachesOthers() throws Exception {
        ProgramCredentials revokedServer = program(1);
        ProgramCredentials client = program(2);
        ProgramCredentials goodServer = program(3);
        revoked.add(revokedServer.certificate().getSerialNumber());
        publish();
        CrlSource source = () -> crl.clone();
        outgoing = new ChannelRelay(ChannelCredentials.of(client.principal().toString(),
                TaoChannels.builder(client).revocation(RevocationChecker.builder(policyCert, source).build()).build()));

        assertThat(connectThroughTheRelay(goodServer)).isEqualTo(client.principal());
        assertThat(connectThroughTheRelay(revokedServer)).isInstanceOf(IOException.class);
    }

    /** The app connects to {@code server} through the outgoing relay; what the server's accept saw. */
    private Object connectThroughTheRelay(ProgramCredentials server) throws Exception {
        try (TaoListener listener = TaoChannels.of(server).listen(new InetSocketAddress(lo, 0))) {
            CompletableFuture<Object> served = CompletableFuture.supplyAsync(() -> {
                try (TaoChannel c = listener.accept()) {
                    return c.peer();
                } catch (IOException e) {
                    return e;
                }
            });
            InetSocketAddress via = outgoing.route(lo, listener.port());
            try (Socket app = new Socket(via.getAddress(), via.getPort())) {
                app.setSoTimeout(20_000);
                Object seen = served.get(20, TimeUnit.SECONDS);
                if (seen instanceof IOException) {
                    // Nothing comes back to the app from a refused server: its connection ends.
                    assertThat(readToEnd(app)).isEmpty();
                }
                return seen;
            }
        }
    }

    private static byte[] readToEnd(Socket s) throws IOException {
        try {
            return s.getInputStream().readAllBytes();
        } catch (java.net.SocketException reset) {
            return new byte[0];
        }
    }
}
