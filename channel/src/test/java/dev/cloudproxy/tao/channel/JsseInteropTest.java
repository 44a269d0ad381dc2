package dev.cloudproxy.tao.channel;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsExchange;
import com.sun.net.httpserver.HttpsServer;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.domain.Domain;
import dev.cloudproxy.tao.domain.DomainTemplate;
import dev.cloudproxy.tao.keys.Argon2Params;
import dev.cloudproxy.tao.keys.Signer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.SSLException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The SSLContext on the JDK's other TLS stacks, and credentials from a real domain. */
class JsseInteropTest {
    private final ExecutorService executor = Executors.newCachedThreadPool();
    private TestDomain domain;

    @BeforeEach
    void setUp() {
        domain = TestDomain.create("Test Domain");
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        executor.shutdownNow();
        assertThat(executor.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        domain.close();
    }

    @Test
    void httpClient_againstHttpsServerWithTheSslContexts_bothLearnThePeerPrincipal() throws Exception {
        TaoChannels server = TaoChannels.of(domain.program());
        TaoChannels client = TaoChannels.of(domain.program());
        HttpsServer https = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        // The default configurator applies the context's default parameters: TLS 1.3, client certificates required.
        https.setHttpsConfigurator(new HttpsConfigurator(server.sslContext()));
        https.createContext("/", exchange -> {
            try (exchange) {
                byte[] body = server.checkPeer(((HttpsExchange) exchange).getSSLSession()).toString().getBytes(UTF_8);
                exchange.sendResponseHeaders(200, body.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            }
        });
        https.setExecutor(executor);
        https.start();
        try {
            HttpClient http = HttpClient.newBuilder()
                    .sslContext(client.sslContext())
                    .version(HttpClient.Version.HTTP_1_1)
                    .executor(executor)
                    .build();
            URI uri = URI.create("https://127.0.0.1:" + https.getAddress().getPort() + "/");

            HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri).build(),
                    HttpResponse.BodyHandlers.ofString());

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body()).isEqualTo(client.credentials().principal().toString());
            assertThat(client.peerPrincipal(response.sslSession().orElseThrow()))
                    .isEqualTo(server.credentials().principal());
        } finally {
            https.stop(0);
        }
    }

    @Test
    void httpClient_withTheJdkDefaultContext_isRefusedByTheServer() throws Exception {
        TaoChannels server = TaoChannels.of(domain.program());
        HttpsServer https = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        https.setHttpsConfigurator(new HttpsConfigurator(server.sslContext()));
        https.createContext("/", exchange -> {
            exchange.sendResponseHeaders(500, -1);
            exchange.close();
        });
        https.setExecutor(executor);
        https.start();
        try {
            HttpClient http = HttpClient.newBuilder()
                    .sslContext(TestDomain.trustingJdkContext("TLSv1.3", null))
                    .version(HttpClient.Version.HTTP_1_1)
                    .executor(executor)
                    .build();
            URI uri = URI.create("https://127.0.0.1:" + https.getAddress().getPort() + "/");

            assertThrows(IOException.class,
                    () -> http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString()));
        } finally {
            https.stop(0);
        }
    }

    @Test
    void sslEngines_handshakeInMemory_bothLearnThePeerPrincipal() throws Exception {
        TaoChannels server = TaoChannels.of(domain.program());
        TaoChannels client = TaoChannels.of(domain.program());
        SSLEngine c = client.clientEngine("peer.invalid", 1);
        SSLEngine s = server.serverEngine();

        ByteBuffer[] received = handshakeAndSend(c, s, "hello".getBytes(UTF_8));

        assertThat(UTF_8.decode(received[1]).toString()).isEqualTo("hello");
        assertThat(c.getSession().getProtocol()).isEqualTo("TLSv1.3");
        assertThat(client.checkPeer(c.getSession())).isEqualTo(server.credentials().principal());
        assertThat(server.checkPeer(s.getSession())).isEqualTo(client.credentials().principal());
    }

    @Test
    void sslEngine_peerOfAnotherDomain_failsTheHandshake() throws Exception {
        try (TestDomain other = TestDomain.create("Other Domain")) {
            SSLEngine c = TaoChannels.of(other.program()).clientEngine("peer.invalid", 1);
            SSLEngine s = TaoChannels.of(domain.program()).serverEngine();

            SSLException e = assertThrows(SSLException.class, () -> handshakeAndSend(c, s, new byte[1]));

            assertThat(e).hasMessageContaining("not a valid program certificate of this domain");
        }
    }

    /** Runs both engines against each other in memory, then sends {@code data} from client to server. */
    private static ByteBuffer[] handshakeAndSend(SSLEngine client, SSLEngine server, byte[] data) throws Exception {
        int packet = Math.max(client.getSession().getPacketBufferSize(), server.getSession().getPacketBufferSize());
        int app = Math.max(client.getSession().getApplicationBufferSize(), server.getSession().getApplicationBufferSize());
        ByteBuffer toServer = ByteBuffer.allocate(packet * 4);
        ByteBuffer toClient = ByteBuffer.allocate(packet * 4);
        ByteBuffer clientIn = ByteBuffer.allocate(app * 2);
        ByteBuffer serverIn = ByteBuffer.allocate(app * 2);
        ByteBuffer empty = ByteBuffer.allocate(0);
        client.beginHandshake();
        server.beginHandshake();
        for (int round = 0; round < 50 && !(done(client) && done(server)); round++) {
            client.wrap(empty, toServer);
            runTasks(client);
            server.wrap(empty, toClient);
            runTasks(server);
            toServer.flip();
            server.unwrap(toServer, serverIn);
            runTasks(server);
            toServer.compact();
            toClient.flip();
            client.unwrap(toClient, clientIn);
            runTasks(client);
            toClient.compact();
        }
        assertThat(done(client) && done(server)).as("handshake finished").isTrue();
        client.wrap(ByteBuffer.wrap(data), toServer);
        toServer.flip();
        while (toServer.hasRemaining()) {
            server.unwrap(toServer, serverIn);
        }
        serverIn.flip();
        clientIn.flip();
        return new ByteBuffer[] {clientIn, serverIn};
    }

    private static boolean done(SSLEngine e) {
        HandshakeStatus h = e.getHandshakeStatus();
        return h == HandshakeStatus.NOT_HANDSHAKING || h == HandshakeStatus.FINISHED;
    }

    private static void runTasks(SSLEngine e) {
        Runnable task;
        while ((task = e.getDelegatedTask()) != null) {
            task.run();
        }
    }

    @Test
    void credentialsFromARealDomain_makeAChannelAndTheDomainGuardDecides(@TempDir Path tmp) throws Exception {
        String host = "key([" + "11".repeat(32) + "])";
        Prin serverName = Prin.parse(host + ".Program([" + "aa".repeat(32) + "])");
        Prin clientName = Prin.parse(host + ".Program([" + "bb".repeat(32) + "])");
        Prin strangerName = Prin.parse(host + ".Program([" + "cc".repeat(32) + "])");
        DomainTemplate template = DomainTemplate.parse(("name = Real Domain\nguard = datalog\ncan_execute = "
                + clientName + "\n").getBytes(UTF_8), "t");
        try (Domain d = Domain.create(tmp.resolve("domain"), template, "pw".toCharArray(), Argon2Params.FLOOR);
                Signer serverKey = Signer.generate();
                Signer clientKey = Signer.generate();
                Signer strangerKey = Signer.generate()) {
            Domain loaded = Domain.load(tmp.resolve("domain"));
            X509Certificate policy = loaded.policyCertificate();
            ProgramCredentials server = ProgramCredentials.of(serverKey,
                    List.of(d.issueCertificate(serverKey.verifier(), serverName, Duration.ofHours(1), Instant.now())), policy);
            ProgramCredentials client = ProgramCredentials.of(clientKey,
                    List.of(d.issueCertificate(clientKey.verifier(), clientName, Duration.ofHours(1), Instant.now())), policy);
            ProgramCredentials stranger = ProgramCredentials.of(strangerKey,
                    List.of(d.issueCertificate(strangerKey.verifier(), strangerName, Duration.ofHours(1), Instant.now())),
                    policy);
            TaoChannels serverChannels = TaoChannels.builder(server)
                    .peerPolicy(PeerPolicy.guard(loaded.guard(), "Execute"))
                    .build();
            try (TaoListener listener = serverChannels.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
                String address = InetAddress.getLoopbackAddress().getHostAddress();
                Future<Prin> served = executor.submit(() -> {
                    try (TaoChannel ch = listener.accept()) {
                        return ch.peer();
                    }
                });
                try (TaoChannel ch = TaoChannel.dial(address, listener.port(), client)) {
                    assertThat(ch.peer()).isEqualTo(serverName);
                }
                assertThat(served.get(20, TimeUnit.SECONDS)).isEqualTo(clientName);

                Future<TaoChannel> refused = executor.submit(listener::accept);
                assertThrows(IOException.class, () -> {
                    try (TaoChannel ch = TaoChannel.dial(address, listener.port(), stranger)) {
                        ch.send(new byte[1]);
                        ch.receive();
                    }
                });
                java.util.concurrent.ExecutionException e = assertThrows(java.util.concurrent.ExecutionException.class,
                        () -> refused.get(20, TimeUnit.SECONDS));
                assertThat(e.getCause()).hasMessageContaining("peer " + strangerName + " is not accepted by the guard");
            }
        }
    }
}
