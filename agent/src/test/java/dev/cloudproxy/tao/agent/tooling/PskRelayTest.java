package dev.cloudproxy.tao.agent.tooling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cloudproxy.tao.agent.rules.ChannelRule;
import dev.cloudproxy.tao.agent.rules.ChannelRule.Direction;
import dev.cloudproxy.tao.agent.rules.ChannelRules;
import dev.cloudproxy.tao.agent.rules.ChannelRulesException;
import dev.cloudproxy.tao.auth.Bytes;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.PrinExt;
import dev.cloudproxy.tao.channel.GroupKeySource;
import dev.cloudproxy.tao.channel.PeerPolicy;
import dev.cloudproxy.tao.channel.PeerRefusedException;
import dev.cloudproxy.tao.channel.PskChannels;
import dev.cloudproxy.tao.channel.PskConnection;
import dev.cloudproxy.tao.channel.PskMismatchException;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.FileDescriptor;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.BindException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@code TAO-PSK} rules: the relays carry the app's bytes over PSK channels, with a test key
 * source standing in for the common ancestor Tao's {@code getGroupKey}; without a key source every
 * such connection and bind is refused.
 */
class PskRelayTest {
    private final InetAddress lo = InetAddress.getLoopbackAddress();
    private final byte[] groupKey = random();
    private final GroupKeySource ancestor = members -> groupKey.clone();
    private final Prin alice = program(1);
    private final Prin bob = program(2);
    private final AgentLines lines = new AgentLines(new PrintStream(new ByteArrayOutputStream(), true,
            StandardCharsets.UTF_8), System::nanoTime);

    private static byte[] random() {
        byte[] k = new byte[32];
        new SecureRandom().nextBytes(k);
        return k;
    }

    private static Prin program(int n) {
        byte[] hash = new byte[32];
        hash[0] = (byte) n;
        return Prin.key(new byte[32]).extend(PrinExt.of("Program", new Bytes(hash)));
    }

    private ChannelRule outRule(int port, Prin peer) throws ChannelRulesException {
        return ChannelRules.parse("out 127.0.0.1 " + port + " TAO-PSK peer=" + peer).rules().get(0);
    }

