package dev.cloudproxy.tao.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudproxy.tao.attestation.Attestation;
import dev.cloudproxy.tao.auth.Bytes;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.PrinExt;
import dev.cloudproxy.tao.auth.Says;
import dev.cloudproxy.tao.auth.Speaksfor;
import dev.cloudproxy.tao.cli.CliRunner.Result;
import dev.cloudproxy.tao.domain.CertificateRefusedException;
import dev.cloudproxy.tao.domain.Domain;
import dev.cloudproxy.tao.domain.DomainServiceClient;
import dev.cloudproxy.tao.domain.ProgramCertificate;
import dev.cloudproxy.tao.domain.RevocationList;
import dev.cloudproxy.tao.domainservice.CertificateRegistry;
import dev.cloudproxy.tao.keys.Keys;
import dev.cloudproxy.tao.keys.Signer;
import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code tao domain service} and {@code tao domain revoke}. */
class DomainServiceCommandTest {
    private static final String PASSWORD = "policy password";
    private static final Map<String, String> WITH_PASSWORD = Map.of(Passwords.ENV, PASSWORD);
    private static final String HASH = "aa".repeat(32);
    private static final Path SAMPLE = Path.of("..", "docs", "domain_template.txt");

    @TempDir
    Path tmp;

    private Result tao(Map<String, String> env, String... args) {
        Result r = CliRunner.run(new ByteArrayInputStream(new byte[0]), env, null, args);
        assertThat(r.out()).doesNotContain(PASSWORD);
        assertThat(r.err()).doesNotContain(PASSWORD);
        return r;
    }

    /** Standard output that completes {@code line} with its first line. */
    private static final class FirstLine extends Writer {
        final CompletableFuture<String> line = new CompletableFuture<>();
        private final StringBuilder buf = new StringBuilder();

