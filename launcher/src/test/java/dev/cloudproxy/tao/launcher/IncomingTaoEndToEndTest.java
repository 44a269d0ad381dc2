package dev.cloudproxy.tao.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.launcher.LauncherProcess.Result;
import dev.cloudproxy.tao.launcher.apps.TaoClientApp;
import dev.cloudproxy.tao.launcher.apps.TaoServerApp;
import dev.cloudproxy.tao.samples.plain.EchoClient;
import dev.cloudproxy.tao.samples.plain.EchoServer;
import dev.cloudproxy.tao.samples.plain.HttpHello;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Incoming Tao channels: an unmodified server under the launcher with an {@code in ... TAO} rule,
 * and an unmodified client under the launcher with an {@code out ... TAO} rule, both certified by
 * a real domain service. The pair talks; each learns the other's Tao name; the bytes between them
 * are TLS; a client not run under the launcher is refused, whether it connects where the server
 * listens or to the loopback port the server's socket really sits on.
 */
class IncomingTaoEndToEndTest extends DomainServiceFixture {
    /** The server app under the launcher on 127.0.0.1 (or any address), port 0 (any), for {@code count} connections. */
    private LauncherProcess startServer(String mode, int count) throws Exception {
        return startServer(mode, 0, count, mode.endsWith("-any") ? "in * * TAO" : "in 127.0.0.1 * TAO");
    }

    /** The server app under the launcher on {@code port} with these rules. */
    private LauncherProcess startServer(String mode, int port, int count, String... rules) throws Exception {
        Path jar = TestApps.jar(Files.createDirectories(tmp.resolve("server")), "server", TaoServerApp.class, null);
        List<String> args = new ArrayList<>();
        for (String r : rules) {
            args.addAll(List.of("--rule", r));
        }
        args.addAll(domainArgs());
        args.addAll(List.of(jar.toString(), mode, Integer.toString(port), Integer.toString(count)));
        return LauncherProcess.start(tmp, env("server"), true, args);
    }

    private Result runClient(int port) throws Exception {
        return runClient(port, "client");
    }

    /** The client app under the launcher, on the development root of TAO home {@code home}. */
    private Result runClient(int port, String home) throws Exception {
        return runClient("out 127.0.0.1 " + port + " TAO", port, home);
    }

    /**
     * The client app under the launcher with {@code rule} (a rule for any port keeps its name
     * independent of the port) and its Tao home, hence its sealed certificate, named {@code home}.
     */
    private Result runClient(String rule, int port, String home) throws Exception {
        Path jar = TestApps.jar(Files.createDirectories(tmp.resolve("client")), "client", TaoClientApp.class, null);
        List<String> args = new ArrayList<>(List.of("--rule", rule));
        args.addAll(domainArgs());
        args.addAll(List.of(jar.toString(), Integer.toString(port)));
        return LauncherProcess.run(tmp, env(home), args);
    }

    private static String value(String line, String prefix) {
        assertThat(line).as("output line").startsWith(prefix);
        return line.substring(prefix.length());
    }

    @ParameterizedTest
    @ValueSource(strings = {"socket", "socket-any", "channel", "selector", "async"})
    void plainServerAndClient_underTheLauncher_talkOverATaoChannel(String mode) throws Exception {
        try (LauncherProcess server = startServer(mode, 1)) {
            BufferedReader out = server.stdout();
            String serverName = value(out.readLine(), "name: ");
            int port = Integer.parseInt(value(out.readLine(), "listening on "));
            assertThat(port).isPositive();

            Result client = runClient(port);

            assertThat(client.status()).as(client.err()).isZero();
            List<String> lines = client.out().lines().toList();
            assertThat(lines.get(0)).as(client.err()).isEqualTo("answer: echo: hello");
            assertThat(lines.get(1)).isEqualTo("peer: " + serverName);
            String clientName = value(lines.get(2), "name: ");
            String conn = out.readLine();
            assertThat(conn).startsWith("conn local=" + port + " remote=127.0.0.1:")
                    .endsWith(" peer=" + ("async".equals(mode) ? "n/a" : clientName) + " line=hello");
            assertThat(server.waitFor().status()).isZero();
        }
    }

