package dev.cloudproxy.tao.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudproxy.tao.cli.CliRunner.Result;
import dev.cloudproxy.tao.domain.Domain;
import dev.cloudproxy.tao.domain.DomainTemplate;
import dev.cloudproxy.tao.domain.PolicyFacts;
import dev.cloudproxy.tao.domain.ProgramCertificate;
import dev.cloudproxy.tao.domainservice.DomainService;
import dev.cloudproxy.tao.host.HostDirectory;
import dev.cloudproxy.tao.host.HostSetup;
import dev.cloudproxy.tao.keys.Argon2Params;
import dev.cloudproxy.tao.tpm.Swtpm;
import dev.cloudproxy.tao.tpm.TestEkCa;
import dev.cloudproxy.tao.tpm.TpmConnection;
import dev.cloudproxy.tao.tpm.TpmTao;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tao host init --tpm2 --domain DIR --domain-service ADDR}: a TPM-rooted host gets its host
 * certificate from the running domain service by enrolment, with no policy password in its
 * environment, on swtpm with a test EK CA's certificate in NV.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class HostEnrollCommandTest {
    private static final String PASSWORD = "domain password";

    @TempDir
    Path tmp;

    private Map<String, String> env(boolean policyPassword) {
        Map<String, String> e = new HashMap<>();
        e.put("TAO_HOME", tmp.resolve("home").toString());
        e.put("PATH", "/usr/bin:/bin");
        if (policyPassword) {
            e.put("TAO_PASSWORD", PASSWORD);
        }
        return e;
    }

    private Result tao(boolean policyPassword, String... args) {
        return CliRunner.run(InputStream.nullInputStream(), env(policyPassword), args);
    }

    private HostDirectory dir() {
        return new HostDirectory(tmp.resolve("home").resolve("host"));
    }

    @Test
    void init_withDomainService_enrolsOnceThePcrsAreAllowed_andTheHostStartsWithItsCertificate() throws Exception {
        Path domainDir = tmp.resolve("domain");
        DomainTemplate template = DomainTemplate.parse(Files.readAllBytes(Path.of("..", "docs", "domain_template.txt")),
                "template");
        Domain.create(domainDir, template, PASSWORD.toCharArray(), Argon2Params.FLOOR).close();
        Path caFile = tmp.resolve("ek-ca.pem");
        try (Swtpm swtpm = Swtpm.start(); TestEkCa ekCa = new TestEkCa()) {
            Files.writeString(caFile, ProgramCertificate.toPem(ekCa.certificate()));
            try (TpmConnection tpm = swtpm.connect();
                    TpmTao probe = TpmTao.create(tpm, tmp.resolve("probe"), List.of(0, TpmTao.HOST_PCR))) {
                ekCa.provision(tpm, probe, TpmTao.EndorsementKeyType.ECC_P256);
            }
            Result policy = tao(true, "domain", "policy", domainDir.toString(), "--add-ek-ca", caFile.toString());
            assertThat(policy.status()).as(policy.err()).isEqualTo(TaoCli.EXIT_OK);

            try (Domain domain = Domain.loadWithKeys(domainDir, PASSWORD.toCharArray());
                    DomainService service = DomainService.builder(domain)
                            .listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).start()) {
                assertThat(domain.guard().query(PolicyFacts.trustedEkCa(ekCa.certificate()))).isTrue();
                String[] init = {"host", "init", "--root", "--tpm2", "--tpm-simulator", "127.0.0.1:" + swtpm.port(),
                    "--tpm-pcrs", "0,7,23", "--domain", domainDir.toString(),
                    "--domain-service", "127.0.0.1:" + service.address().getPort(), "--ek-ca", caFile.toString()};

                // The domain does not allow this host's PCR values yet: refused, nothing made.
                Result refused = tao(false, init);
                assertThat(refused.status()).as(refused.err()).isEqualTo(TaoCli.EXIT_INPUT);
                assertThat(refused.err()).contains("the domain service refused to enrol this host")
                        .contains("the quoted PCR values are not allowed: no TrustedTpmPcrs(ext.PCRs(\"0,7,23\", ");
                assertThat(dir().config()).doesNotExist();

                // The operator allows the values the refusal names (as read from a staging machine).
                Matcher m = Pattern.compile("TrustedTpmPcrs\\((ext\\.PCRs\\([^)]*\\))\\)").matcher(refused.err());
                assertThat(m.find()).isTrue();
                Result allow = tao(true, "domain", "policy", domainDir.toString(), "--add-tpm2-pcrs", m.group(1));
                assertThat(allow.status()).as(allow.err()).isEqualTo(TaoCli.EXIT_OK);

                Result enrolled = tao(false, init);
                assertThat(enrolled.status()).as(enrolled.err()).isEqualTo(TaoCli.EXIT_OK);
                assertThat(enrolled.err()).contains("with a host certificate from the domain's service (enrolled)");
                String name = enrolled.out().strip();
                assertThat(name).startsWith("tpm2([").contains(".PCRs(\"0,7,23\", \"").contains(".DatalogGuard([");
                Optional<X509Certificate> cert = HostSetup.readCertificate(dir());
                assertThat(cert).isPresent();
                assertThat(ProgramCertificate.verify(cert.get(), domain.policyCertificate(), Instant.now()).toString())
                        .isEqualTo(name);
                // The service recorded that this attestation key is in a TPM of a trusted manufacturer.
                assertThat(Files.readString(service.auditFile(), StandardCharsets.UTF_8))
                        .contains("\tissued\t" + name + "\t").contains("enrolled: TrustedTpm(");

                Result start = tao(false, "host", "start");
                Optional<ProcessHandle> daemon = HostCommand.readPid(dir()).flatMap(ProcessHandle::of);
                try {
                    assertThat(start.status()).as(start.err()).isEqualTo(TaoCli.EXIT_OK);
                    assertThat(start.out()).startsWith(name + " (pid ");
                    Result stop = tao(false, "host", "stop");
                    assertThat(stop.status()).as(stop.err()).isEqualTo(TaoCli.EXIT_OK);
                } finally {
                    daemon.ifPresent(ProcessHandle::destroyForcibly);
                }
            }
        }
    }

    @Test
    void enrolOptions_areCheckedBeforeAnythingIsMade() {
        assertThat(tao(false, "host", "init", "--root", "--tpm2", "--tpm-simulator", "127.0.0.1:1",
                "--domain-service", "127.0.0.1:1").err()).contains("needs --tpm2 and --domain DIR");
        assertThat(tao(false, "host", "init", "--root", "--ek", "rsa").err()).contains("go with --domain-service");
        assertThat(dir().config()).doesNotExist();
    }
}
