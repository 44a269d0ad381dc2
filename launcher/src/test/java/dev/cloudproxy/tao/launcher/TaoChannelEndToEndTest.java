package dev.cloudproxy.tao.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.channel.ProgramCredentials;
import dev.cloudproxy.tao.channel.TaoChannels;
import dev.cloudproxy.tao.domain.Domain;
import dev.cloudproxy.tao.domain.ProgramCertificate;
import dev.cloudproxy.tao.domainservice.DomainService;
import dev.cloudproxy.tao.launcher.LauncherProcess.Result;
import dev.cloudproxy.tao.launcher.apps.TaoClientApp;
import dev.cloudproxy.tao.paradigm.TaoParadigm;
import dev.cloudproxy.tao.soft.SoftTao;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An unmodified plain-socket client under the launcher with a TAO rule talks to a Tao-channel
 * server: the agent obtains the program's certificate from a real domain service (the Tao
 * paradigm), its relay speaks TLS 1.3 with it, and the server learns the client's Tao name.
 */
class TaoChannelEndToEndTest {
    private static final char[] PASSWORD = "domain password".toCharArray();

    @TempDir
    Path tmp;

    @Test
    void taoRule_withADomain_carriesThePlainClientOverATaoChannel() throws Exception {
        try (Domain domain = TestDomains.liberal(tmp.resolve("domain"), PASSWORD);
                DomainService service = DomainService.builder(domain)
                        .listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).start();
                SoftTao serverTao = SoftTao.ephemeral();
                TaoParadigm server = TaoParadigm.builder(serverTao, tmp.resolve("server-state"))
                        .policyCertificate(domain.policyCertificate()).domainService(service.address()).open()) {
            TaoChannels channels = TaoChannels.of(
                    ProgramCredentials.of(server.signer(), server.certificateChain(), server.policyCertificate()));
            Path policy = Files.writeString(tmp.resolve("policy.pem"), ProgramCertificate.toPem(domain.policyCertificate()));
            try (SSLServerSocket listener = (SSLServerSocket) channels.sslContext().getServerSocketFactory()
                    .createServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
                CompletableFuture<String> seen = CompletableFuture.supplyAsync(() -> {
                    try (SSLSocket s = (SSLSocket) listener.accept();
                            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
                            PrintWriter out = new PrintWriter(s.getOutputStream(), true, StandardCharsets.UTF_8)) {
                        String line = in.readLine();
                        out.println("echo: " + line);
                        return s.getSession().getProtocol() + " " + channels.peerPrincipal(s.getSession());
                    } catch (Exception e) {
                        return "server failed: " + e;
                    }
                });
                Path jar = TestApps.jar(Files.createDirectories(tmp.resolve("client")), "client", TaoClientApp.class, null);
                int port = listener.getLocalPort();
                Map<String, String> env = Map.of("TAO_HOME", Files.createDirectory(tmp.resolve("home")).toString(),
                        "HOME", tmp.toString());

                Result r = LauncherProcess.run(tmp, env, List.of("--rule", "out 127.0.0.1 " + port + " TAO",
                        "--domain-service", "127.0.0.1:" + service.address().getPort(), "--policy-cert", policy.toString(),
                        jar.toString(), Integer.toString(port)));

                assertThat(r.status()).as(r.err()).isZero();
                assertThat(r.out()).as(r.err()).startsWith("answer: echo: hello\npeer: " + server.principal() + "\nname: ");
                Prin client = Prin.parse(r.out().lines().filter(l -> l.startsWith("name: ")).findFirst().orElseThrow()
                        .substring("name: ".length()));
                assertThat(client.lastExtension().orElseThrow().name()).isEqualTo("PolicyKey");
                assertThat(seen.get(60, TimeUnit.SECONDS)).isEqualTo("TLSv1.3 " + client);
            }
        }
    }
}