    @Test
    void aServerThatClosesItsSocket_canListenOnTheSameAddressAgainAtOnce() throws Exception {
        try (LauncherProcess server = startServer("rebind", 1)) {
            BufferedReader out = server.stdout();
            value(out.readLine(), "name: ");
            int port = Integer.parseInt(value(out.readLine(), "listening on "));

            assertThat(runClient(port).out()).startsWith("answer: echo: hello\n");
            assertThat(out.readLine()).startsWith("conn local=" + port + " ");
            assertThat(out.readLine()).isEqualTo("listening on " + port);
            Result second = runClient(port);
            assertThat(second.out()).as(second.err()).startsWith("answer: echo: hello\n");
            assertThat(out.readLine()).startsWith("conn local=" + port + " ");
            Result done = server.waitFor();
            assertThat(done.status()).as(done.err()).isZero();
        }
    }

    @Test
    void bytesOnTheWireAreTls_andClientsNotUnderTheLauncherAreRefused() throws Exception {
        Set<Integer> listeningBefore = loopbackListeners();
        try (LauncherProcess server = startServer("socket", 1);
                RecordingProxy proxy = new RecordingProxy()) {
            BufferedReader out = server.stdout();
            String serverName = value(out.readLine(), "name: ");
            int port = Integer.parseInt(value(out.readLine(), "listening on "));

            // A plain client where the server listens: the relay wants a TLS handshake; nothing echoes.
            assertThat(plainExchange(port)).doesNotContain("echo");
            // A plain client on the loopback port the server's socket really sits on: closed by the
            // accept hook before the app sees it.
            Set<Integer> hidden = loopbackListeners();
            hidden.removeAll(listeningBefore);
            hidden.removeAll(List.of(port, proxy.port()));
            assertThat(hidden).as("the server's real, loopback-only listening port").isNotEmpty();
            for (int p : hidden) {
                assertThat(plainExchange(p)).doesNotContain("echo");
            }

            // The launched client through a recording proxy: works, and the proxy saw only TLS.
            proxy.start(port);
            Result client = runClient(proxy.port());
            assertThat(client.out()).as(client.err()).startsWith("answer: echo: hello\npeer: " + serverName + "\n");
            // The first connection the app saw is the launched client's: the refused ones never reached it.
            assertThat(out.readLine()).contains(" line=hello").doesNotContain("peer=none");
            Result done = server.waitFor();
            assertThat(done.status()).isZero();
            assertThat(done.err())
                    .contains("tao-agent: refused a connection to the Tao channel listener on 127.0.0.1:" + port
                            + " from 127.0.0.1:")
                    .contains(": no Tao channel of this domain (")
                    .contains(": it did not come through a Tao channel");

            byte[] wire = proxy.upstream();
            assertThat(wire.length).isGreaterThan(5);
            assertThat(wire[0]).as("TLS handshake record").isEqualTo((byte) 0x16);
            assertThat(wire[1]).isEqualTo((byte) 0x03);
            assertThat(new String(wire, StandardCharsets.ISO_8859_1)).doesNotContain("hello");
            assertThat(new String(proxy.downstream(), StandardCharsets.ISO_8859_1)).doesNotContain("echo");
        }
    }

    /**
     * The attack: a server that binds the wildcard address (as H2's TCP server does) under the
     * README's own form {@code in 127.0.0.1 PORT TAO}. The rule takes the whole listener: a plain
     * client on 127.0.0.1 (or ::1) gets no plaintext answer, a launched client talks. A TAO rule
     * that selects nothing is reported once at exit; the one the wildcard bind used is not.
     */
    @Test
    void aWildcardServer_underAnInRuleForLoopback_takesOnlyTaoChannels_andAnUnusedRuleIsReported() throws Exception {
        int free = freePort();
        try (LauncherProcess server = startServer("socket-any", free, 1, "in 127.0.0.1 " + free + " TAO",
                "out 10.255.255.1 1 TAO")) {
            BufferedReader out = server.stdout();
            String serverName = value(out.readLine(), "name: ");
            assertThat(value(out.readLine(), "listening on ")).isEqualTo(Integer.toString(free));

            assertThat(plainExchange(InetAddress.getLoopbackAddress(), free)).doesNotContain("echo");
            assertThat(plainExchange(InetAddress.getByName("::1"), free)).doesNotContain("echo");
            Result client = runClient(free);

            assertThat(client.out()).as(client.err()).startsWith("answer: echo: hello\npeer: " + serverName + "\n");
            assertThat(out.readLine()).as("the first connection the app saw").contains(" line=hello")
                    .doesNotContain("peer=none");
            Result done = server.waitFor();
            assertThat(done.status()).as(done.err()).isZero();
            List<String> reports = done.err().lines().filter(l -> l.contains("matched no connection or bind")).toList();
            assertThat(reports).containsExactly("tao-agent: rule 'out 10.255.255.1 1 TAO' matched no connection or bind: "
                    + "the program did not connect to an address and port it selects, so it protected nothing (check them "
                    + "against the program's)");
        }
    }

