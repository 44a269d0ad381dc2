package dev.cloudproxy.tao.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.domain.Domain;
import dev.cloudproxy.tao.domain.ProgramCertificate;
import dev.cloudproxy.tao.keys.Argon2Params;
import dev.cloudproxy.tao.keys.Signer;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SimpleExample end to end through {@code tao demo}: real hosted JVMs, the domain service, a Tao
 * channel, and openssl as a foreign TLS client.
 */
class DemoCommandTest {
    @TempDir
    Path tmp;

    static String line(String out, String prefix) {
        return out.lines().filter(l -> l.startsWith(prefix)).findFirst()
                .map(l -> l.substring(prefix.length()).strip())
                .orElseThrow(() -> new AssertionError("no line starting with '" + prefix + "' in:\n" + out));
    }

    private static long issuedCount(Path base) throws IOException {
        Path issued = base.resolve(SimpleExampleDemo.DOMAIN_DIR).resolve("issued");
        try (Stream<Path> s = Files.list(issued)) {
            return s.count();
        }
    }

    static void assertNoChildLeft() {
        assertThat(ProcessHandle.current().children().filter(ProcessHandle::isAlive).toList()).isEmpty();
    }

    @Test
    void demo_withMetrics_aScrapeAfterTheClientsRunShowsTheCountsTheDemoProduced() throws Exception {
        Path dir = tmp.resolve("demo");

        CliRunner.Result r = CliRunner.run("", "demo", "--dir", dir.toString(), "--metrics");

        assertThat(r.status()).as(r.err()).isZero();
        String out = r.out();
        assertThat(out).containsPattern("  SimpleDomainService  http://127\\.0\\.0\\.1:\\d+/metrics\n")
                .containsPattern("  host +http://127\\.0\\.0\\.1:\\d+/metrics\n");
        // Two certificates (server, client), as the domain directory records them; nothing refused.
        assertThat(issuedCount(dir)).isEqualTo(2);
        assertThat(out).contains("    tao_domain_service_decisions_total{decision=\"issued\"} 2\n")
                .doesNotContain("decision=\"refused\"");
        // Each program asked the host for its name and attestations over Tao RPC. The domain service
        // and the server still run; the client has ended (its exit may be a moment from counted).
        assertThat(out).containsPattern("    tao_host_rpc_calls_total\\{method=\"Tao.GetTaoName\"\\} [1-9]\\d*\n")
                .containsPattern("    tao_host_rpc_calls_total\\{method=\"Tao.Attest\"\\} [1-9]\\d*\n")
                .containsPattern("    tao_host_programs_running [23]\n");
        assertNoChildLeft();
    }

    @Test
    void demo_twice_printsTheSecretAndReusesSealedStateTheSecondTime() throws Exception {
        Path dir = tmp.resolve("demo");

        CliRunner.Result first = CliRunner.run("", "demo", "--dir", dir.toString());

        assertThat(first.status()).as(first.err()).isZero();
        String client = line(first.out(), "  SimpleClient ");
        String server = line(first.out(), "  SimpleServer ");
        assertThat(Prin.parse(client).toString()).isEqualTo(client);
        assertThat(client).endsWith(".PolicyKey([" + client.substring(client.lastIndexOf("([") + 2));
        assertThat(line(first.out(), "secret: ")).isEqualTo(client + "43");
        assertThat(line(first.out(), "  the client's peer ")).isEqualTo(server);
        assertThat(line(first.out(), "  the server's peer ")).isEqualTo(client);
        assertThat(first.out()).contains("Every program the demo started has stopped.");
        assertNoChildLeft();
        long issued = issuedCount(dir);
        assertThat(issued).isEqualTo(2);

        CliRunner.Result second = CliRunner.run("", "demo", "--dir", dir.toString());

        assertThat(second.status()).as(second.err()).isZero();
        assertThat(second.out()).contains("(reused");
        assertThat(line(second.out(), "  SimpleClient ")).isEqualTo(client);
        assertThat(line(second.out(), "  stored secret ")).startsWith(client + "43");
        assertThat(line(second.out(), "secret: ")).isEqualTo(client + "43");
        // The same certificates: no new request reached the domain service.
        assertThat(issuedCount(dir)).isEqualTo(issued);
        assertThat(serials(second.out())).hasSize(2).isEqualTo(serials(first.out()));
        assertNoChildLeft();
    }

    static List<String> serials(String out) {
        return out.lines().filter(l -> l.contains("program certificate serial "))
                .map(l -> l.substring(l.indexOf("serial ") + 7).split("[ ,]")[0]).toList();
    }

