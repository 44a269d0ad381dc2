package dev.cloudproxy.tao.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudproxy.tao.launcher.LauncherProcess.Result;
import dev.cloudproxy.tao.launcher.apps.NetApp;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Channel rules enforced in the app, whatever JDK API opens the connection; TAO rules without a
 * domain are refused before the app runs (Tao channels themselves: {@link TaoChannelEndToEndTest},
 * {@link IncomingTaoEndToEndTest}).
 */
class ChannelRulesEndToEndTest {
    @TempDir
    Path tmp;

    Map<String, String> env;
    Path jar;
    ServerSocketChannel server;
    int port;

    @BeforeEach
    void setUp() throws Exception {
        env = Map.of("TAO_HOME", Files.createDirectory(tmp.resolve("home")).toString(), "HOME", tmp.toString());
        jar = TestApps.jar(Files.createDirectories(tmp.resolve("net")), "net", NetApp.class, null);
        server = ServerSocketChannel.open().bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        server.configureBlocking(false);
        port = ((InetSocketAddress) server.getLocalAddress()).getPort();
    }

    @AfterEach
    void tearDown() throws Exception {
        server.close();
    }

    private Result run(List<String> rules, String kind, int toPort) throws Exception {
        List<String> args = new ArrayList<>();
        for (String r : rules) {
            args.add("--rule");
            args.add(r);
        }
        args.add(jar.toString());
        args.add(kind);
        args.add(Integer.toString(toPort));
        return LauncherProcess.run(tmp, env, args);
    }

    /** Connections the app made, now that it has exited (they are queued: no waiting needed). */
    private int accepted() throws Exception {
        int n = 0;
        for (SocketChannel c = server.accept(); c != null; c = server.accept()) {
            c.close();
            n++;
        }
        return n;
    }

    @Test
    void noRules_connectionsArePlain() throws Exception {
        Result r = run(List.of(), "socket", port);

        assertThat(r.out()).as(r.err()).isEqualTo("ok\n");
        assertThat(accepted()).isEqualTo(1);
    }

    @Test
    void deny_failsTheConnect_forSocketsAndNonBlockingChannels() throws Exception {
        String rule = "out 127.0.0.0/8 " + port + " DENY";
        for (String kind : List.of("socket", "channel")) {
            Result r = run(List.of(rule), kind, port);
            assertThat(r.out()).as(kind + r.err())
                    .startsWith("failed: java.net.ConnectException: tao-agent: connection to 127.0.0.1:" + port
                            + " denied by rule '" + rule + "'");
            assertThat(r.err().lines()).as("no JVM warnings").allMatch(l -> l.startsWith("tao-launcher: "));
        }
        assertThat(accepted()).isZero();
    }

    @Test
    void firstMatchingRuleWins_andOtherPortsStayPlain() throws Exception {
        Result allowed = run(List.of("out 127.0.0.1 " + port + " PLAIN", "out * * DENY"), "socket", port);
        Result denied = run(List.of("out 127.0.0.1 " + (port == 65535 ? 1 : port + 1) + " DENY"), "socket", port);

        assertThat(allowed.out()).as(allowed.err()).isEqualTo("ok\n");
        assertThat(denied.out()).as(denied.err()).isEqualTo("ok\n");
        assertThat(accepted()).isEqualTo(2);
    }

    @Test
    void deny_onListening_failsTheBind() throws Exception {
        int free;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            free = probe.getLocalPort();
        }

        Result r = run(List.of("in * " + free + " DENY"), "listen", free);

        assertThat(r.out()).as(r.err()).startsWith("failed: java.net.BindException: tao-agent: listening on 127.0.0.1:"
                + free + " denied by rule");
    }

    @Test
    void tao_withoutTheDomain_isRefusedAtLaunch_withStatus125AndOneLine_andNothingReachesThePeer() throws Exception {
        Result r = run(List.of("out 127.0.0.1 " + port + " TAO"), "socket", port);

        assertThat(r.status()).isEqualTo(Main.LAUNCHER_FAILED);
        assertThat(r.out()).as("the app never ran").isEmpty();
        assertThat(r.err()).isEqualTo("tao-launcher: the rule 'out 127.0.0.1 " + port + " TAO' needs Tao channels: give "
                + "--domain-service HOST:PORT and --policy-cert FILE (the domain that certifies this app)\n");
        assertThat(accepted()).isZero();
    }

    @Test
    void udp_isUntouched_evenByACatchAllDeny() throws Exception {
        try (DatagramSocket receiver = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            Result r = run(List.of("out * * DENY", "in * * DENY"), "udp", receiver.getLocalPort());

            assertThat(r.out()).as(r.err()).isEqualTo("ok\n");
            DatagramPacket p = new DatagramPacket(new byte[4], 4);
            receiver.receive(p); // already queued: the app sent it before it exited
            assertThat(p.getLength()).isEqualTo(1);
        }
    }
}