        @Override
        public synchronized void write(char[] c, int off, int len) {
            buf.append(c, off, len);
            int nl = buf.indexOf("\n");
            if (nl >= 0) {
                line.complete(buf.substring(0, nl));
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    }

    @Test
    void service_issuesForATrustedProgram_thenRevokeListsItInTheCrl() throws Exception {
        Path dir = tmp.resolve("domain");
        assertThat(tao(WITH_PASSWORD, "domain", "init", "--template", SAMPLE.toString(), dir.toString()).status()).isZero();
        try (Keys host = Keys.generate(); Signer key = Signer.generate()) {
            assertThat(tao(WITH_PASSWORD, "domain", "policy", dir.toString(), "--add-host", host.principal().toString(),
                    "--add-programs", HASH).status()).isZero();

            FirstLine out = new FirstLine();
            StringWriter err = new StringWriter();
            Io io = Io.of(new ByteArrayInputStream(new byte[0]), new PrintWriter(out), new PrintWriter(err), WITH_PASSWORD);
            AtomicInteger status = new AtomicInteger(-1);
            Thread service = new Thread(() -> status.set(TaoCli.run(io, "domain", "service", dir.toString(),
                    "--listen", "127.0.0.1:0", "--lifetime", "2d", "--metrics", "127.0.0.1:0")));
            service.start();
            try {
                String listening = out.line.get(60, TimeUnit.SECONDS);
                assertThat(listening).startsWith("listening on 127.0.0.1:");
                int port = Integer.parseInt(listening.substring(listening.lastIndexOf(':') + 1));
                Domain domain = Domain.load(dir);
                DomainServiceClient client = DomainServiceClient.create(new InetSocketAddress("127.0.0.1", port),
                        domain.policyCertificate());
                Prin program = host.principal().extend(PrinExt.of("Program", Bytes.ofHex(HASH)));
                long now = Instant.now().getEpochSecond();
                Attestation a = Attestation.sign(host.signer(),
                        Says.during(program, now, now + 3600, new Speaksfor(key.principal(), program)));

                X509Certificate cert = client.certify(a, key.verifier());
                assertThat(ProgramCertificate.verify(cert, domain.policyCertificate(), Instant.now())).isEqualTo(program);
                java.util.regex.Matcher url = java.util.regex.Pattern.compile("metrics at (http://\\S+)")
                        .matcher(err.toString());
                assertThat(url.find()).isTrue();
                String scrape = java.net.http.HttpClient.newHttpClient().send(
                        java.net.http.HttpRequest.newBuilder(java.net.URI.create(url.group(1))).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString()).body();
                assertThat(scrape).contains("tao_domain_service_decisions_total{decision=\"issued\"} 1\n");
                assertThat(cert.getNotAfter().toInstant()).isBefore(Instant.now().plusSeconds(2 * 86400 + 60));
                String serial = CertificateRegistry.serialText(cert.getSerialNumber());

                Result revoked = tao(WITH_PASSWORD, "domain", "revoke", dir.toString(), serial);
                assertThat(revoked.status()).isZero();
                assertThat(revoked.out()).isEqualTo(serial + "\n");
                X509CRL crl = RevocationList.verify(Files.readAllBytes(dir.resolve(CertificateRegistry.CRL_FILE)),
                        domain.policyCertificate(), Instant.now());
                assertThat(crl.isRevoked(cert)).isTrue();
                assertThat(client.fetchCrl().isRevoked(cert)).isTrue();

                Result again = tao(WITH_PASSWORD, "domain", "revoke", dir.toString(), "--principal", program.toString());
                assertThat(again.status()).isZero();
                assertThat(again.out()).isEmpty();
                assertThat(again.err()).contains("revoked 0 certificate(s) (1 already revoked)");

                Prin stranger = host.principal().extend(PrinExt.of("Program", Bytes.ofHex("bb".repeat(32))));
                Attestation refused = Attestation.sign(host.signer(),
                        Says.during(stranger, now, now + 3600, new Speaksfor(key.principal(), stranger)));
                CertificateRefusedException e = org.junit.jupiter.api.Assertions.assertThrows(
                        CertificateRefusedException.class, () -> client.certify(refused, key.verifier()));
                assertThat(e.reason()).contains("the guard does not authorize");
                assertThat(Files.readAllLines(dir.resolve("audit.log")))
                        .anySatisfy(l -> assertThat(l).contains("\tissued\t" + program + "\t" + serial + "\t-"))
                        .anySatisfy(l -> assertThat(l).contains("\trefused\t" + stranger + "\t-\t"));
            } finally {
                service.interrupt();
                service.join(TimeUnit.SECONDS.toMillis(30));
            }
            assertThat(service.isAlive()).isFalse();
            assertThat(status.get()).isZero();
            assertThat(err.toString()).contains("tao domain service: stopped").doesNotContain(PASSWORD);
            Result audit = tao(Map.of(), "audit", "verify", "--domain", dir.toString());
            assertThat(audit.status()).isZero();
            assertThat(audit.out()).contains("intact: " + dir.resolve("audit.log"));
        }
    }

    @Test
    void service_badListenAddressOrLifetime_isAUsageError() {
        Path dir = tmp.resolve("domain");

        Result listen = tao(WITH_PASSWORD, "domain", "service", dir.toString(), "--listen", "nowhere");
        Result lifetime = tao(WITH_PASSWORD, "domain", "service", dir.toString(), "--lifetime", "5 fortnights");

        assertThat(listen.status()).isEqualTo(TaoCli.EXIT_USAGE);
        assertThat(listen.err()).contains("expected HOST:PORT");
        assertThat(lifetime.status()).isEqualTo(TaoCli.EXIT_USAGE);
        assertThat(lifetime.err()).contains("expected a duration");
    }

    @Test
    void service_storeAddressWithAPassword_isAUsageErrorThatDoesNotRepeatIt() {
        Path dir = tmp.resolve("domain");

        Result inline = tao(WITH_PASSWORD, "domain", "service", dir.toString(), "--store",
                "postgresql://tao:s3cret-db@127.0.0.1/tao?user=tao");
        Result param = tao(WITH_PASSWORD, "domain", "service", dir.toString(), "--store",
                "postgresql://127.0.0.1/tao?user=tao&password=s3cret-db");

        for (Result r : new Result[] {inline, param}) {
            assertThat(r.status()).isEqualTo(TaoCli.EXIT_USAGE);
            assertThat(r.err()).contains("must not hold").doesNotContain("s3cret-db");
        }
    }

    @Test
    void service_storeNotReachable_failsNamingTheRemedyAndNotThePassword() throws Exception {
        Path dir = tmp.resolve("domain");
        assertThat(tao(WITH_PASSWORD, "domain", "init", "--template", SAMPLE.toString(), dir.toString()).status()).isZero();
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }

        Result r = tao(Map.of(Passwords.ENV, PASSWORD, "TAO_STORE_PASSWORD", "s3cret-db"), "domain", "service",
                dir.toString(), "--listen", "127.0.0.1:0", "--store", "postgresql://127.0.0.1:" + port + "/tao?user=tao");

        assertThat(r.status()).isEqualTo(TaoCli.EXIT_INPUT);
        assertThat(r.err()).contains("cannot open the store postgresql://127.0.0.1:" + port + "/tao?user=tao")
                .contains("start the database").doesNotContain("s3cret-db");

        Result revoke = tao(Map.of(Passwords.ENV, PASSWORD, "TAO_STORE_PASSWORD", "s3cret-db"), "domain", "revoke",
                dir.toString(), "1f3c", "--store", "postgresql://127.0.0.1:" + port + "/tao?user=tao");

        assertThat(revoke.status()).isEqualTo(TaoCli.EXIT_INPUT);
        assertThat(revoke.err()).contains("start the database").doesNotContain("s3cret-db");
    }