    /**
     * The attack with the real H2 TCP server, which binds the wildcard address: under
     * {@code in 127.0.0.1 PORT TAO} a plain JDBC client on 127.0.0.1:PORT reaches the relay's TLS
     * handshake, never H2.
     */
    @Test
    void theH2TcpServer_onTheWildcardAddress_underAnInRuleForLoopback_givesAPlainJdbcClientNothing() throws Exception {
        int free = freePort();
        Path h2 = Path.of(org.h2.tools.Server.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        List<String> cmd = new ArrayList<>(List.of("--rule", "in 127.0.0.1 " + free + " TAO"));
        cmd.addAll(domainArgs());
        cmd.addAll(List.of("--main", "org.h2.tools.Server", h2.toString(), "-tcp", "-tcpPort", Integer.toString(free),
                // -ifNotExists: a client that reached H2 would make a database, and its connect succeed
                "-ifNotExists", "-baseDir", Files.createDirectories(tmp.resolve("h2-data")).toString()));
        try (LauncherProcess server = LauncherProcess.start(tmp, env("h2"), true, cmd)) {
            assertThat(server.stdout().readLine()).as("H2 is listening").startsWith("TCP server running at tcp://")
                    .contains(":" + free);

            assertThrows(SQLException.class, () -> DriverManager.getConnection(
                    "jdbc:h2:tcp://127.0.0.1:" + free + "/./plain-client-db", "sa", ""));

            server.process().destroy();
            Result done = server.waitFor();
            assertThat(done.err()).contains("tao-agent: refused a connection to the Tao channel listener on ")
                    .contains(":" + free + " from 127.0.0.1:").contains(": no Tao channel of this domain (");
            try (Stream<Path> files = Files.list(tmp.resolve("h2-data"))) {
                assertThat(files).as("H2 never saw the client: no database was made").isEmpty();
            }
        }
    }

    /**
     * A peer policy: the server lets in only the client program it names (by its name without the
     * paradigm's PolicyKey extension). The same client jar on another development root has another
     * name: it is certified by the domain, completes TLS, and still never reaches the app.
     */
    @Test
    void aPeerPolicy_refusesAProgramWithAnotherName_andLetsTheNamedOneIn() throws Exception {
        int free = freePort();
        // The client's name (its rule names the port, so the port is fixed first); no server yet.
        Result first = runClient(free, "client");
        String clientName = first.out().lines().filter(l -> l.startsWith("name: ")).findFirst()
                .orElseThrow(() -> new AssertionError(first.out() + first.err())).substring("name: ".length());
        Prin named = Prin.parse(clientName).parent().orElseThrow(); // key([..]).Jvm([..])
        String rule = "in 127.0.0.1 " + free + " TAO peer=" + named.toString().replace(", ", ",");

        try (LauncherProcess server = startServer("socket", free, 1, rule)) {
            BufferedReader out = server.stdout();
            value(out.readLine(), "name: ");
            value(out.readLine(), "listening on ");

            Result other = runClient(free, "other-root");
            assertThat(other.out()).as(other.err()).doesNotContain("echo").doesNotContain(clientName);
            Result allowed = runClient(free, "client");
            assertThat(allowed.out()).as(allowed.err()).startsWith("answer: echo: hello\n");

            assertThat(out.readLine()).as("the first connection the app saw").endsWith(" peer=" + clientName + " line=hello");
            Result done = server.waitFor();
            assertThat(done.status()).as(done.err()).isZero();
            assertThat(done.err()).contains("tao-agent: refused a connection to the Tao channel listener on 127.0.0.1:"
                    + free + " from 127.0.0.1:").contains(": its program ").contains(" is not one the rule '" + rule
                    + "' lets connect");
        }
    }

    @Test
    void aRevokedClient_isRefusedByTheServersRelay() throws Exception {
        // The client's first start obtains its program certificate (its connection goes nowhere).
        int nowhere;
        try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            nowhere = free.getLocalPort();
        }
        Result first = runClient("out 127.0.0.1 * TAO", nowhere, "client");
        String clientName = value(first.out().lines().filter(l -> l.startsWith("name: ")).findFirst()
                .orElseThrow(() -> new AssertionError("no name: " + first.err())), "name: ");
        List<java.math.BigInteger> serials = service.registry().issuedTo(dev.cloudproxy.tao.auth.Prin.parse(clientName));
        assertThat(serials).as("the client's certificate").hasSize(1);
        assertThat(service.registry().revoke(serials, java.time.Instant.now())).isEqualTo(serials);

        try (LauncherProcess server = startServer("socket", 1)) {
            BufferedReader out = server.stdout();
            String serverName = value(out.readLine(), "name: ");
            int port = Integer.parseInt(value(out.readLine(), "listening on "));

            // Its second start reuses the sealed, now revoked, certificate: refused by the server's relay.
            Result revoked = runClient("out 127.0.0.1 * TAO", port, "client");
            assertThat(revoked.out()).as(revoked.err()).doesNotContain("echo").contains("name: " + clientName);
            // The same program with a new certificate (a fresh home; the policy still admits it) gets in.
            Result renewed = runClient("out 127.0.0.1 * TAO", port, "client-renewed");
            assertThat(renewed.out()).as(renewed.err()).startsWith("answer: echo: hello\npeer: " + serverName + "\n");

            assertThat(out.readLine()).startsWith("conn local=" + port + " ").endsWith(" line=hello");
            Result done = server.waitFor();
            assertThat(done.status()).as(done.err()).isZero();
            assertThat(done.err()).contains("tao-agent: refused a connection to the Tao channel listener on 127.0.0.1:"
                    + port).contains("peer " + clientName + " refused: the certificate with serial "
                    + serials.get(0).toString(16) + " was revoked");
        }
    }

