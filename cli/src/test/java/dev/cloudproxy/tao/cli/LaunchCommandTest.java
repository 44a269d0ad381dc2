package dev.cloudproxy.tao.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudproxy.tao.cli.CliRunner.Result;
import dev.cloudproxy.tao.domain.Domain;
import dev.cloudproxy.tao.domain.DomainTemplate;
import dev.cloudproxy.tao.domainservice.DomainService;
import dev.cloudproxy.tao.host.HostDirectory;
import dev.cloudproxy.tao.host.HostService;
import dev.cloudproxy.tao.host.HostSetup;
import dev.cloudproxy.tao.host.OpenedHost;
import dev.cloudproxy.tao.keys.Argon2Params;
import dev.cloudproxy.tao.launch.LaunchCatalog;
import dev.cloudproxy.tao.launch.LaunchService;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code tao launch}, {@code tao launch certify} and {@code tao launch verify} against a real host in a domain. */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class LaunchCommandTest {
    private static final String PASSWORD = "host password";
    private static final String POLICY = "policy password";
    private static final String OPERATOR = "operator password";

    @TempDir
    Path tmp;

    private Map<String, String> env(String... more) {
        Map<String, String> e = new HashMap<>();
        e.put("TAO_HOME", tmp.resolve("home").toString());
        e.put("PATH", "/usr/bin:/bin");
        for (int i = 0; i < more.length; i += 2) {
            e.put(more[i], more[i + 1]);
        }
        return e;
    }

    private Result tao(Map<String, String> env, String... args) {
        return CliRunner.run(InputStream.nullInputStream(), env, args);
    }

    @Test
    void launch_byAnAuthorizedOperator_printsTheOutput_writesEvidenceThatVerifies_andOthersAreRefused()
            throws Exception {
        Path domainDir = tmp.resolve("domain");
        DomainTemplate t = DomainTemplate.parse("name = D\nguard = datalog\n".getBytes(StandardCharsets.UTF_8), "t");
        Domain.create(domainDir, t, POLICY.toCharArray(), Argon2Params.FLOOR).close();
        Result init = tao(env("TAO_PASSWORD", PASSWORD, "TAO_POLICY_PASSWORD", POLICY), "host", "init", "--root",
                "--domain", domainDir.toString());
        assertThat(init.status()).as(init.err()).isZero();
        String hostName = init.out().strip();
        HostDirectory dir = new HostDirectory(tmp.resolve("home").resolve("host"));

        Path script = tmp.resolve("hello.sh");
        Files.writeString(script, "#!/bin/sh\necho \"hello $1\"\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
        String hash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(script)));
        Files.writeString(dir.root().resolve(LaunchCatalog.FILE),
                "Launchable(\"hello\", \"process\", \"" + script + "\", \"run\", 1)\n");

        Path operatorKeys = tmp.resolve("operator");
        Path strangerKeys = tmp.resolve("stranger");
        assertThat(tao(env("TAO_PASSWORD", OPERATOR), "domain", "newsoft", operatorKeys.toString()).status()).isZero();
        assertThat(tao(env("TAO_PASSWORD", OPERATOR), "domain", "newsoft", strangerKeys.toString()).status()).isZero();
        Path operatorCert = tmp.resolve("operator.cert.pem");
        Path strangerCert = tmp.resolve("stranger.cert.pem");
        Result certify = tao(env("TAO_POLICY_PASSWORD", POLICY), "launch", "certify", "--domain", domainDir.toString(),
                "--keys", operatorKeys.toString(), "--out", operatorCert.toString());
        assertThat(certify.status()).as(certify.err()).isZero();
        String operator = certify.out().strip();
        assertThat(tao(env("TAO_POLICY_PASSWORD", POLICY), "launch", "certify", "--domain", domainDir.toString(),
                "--keys", strangerKeys.toString(), "--out", strangerCert.toString()).status()).isZero();
        // A second certificate of the operator's key, revoked: the service must refuse it.
        Path revokedCert = tmp.resolve("revoked.cert.pem");
        assertThat(tao(env("TAO_POLICY_PASSWORD", POLICY), "launch", "certify", "--domain", domainDir.toString(),
                "--keys", operatorKeys.toString(), "--out", revokedCert.toString()).status()).isZero();
        String revokedSerial;
        try (InputStream in = Files.newInputStream(revokedCert)) {
            revokedSerial = ((java.security.cert.X509Certificate) java.security.cert.CertificateFactory
                    .getInstance("X.509").generateCertificate(in)).getSerialNumber().toString(16);
        }
        Result revoke = tao(env("TAO_PASSWORD", POLICY), "domain", "revoke", domainDir.toString(), revokedSerial);
        assertThat(revoke.status()).as(revoke.err()).isZero();
        Result policy = tao(env("TAO_PASSWORD", POLICY), "domain", "policy", domainDir.toString(),
                "--add", "Authorized(" + operator + ", \"Launch\", \"hello\")",
                "--add", "Authorized(" + hostName + ".Program([" + hash + "]), \"Execute\")");
        assertThat(policy.status()).as(policy.err()).isZero();

        Path policyCert = domainDir.resolve(Domain.POLICY_CERT_FILE);
        Path evidence = tmp.resolve("hello.launch");
        try (Domain domain = Domain.loadWithKeys(domainDir, POLICY.toCharArray());
                DomainService domainService = DomainService.builder(domain)
                        .listen(new InetSocketAddress("127.0.0.1", 0)).start();
                OpenedHost opened = HostSetup.openRoot(dir, PASSWORD.toCharArray());
                HostService service = HostService.start(opened);
                LaunchService launch = LaunchCommand.serve(dir, HostSetup.readConfig(dir), opened, service,
                        new InetSocketAddress("127.0.0.1", 0), List.of(domainService.address()))) {
            String address = "127.0.0.1:" + launch.address().getPort();

            Result revoked = tao(env("TAO_PASSWORD", OPERATOR), "launch", "--host", address, "--policy-cert",
                    policyCert.toString(), "--keys", operatorKeys.toString(), "--cert", revokedCert.toString(),
                    "--record", tmp.resolve("revoked.launch").toString(), "hello", "world");
            assertThat(revoked.status()).as(revoked.out()).isNotZero();
            // The same key and name as the operator's good certificate: only the revocation refuses it.
            assertThat(revoked.err()).contains("certificate_unknown");
            assertThat(tmp.resolve("revoked.launch")).doesNotExist();

            Result r = tao(env("TAO_PASSWORD", OPERATOR), "launch", "--host", address, "--policy-cert",
                    policyCert.toString(), "--keys", operatorKeys.toString(), "--cert", operatorCert.toString(),
                    "--record", evidence.toString(), "hello", "world");
            assertThat(r.status()).as(r.err()).isZero();
            assertThat(r.out()).isEqualTo("hello world\n");
            assertThat(r.err()).contains(hostName + ".Program([" + hash + "])").contains("record verified");

            Result refused = tao(env("TAO_PASSWORD", OPERATOR), "launch", "--host", address, "--policy-cert",
                    policyCert.toString(), "--keys", strangerKeys.toString(), "--cert", strangerCert.toString(),
                    "--record", tmp.resolve("no.launch").toString(), "hello", "world");
            assertThat(refused.status()).isEqualTo(TaoCli.EXIT_INPUT);
            assertThat(refused.err()).contains("the host refused").contains("\"Launch\", \"hello\"");
            assertThat(tmp.resolve("no.launch")).doesNotExist();
            assertThat(service.runner().find(2)).isEmpty(); // only the operator's one launch got an id
        }

        Path out = tmp.resolve("out.txt");
        Files.writeString(out, "hello world\n");
        Result verified = tao(env(), "launch", "verify", "--policy-cert", policyCert.toString(), "--output",
                out.toString(), evidence.toString());
        assertThat(verified.status()).as(verified.err()).isZero();
        assertThat(verified.out()).startsWith("verified\n").contains("program: " + hostName + ".Program([" + hash + "])")
                .contains("(matches --output)").contains("exit status: 0").contains("root: software key")
                .contains("revocation: NOT checked");

        Files.writeString(out, "hello World\n");
        Result changed = tao(env(), "launch", "verify", "--policy-cert", policyCert.toString(), "--output",
                out.toString(), evidence.toString());
        assertThat(changed.status()).isEqualTo(TaoCli.EXIT_INPUT);
        assertThat(changed.err()).contains("output");

        Result otherNonce = tao(env(), "launch", "verify", "--policy-cert", policyCert.toString(), "--nonce",
                "00".repeat(32), evidence.toString());
        assertThat(otherNonce.status()).isEqualTo(TaoCli.EXIT_INPUT);
        assertThat(otherNonce.err()).contains("nonce");
    }

    @Test
    void hostStart_launchServiceWithoutADomainService_isRefused_forItCouldNotRefuseRevokedClients() throws Exception {
        Path domainDir = tmp.resolve("domain");
        DomainTemplate t = DomainTemplate.parse("name = D\nguard = datalog\n".getBytes(StandardCharsets.UTF_8), "t");
        Domain.create(domainDir, t, POLICY.toCharArray(), Argon2Params.FLOOR).close();
        assertThat(tao(env("TAO_PASSWORD", PASSWORD, "TAO_POLICY_PASSWORD", POLICY), "host", "init", "--root",
                "--domain", domainDir.toString()).status()).isZero();

        Result r = tao(env("TAO_PASSWORD", PASSWORD), "host", "start", "--foreground", "--launch-service",
                "127.0.0.1:0");

        assertThat(r.status()).isEqualTo(TaoCli.EXIT_INPUT);
        assertThat(r.err()).contains("--launch-service needs --domain-service");
    }

    @Test
    void hostStart_launchServiceOutsideADomain_isRefused() {
        assertThat(tao(env("TAO_PASSWORD", PASSWORD), "host", "init", "--root").status()).isZero();

        Result r = tao(env("TAO_PASSWORD", PASSWORD), "host", "start", "--foreground", "--launch-service",
                "127.0.0.1:0");

        assertThat(r.status()).isEqualTo(TaoCli.EXIT_INPUT);
        assertThat(r.err()).contains("--launch-service needs a host in a domain");
    }
}
