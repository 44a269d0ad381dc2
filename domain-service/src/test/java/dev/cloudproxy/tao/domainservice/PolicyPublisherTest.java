package dev.cloudproxy.tao.domainservice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cloudproxy.tao.auth.Form;
import dev.cloudproxy.tao.domain.CertificateRefusedException;
import dev.cloudproxy.tao.domain.Domain;
import dev.cloudproxy.tao.domain.DomainServiceClient;
import dev.cloudproxy.tao.domain.DomainTemplate;
import dev.cloudproxy.tao.guard.RuleSetGuard;
import dev.cloudproxy.tao.keys.Argon2Params;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** GET_POLICY: the domain's signed rule file, as the policy key signed it, never an older one. */
class PolicyPublisherTest {
    @TempDir
    Path tmp;

    private ServiceFixture f;

    @AfterEach
    void close() throws Exception {
        if (f != null) {
            f.close();
        }
    }

    private static final String NEW_FACT = "TrustedProgramHash(ext.Program([" + "cc".repeat(32) + "]))";

    private RuleSetGuard guard() {
        return (RuleSetGuard) f.domain.guard();
    }

    /** Changes the policy as 'tao domain policy' does: another process's load, change, save. */
    private void addRule(String rule) throws Exception {
        try (Domain d = Domain.loadWithKeys(f.dir, ServiceFixture.PASSWORD)) {
            d.guard().addRule(rule);
            d.saveGuard();
        }
    }

    @Test
    void getPolicy_afterAPolicyChange_servesTheNewSignedFileWithTheNextVersion() throws Exception {
        f = new ServiceFixture(tmp);
        byte[] first = f.client.fetchPolicyFile();
        assertThat(guard().verifyFile(first)).isEqualTo(1);

        addRule(NEW_FACT);
        byte[] second = f.client.fetchPolicyFile();

        assertThat(guard().verifyFile(second)).isEqualTo(2);
        assertThat(second).isEqualTo(Files.readAllBytes(f.dir.resolve("rules.datalog")));
        assertThat(f.service.metrics().text()).contains("tao_domain_service_policy_requests_total 2\n");
    }

    @Test
    void getPolicy_ruleFileReplacedByAnOlderSignedOne_isNotServed() throws Exception {
        f = new ServiceFixture(tmp);
        Path rules = f.dir.resolve("rules.datalog");
        Path old = tmp.resolve("old.datalog");
        Files.copy(rules, old);
        addRule(NEW_FACT);
        assertThat(guard().verifyFile(f.client.fetchPolicyFile())).isEqualTo(2);

        Files.move(Files.copy(old, tmp.resolve("replay.tmp")), rules, StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.ATOMIC_MOVE);

        IOException e = assertThrows(IOException.class, () -> f.client.fetchPolicyFile());
        assertThat(e.getMessage()).contains("cannot read its rule file");
    }

    @Test
    void getPolicy_liberalDomain_isRefusedWithTheReason() throws Exception {
        String template = "name = Liberal\nguard = liberal\n";
        try (Domain liberal = Domain.create(tmp.resolve("liberal"),
                DomainTemplate.parse(template.getBytes(StandardCharsets.UTF_8), "template"), ServiceFixture.PASSWORD,
                Argon2Params.FLOOR);
                DomainService service = DomainService.builder(liberal)
                        .listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).start()) {
            DomainServiceClient client = DomainServiceClient.create(service.address(), liberal.policyCertificate());

            CertificateRefusedException e = assertThrows(CertificateRefusedException.class, client::fetchPolicyFile);

            assertThat(e.getMessage()).contains("has no rule file");
        }
    }

    @Test
    void getPolicy_largePolicy_isServedWhole() throws Exception {
        f = new ServiceFixture(tmp);
        try (Domain d = Domain.loadWithKeys(f.dir, ServiceFixture.PASSWORD)) {
            for (int i = 0; i < 2000; i++) {
                d.guard().addRule(Form.parse("TrustedProgramHash(ext.Program([" + String.format("%064x", i) + "]))"));
            }
            d.saveGuard();
        }

        byte[] served = f.client.fetchPolicyFile();

        assertThat(served).isEqualTo(Files.readAllBytes(f.dir.resolve("rules.datalog")));
        assertThat(served.length).isGreaterThan(100_000);
    }
}