    @Test
    void demo_withoutDir_leavesNothingBehind() throws Exception {
        List<Path> before = tempDemoDirs();

        CliRunner.Result r = CliRunner.run("", "demo");

        assertThat(r.status()).as(r.err()).isZero();
        assertThat(tempDemoDirs()).isEqualTo(before);
        assertNoChildLeft();
    }

    private static List<Path> tempDemoDirs() throws IOException {
        try (Stream<Path> s = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            return s.filter(p -> p.getFileName().toString().startsWith("tao-demo-")).sorted().toList();
        }
    }

    @Test
    void simpleServer_opensslWithClientCertificate_getsTheSecret_withoutOrFromAnotherDomain_isRefused()
            throws Exception {
        Path base = tmp.resolve("demo");
        Path export = tmp.resolve("export");
        Path foreign = foreignCredentials();
        List<String> withCert = new ArrayList<>();
        List<String> withoutCert = new ArrayList<>();
        List<String> otherDomain = new ArrayList<>();
        StringWriter out = new StringWriter();
        try (SimpleExampleDemo demo = new SimpleExampleDemo(base, new PrintWriter(out), DemoCommand.jars())) {
            demo.exportClient(export).whileServing(address -> {
                String policy = base.resolve(SimpleExampleDemo.DOMAIN_DIR).resolve(Domain.POLICY_CERT_FILE).toString();
                withCert.add(sClient(address, policy, export.resolve("client.cert.pem"), export.resolve("client.key.pem")));
                withoutCert.add(sClient(address, policy, null, null));
                otherDomain.add(sClient(address, policy, foreign.resolve("cert.pem"), foreign.resolve("key.pem")));
            });
            String secret = demo.run();

            assertThat(withCert.get(0)).contains(secret);
            assertThat(withoutCert.get(0)).doesNotContain(secret).containsIgnoringCase("alert");
            assertThat(otherDomain.get(0)).doesNotContain(secret).containsIgnoringCase("alert");
        }
        assertNoChildLeft();
    }

    @Test
    void untrustedClient_isNotRunAndGetsNoCertificate() throws Exception {
        Path base = tmp.resolve("demo");
        StringWriter out = new StringWriter();
        List<String> refusal = new ArrayList<>();
        try (SimpleExampleDemo demo = new SimpleExampleDemo(base, new PrintWriter(out), DemoCommand.jars())) {
            demo.whileServing(address -> {
                try {
                    demo.startUntrustedClient(address);
                } catch (SimpleExampleDemo.StepException e) {
                    refusal.add(e.getMessage());
                }
            });
            demo.run();
        }

        assertThat(refusal).singleElement().asString().contains("does not authorize");
        assertThat(Files.exists(base.resolve(SimpleExampleDemo.STATE_DIR).resolve("untrusted")
                .resolve("program.cert.pem"))).isFalse();
        assertThat(issuedCount(base)).isEqualTo(2);
        assertNoChildLeft();
    }

    @Test
    void demo_badOption_isAUsageError() {
        CliRunner.Result r = CliRunner.run("", "demo", "--no-such-option");

        assertThat(r.status()).isEqualTo(TaoCli.EXIT_USAGE);
    }

    /** A key and a certificate for it from another domain, as PEM files. */
    private Path foreignCredentials() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("foreign"));
        String template = "name = Other\nguard = liberal\n";
        try (Domain other = Domain.create(dir.resolve("domain"),
                dev.cloudproxy.tao.domain.DomainTemplate.parse(template.getBytes(StandardCharsets.UTF_8), "t"),
                "pw".toCharArray(), Argon2Params.FLOOR);
                Signer key = Signer.generate()) {
            var cert = other.issueCertificate(key.verifier(),
                    Prin.parse("key([" + "11".repeat(32) + "]).Program([" + "22".repeat(32) + "])"),
                    Duration.ofDays(1), Instant.now());
            Files.writeString(dir.resolve("cert.pem"), ProgramCertificate.toPem(cert));
            byte[] pkcs8 = key.toJcaPrivateKey().getEncoded();
            Files.writeString(dir.resolve("key.pem"), "-----BEGIN PRIVATE KEY-----\n"
                    + Base64.getMimeEncoder().encodeToString(pkcs8) + "\n-----END PRIVATE KEY-----\n");
        }
        return dir;
    }

    /** What {@code openssl s_client} printed talking to {@code address}, with or without a client certificate. */
    private static String sClient(String address, String caFile, Path cert, Path key) {
        List<String> cmd = new ArrayList<>(List.of("openssl", "s_client", "-connect", address, "-CAfile", caFile,
                "-tls1_3", "-ign_eof", "-verify_return_error"));
        if (cert != null) {
            cmd.addAll(List.of("-cert", cert.toString(), "-key", key.toString()));
        }
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("openssl s_client did not finish");
            }
            return output;
        } catch (IOException e) {
            throw new AssertionError("openssl is needed for this test: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