    /** The sample apps' jar (plain apps, no dependencies): the built jar, or one made from the classes. */
    private Path samplesJar() throws IOException {
        Path where = Path.of(java.net.URI.create(EchoServer.class.getProtectionDomain().getCodeSource().getLocation().toString()));
        if (Files.isRegularFile(where)) {
            return where;
        }
        return TestApps.jar(Files.createDirectories(tmp.resolve("samples")), "samples", EchoServer.class, null);
    }

    private LauncherProcess startSample(Path jar, String rule, String main, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("--rule", rule));
        cmd.addAll(domainArgs());
        cmd.addAll(List.of("--main", main, jar.toString()));
        cmd.addAll(List.of(args));
        return LauncherProcess.start(tmp, env("server"), true, cmd);
    }

    private Result runSample(Path jar, String rule, String main, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("--rule", rule));
        cmd.addAll(domainArgs());
        cmd.addAll(List.of("--main", main, jar.toString()));
        cmd.addAll(List.of(args));
        return LauncherProcess.run(tmp, env("client"), cmd);
    }

    /** The same app in a plain JVM, without the launcher. */
    private Result runPlain(Path jar, String main, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", jar.toString(), main));
        cmd.addAll(List.of(args));
        Path outFile = Files.createTempFile(tmp, "plain", ".out");
        Path errFile = Files.createTempFile(tmp, "plain", ".err");
        Process p = new ProcessBuilder(cmd).redirectOutput(outFile.toFile()).redirectError(errFile.toFile()).start();
        try {
            assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
            return new Result(p.exitValue(), Files.readString(outFile), Files.readString(errFile));
        } finally {
            p.destroyForcibly();
            p.waitFor();
        }
    }

    @Test
    void theUnmodifiedEchoSamples_talkUnderTheLauncher_andAPlainClientIsRefused() throws Exception {
        Path jar = samplesJar();
        String server = EchoServer.class.getName();
        String client = EchoClient.class.getName();
        try (LauncherProcess s = startSample(jar, "in 127.0.0.1 * TAO", server, "0")) {
            int port = Integer.parseInt(value(s.stdout().readLine(), "listening on "));

            Result wrapped = runSample(jar, "out 127.0.0.1 " + port + " TAO", client, "127.0.0.1", Integer.toString(port),
                    "hello", "world");
            assertThat(wrapped.status()).as(wrapped.err()).isZero();
            assertThat(wrapped.out()).isEqualTo("echo: hello\necho: world\n");

            Result plain = runPlain(jar, client, "127.0.0.1", Integer.toString(port), "hello");
            assertThat(plain.out()).doesNotContain("echo");
        }
    }

    @Test
    void theUnmodifiedHttpSample_servesLaunchedClientsOnly() throws Exception {
        Path jar = samplesJar();
        String http = HttpHello.class.getName();
        try (LauncherProcess s = startSample(jar, "in 127.0.0.1 * TAO", http, "serve")) {
            int port = Integer.parseInt(value(s.stdout().readLine(), "listening on "));
            String url = "http://127.0.0.1:" + port + "/";

            Result wrapped = runSample(jar, "out 127.0.0.1 " + port + " TAO", http, "get", url);
            assertThat(wrapped.status()).as(wrapped.err()).isZero();
            assertThat(wrapped.out()).isEqualTo("hello\n");

            Result plain = runPlain(jar, http, "get", url);
            assertThat(plain.status()).as(plain.out()).isEqualTo(1);
            assertThat(plain.out()).doesNotContain("hello");
        }
    }

    /** Sends "hello" and returns what comes back until the server closes (or resets) the connection. */
    private static String plainExchange(int port) throws IOException {
        return plainExchange(InetAddress.getLoopbackAddress(), port);
    }

    /** As {@link #plainExchange(int)}, to {@code address}; "" if nothing listens there. */
    private static String plainExchange(InetAddress address, int port) throws IOException {
        try (Socket s = new Socket(address, port)) {
            s.setSoTimeout(60_000);
            s.getOutputStream().write("hello\n".getBytes(StandardCharsets.UTF_8));
            s.getOutputStream().flush();
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        } catch (java.net.SocketException reset) {
            return "";
        }
    }

    /**
     * The TCP ports this user's sockets listen on. The app's process is not dumpable, so a test run
     * by an ordinary user cannot list its descriptors in /proc; the kernel's socket tables name each
     * socket's owner instead (compare a snapshot from before the app started).
     */
    private static Set<Integer> loopbackListeners() throws IOException {
        String uid = Files.getAttribute(Path.of("/proc/self"), "unix:uid").toString();
        Set<Integer> ports = new HashSet<>();
        for (String table : List.of("tcp", "tcp6")) {
            List<String> rows = Files.readAllLines(Path.of("/proc/self/net", table));
            for (String row : rows.subList(1, rows.size())) {
                String[] f = row.strip().split("\\s+");
                if (f.length > 9 && f[3].equals("0A") && f[7].equals(uid)) {
                    ports.add(Integer.parseInt(f[1].substring(f[1].indexOf(':') + 1), 16));
                }
            }
        }
        return ports;
    }

    /** A TCP proxy on loopback that records what passes each way. */
    private static final class RecordingProxy implements AutoCloseable {
        private final ServerSocket listener = new ServerSocket(0, 5, InetAddress.getLoopbackAddress());
        private final ByteArrayOutputStream up = new ByteArrayOutputStream();
        private final ByteArrayOutputStream down = new ByteArrayOutputStream();
        private CompletableFuture<Void> done;

        RecordingProxy() throws IOException {}

        int port() {
            return listener.getLocalPort();
        }

        /** Proxies one connection to {@code target}, on threads of its own (not a shared pool). */
        void start(int target) {
            done = new CompletableFuture<>();
            Thread t = new Thread(() -> {
                try (Socket in = listener.accept(); Socket to = new Socket(InetAddress.getLoopbackAddress(), target)) {
                    Thread back = new Thread(() -> pump(to, in, down), "proxy-down");
                    back.start();
                    pump(in, to, up);
                    back.join();
                    done.complete(null);
                } catch (Exception e) {
                    done.completeExceptionally(e);
                }
            }, "proxy-up");
            t.setDaemon(true);
            t.start();
        }

        private static void pump(Socket from, Socket to, ByteArrayOutputStream record) {
            byte[] buf = new byte[8192];
            try {
                InputStream i = from.getInputStream();
                OutputStream o = to.getOutputStream();
                for (int n; (n = i.read(buf)) >= 0; ) {
                    synchronized (record) {
                        record.write(buf, 0, n);
                    }
                    o.write(buf, 0, n);
                }
                to.shutdownOutput();
            } catch (IOException e) {
                // the other side closed
            }
        }

        byte[] upstream() throws Exception {
            done.get(60, TimeUnit.SECONDS);
            synchronized (up) {
                return up.toByteArray();
            }
        }

        byte[] downstream() {
            synchronized (down) {
                return down.toByteArray();
            }
        }

        @Override
        public void close() throws IOException {
            listener.close();
        }
    }
}