    @Test
    void service_noDomain_failsBeforeAskingForAPassword() {
        Result r = tao(Map.of(), "domain", "service", tmp.resolve("none").toString());

        assertThat(r.status()).isEqualTo(TaoCli.EXIT_INPUT);
        assertThat(r.errLines()).containsExactly("tao domain service: " + tmp.resolve("none") + " holds no domain");
    }

    @Test
    void service_wrongPassword_fails() {
        Path dir = tmp.resolve("domain");
        assertThat(tao(WITH_PASSWORD, "domain", "init", "--template", SAMPLE.toString(), dir.toString()).status()).isZero();

        Result r = tao(Map.of(Passwords.ENV, "not it"), "domain", "service", dir.toString(), "--listen", "127.0.0.1:0");

        assertThat(r.status()).isEqualTo(TaoCli.EXIT_INPUT);
        assertThat(r.errLines()).containsExactly("tao domain service: wrong password for the policy key of " + dir);
    }

    @Test
    void revoke_nothingNamed_isAUsageError() {
        Result r = tao(WITH_PASSWORD, "domain", "revoke", tmp.toString());

        assertThat(r.status()).isEqualTo(TaoCli.EXIT_USAGE);
        assertThat(r.err()).contains("give a SERIAL or --principal");
    }

    @Test
    void revoke_malformedSerial_failsBeforeOpeningTheDomain() {
        Result r = tao(Map.of(), "domain", "revoke", tmp.toString(), "xyz");

        assertThat(r.status()).isEqualTo(TaoCli.EXIT_INPUT);
        assertThat(r.err()).contains("a serial is a positive hex number");
    }

    @Test
    void durationsAndAddresses_parse() {
        assertThat(DomainServiceCommand.parseDuration("30d")).isEqualTo(java.time.Duration.ofDays(30));
        assertThat(DomainServiceCommand.parseDuration("PT12H")).isEqualTo(java.time.Duration.ofHours(12));
        assertThat(DomainServiceCommand.parseDuration("90m")).isEqualTo(java.time.Duration.ofMinutes(90));
        assertThat(DomainServiceCommand.parseListen("[::1]:8124").getPort()).isEqualTo(8124);
        assertThat(DomainServiceCommand.parseListen(":0").getAddress().isAnyLocalAddress()).isTrue();
        for (String bad : new String[] {"0d", "-1d", "d", "12", "P", "1y"}) {
            org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> DomainServiceCommand.parseDuration(bad), bad);
        }
        for (String bad : new String[] {"host", "host:", "host:70000", "host:x"}) {
            org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> DomainServiceCommand.parseListen(bad), bad);
        }
    }
}