    /** A PSK server for {@code bob} keyed by {@code key}: echoes one line, returns the client's name. */
    private CompletableFuture<Prin> pskServer(ServerSocket server, GroupKeySource key) {
        PskChannels bobs = PskChannels.builder(bob, key).build();
        return CompletableFuture.supplyAsync(() -> {
            try (PskConnection c = bobs.accept(server.accept())) {
                String line = new BufferedReader(new InputStreamReader(c.inputStream(), StandardCharsets.UTF_8)).readLine();
                c.outputStream().write(("echo: " + line + "\n").getBytes(StandardCharsets.UTF_8));
                c.outputStream().flush();
                return c.peer();
            } catch (IOException e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        });
    }

    @Test
    void outgoingTaoPskRule_carriesTheAppsBytesOverAPskChannelToTheNamedProgram() throws Exception {
        TaoChannels channels = TaoChannels.of(Optional.empty(), Optional.of(PskChannels.builder(alice, ancestor).build()),
                lines);
        try (ServerSocket server = new ServerSocket(0, 5, lo)) {
            CompletableFuture<Prin> seen = pskServer(server, ancestor);
            InetSocketAddress via = channels.routeOutgoing(lo, server.getLocalPort(), outRule(server.getLocalPort(), bob));
            try (Socket app = new Socket(via.getAddress(), via.getPort())) {
                app.getOutputStream().write("hello\n".getBytes(StandardCharsets.UTF_8));
                String answer = new BufferedReader(new InputStreamReader(app.getInputStream(), StandardCharsets.UTF_8))
                        .readLine();
                assertThat(answer).isEqualTo("echo: hello");
                assertThat(channels.peer(app.getLocalPort(), lo, server.getLocalPort())).isEqualTo(bob.toString());
            }
            assertThat(seen.get(20, TimeUnit.SECONDS)).isEqualTo(alice);
        }
    }

    @Test
    void outgoingTaoPskRule_serverWithAnotherKey_closesTheAppsConnectionWithNothingSent() throws Exception {
        TaoChannels channels = TaoChannels.of(Optional.empty(), Optional.of(PskChannels.builder(alice, ancestor).build()),
                lines);
        byte[] other = random();
        try (ServerSocket server = new ServerSocket(0, 5, lo)) {
            CompletableFuture<Prin> seen = pskServer(server, members -> other.clone());
            InetSocketAddress via = channels.routeOutgoing(lo, server.getLocalPort(), outRule(server.getLocalPort(), bob));
            try (Socket app = new Socket(via.getAddress(), via.getPort())) {
                app.getOutputStream().write("hello\n".getBytes(StandardCharsets.UTF_8));
                app.setSoTimeout(20_000);
                assertThat(app.getInputStream().read()).isEqualTo(-1);
            }
            Throwable failure = assertThrows(Exception.class, () -> seen.get(20, TimeUnit.SECONDS)).getCause();
            assertThat(failure).isInstanceOf(PskMismatchException.class);
        }
    }

    @Test
    void taoPskRules_noGroupKeySource_connectAndBindRefusedSayingWhy() throws Exception {
        TaoChannels none = TaoChannels.unavailable();
        ConnectException connect = assertThrows(ConnectException.class,
                () -> none.routeOutgoing(lo, 7000, outRule(7000, bob)));
        assertThat(connect).hasMessageContaining("must be a PSK Tao channel").hasMessageContaining("no source of group keys")
                .hasMessageContaining("refused rather than sent in plaintext");
        ChannelRules in = ChannelRules.parse("in 127.0.0.1 7000 TAO-PSK");
        BindException bind = assertThrows(BindException.class,
                () -> none.routeIncoming(new FileDescriptor(), lo, 7000, in.select(Direction.IN, lo, 7000)));
        assertThat(bind).hasMessageContaining("must take PSK Tao channels").hasMessageContaining("no source of group keys");

        // Certificate credentials alone do not make PSK channels either.
        javax.net.ssl.SSLContext tls = javax.net.ssl.SSLContext.getDefault();
        TaoChannels certificatesOnly = TaoChannels.of(Optional.<TlsProvider>of(() -> tls), Optional.empty(), lines);
        assertThrows(ConnectException.class, () -> certificatesOnly.routeOutgoing(lo, 7000, outRule(7000, bob)));
    }

    @Test
    void incomingTaoPskListener_takesTheNamedClientAndRefusesAnother() throws Exception {
        Prin carol = program(3);
        PskChannels bobs = PskChannels.builder(bob, ancestor).build();
        try (IncomingRelay relay = new IncomingRelay((Carrier) null, lines)) {
            Object key = new Object();
            PeerPolicy onlyAlice = PeerPolicy.subprincipalsOf(List.of(alice));
            InetSocketAddress at = relay.prepare(key, lo, 0, Optional.of(onlyAlice), "in 127.0.0.1 0 TAO-PSK peer=alice",
                    Carrier.psk(bobs.withPeerPolicy(onlyAlice)));
            try (ServerSocket app = new ServerSocket()) {
                app.bind(at);
                relay.bound(key, (InetSocketAddress) app.getLocalSocketAddress());
                int port = relay.localAddress(key).getPort();

                PskChannels carols = PskChannels.builder(carol, ancestor).build();
                assertThrows(PeerRefusedException.class, () -> carols.connect(new Socket(lo, port), bob));

                try (PskConnection client = PskChannels.builder(alice, ancestor).build().connect(new Socket(lo, port), bob)) {
                    client.outputStream().write("hello\n".getBytes(StandardCharsets.UTF_8));
                    client.outputStream().flush();
                    try (Socket fromRelay = app.accept()) {
                        InetSocketAddress remote = relay.accepted(key, new Object(),
                                (InetSocketAddress) fromRelay.getRemoteSocketAddress());
                        assertThat(relay.peer(port, remote)).isEqualTo(alice.toString());
                        String line = new BufferedReader(new InputStreamReader(fromRelay.getInputStream(),
                                StandardCharsets.UTF_8)).readLine();
                        fromRelay.getOutputStream().write(("echo: " + line + "\n").getBytes(StandardCharsets.UTF_8));
                        fromRelay.getOutputStream().flush();
                    }
                    assertThat(new BufferedReader(new InputStreamReader(client.inputStream(), StandardCharsets.UTF_8))
                            .readLine()).isEqualTo("echo: hello");
                }
            }
        }
    }
}
