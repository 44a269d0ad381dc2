package dev.cloudproxy.tao.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudproxy.tao.launcher.LauncherProcess.Result;
import dev.cloudproxy.tao.launcher.apps.TaoClientApp;
import dev.cloudproxy.tao.launcher.apps.TaoServerApp;
import java.io.BufferedReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code TAO-PSK} rules end to end: an unmodified server and client, each under its own launcher
 * on one development root (their common ancestor), talk over a PSK channel keyed by the root's
 * group key for the pair, with no domain service and no certificate; a client that names another
 * program as the server is refused, and nothing reaches the server in plaintext.
 */
class PskChannelEndToEndTest extends DomainServiceFixture {
    private static String value(String line, String prefix) {
        assertThat(line).as("output line").startsWith(prefix);
        return line.substring(prefix.length());
    }

    /** A name in the rule syntax (fields are separated by blanks). */
    private static String ruleName(String name) {
        return name.replace(", ", ",");
    }

    private LauncherProcess startServer(Map<String, String> env) throws Exception {
        Path jar = TestApps.jar(Files.createDirectories(tmp.resolve("server")), "server", TaoServerApp.class, null);
        return LauncherProcess.start(tmp, env, true,
                List.of("--rule", "in 127.0.0.1 * TAO-PSK", jar.toString(), "socket", "0", "1"));
    }

    private Result runClient(Map<String, String> env, int port, String serverName) throws Exception {
        Path jar = TestApps.jar(Files.createDirectories(tmp.resolve("client")), "client", TaoClientApp.class, null);
        return LauncherProcess.run(tmp, env, List.of("--rule",
                "out 127.0.0.1 " + port + " TAO-PSK peer=" + ruleName(serverName), jar.toString(), Integer.toString(port)));
    }

    @Test
    void serverAndClient_onOneDevelopmentRoot_talkOverAPskChannel_withoutADomainService() throws Exception {
        Map<String, String> env = env("shared-root");
        try (LauncherProcess server = startServer(env)) {
            BufferedReader out = server.stdout();
            String serverName = value(out.readLine(), "name: ");
            int port = Integer.parseInt(value(out.readLine(), "listening on "));

            Result client = runClient(env, port, serverName);

            assertThat(client.status()).as(client.err()).isZero();
            List<String> lines = client.out().lines().toList();
            assertThat(lines.get(0)).as(client.err()).isEqualTo("answer: echo: hello");
            assertThat(lines.get(1)).isEqualTo("peer: " + serverName);
            String clientName = value(lines.get(2), "name: ");
            assertThat(out.readLine()).startsWith("conn local=" + port + " remote=127.0.0.1:")
                    .endsWith(" peer=" + clientName + " line=hello");
            assertThat(server.waitFor().status()).isZero();
        }
    }

    @Test
    void clientNamingAnotherProgramAsTheServer_isRefused_andTheServerGetsNothing() throws Exception {
        Map<String, String> env = env("shared-root");
        try (LauncherProcess server = startServer(env)) {
            BufferedReader out = server.stdout();
            String serverName = value(out.readLine(), "name: ");
            int port = Integer.parseInt(value(out.readLine(), "listening on "));

            Result client = runClient(env, port, serverName.replace("ext.App([", "ext.App([00"));

            // The server refuses the identity (it does not name it as the server) before any key is used.
            assertThat(client.out()).doesNotContain("echo").contains("the server refused the channel");

            // Nothing reached the app: the first connection it accepts is the next, proper client's.
            Result proper = runClient(env, port, serverName);
            assertThat(proper.out()).as(proper.err()).startsWith("answer: echo: hello\n");
            assertThat(out.readLine()).startsWith("conn local=" + port + " ").endsWith(" line=hello");
            assertThat(server.waitFor().status()).isZero();
        }
    }
}
