package dev.cloudproxy.tao.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cloudproxy.tao.CoreTao;
import dev.cloudproxy.tao.attestation.Attestation;
import dev.cloudproxy.tao.attestation.AttestationVerifier;
import dev.cloudproxy.tao.attestation.VerifiedStatement;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.Speaksfor;
import dev.cloudproxy.tao.domain.Domain;
import dev.cloudproxy.tao.domain.DomainTemplate;
import dev.cloudproxy.tao.domain.ProgramCertificate;
import dev.cloudproxy.tao.guard.LiberalGuard;
import dev.cloudproxy.tao.keys.Argon2Params;
import dev.cloudproxy.tao.keys.WrongPasswordException;
import dev.cloudproxy.tao.soft.SoftTao;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HostSetupTest {
    private static final char[] PW = TestHosts.PASSWORD;

    @TempDir
    Path temp;

    private HostDirectory dir() {
        return new HostDirectory(temp.resolve("host"));
    }

    @Test
    void root_isNamedByItsKeyAndTheLiberalGuard_andReopensWithItsPassword() throws Exception {
        HostSetup.Initialized init = HostSetup.initRoot(dir(), PW, Optional.empty(), TestHosts.CHEAP);
        assertThat(init.config().name()).isEqualTo(init.config().key().extend(LiberalGuard.INSTANCE.subprincipal()));
        assertThat(init.config().name().toString()).matches("key\\(\\[[0-9a-f]{64}\\]\\)\\.LiberalGuard\\(\\)");
        assertThat(init.certificate()).isEmpty();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir().root()))).isEqualTo("rwx------");
        try (OpenedHost h = HostSetup.openRoot(dir(), PW)) {
            assertThat(h.host().name()).isEqualTo(init.config().name());
            assertThat(h.host().delegation()).isEmpty();
        }
        assertThrows(WrongPasswordException.class, () -> HostSetup.openRoot(dir(), "wrong".toCharArray()));
    }

    @Test
    void init_onAnExistingHost_isRefused() throws Exception {
        HostSetup.initRoot(dir(), PW, Optional.empty(), TestHosts.CHEAP);
        HostException e = assertThrows(HostException.class,
                () -> HostSetup.initRoot(dir(), PW, Optional.empty(), TestHosts.CHEAP));
        assertThat(e.getMessage()).contains("already holds a host");
    }

    @Test
    void editedConfig_isRefused() throws Exception {
        HostSetup.initRoot(dir(), PW, Optional.empty(), TestHosts.CHEAP);
        byte[] config = Files.readAllBytes(dir().config());
        config[config.length - 3] ^= 1;
        Files.write(dir().config(), config);
        HostException e = assertThrows(HostException.class, () -> HostSetup.openRoot(dir(), PW));
        assertThat(e.getMessage()).contains("not signed by the host's key");
    }

    @Test
    void stacked_isNamedUnderItsParent_sealedByIt_andOnlyThatParentOpensIt() throws Exception {
        try (SoftTao parent = SoftTao.ephemeral(); SoftTao other = SoftTao.ephemeral()) {
            HostSetup.Initialized init = HostSetup.initStacked(dir(), parent, "test:parent", Optional.empty());
            Prin name = parent.getTaoName().extend(LiberalGuard.INSTANCE.subprincipal());
            assertThat(init.config().name()).isEqualTo(name);
            assertThat(Files.exists(dir().keys().resolve("keys.tao"))).isFalse();
            try (OpenedHost h = HostSetup.openStacked(dir(), parent)) {
                assertThat(h.host().name()).isEqualTo(name);
                Attestation d = h.host().delegation().orElseThrow();
                VerifiedStatement v = AttestationVerifier.create().verify(d.serialize());
                assertThat(v.delegation()).isPresent();
                assertThat(d.statement().message()).isEqualTo(new Speaksfor(init.config().key(), name));
            }
            HostException e = assertThrows(HostException.class, () -> HostSetup.openStacked(dir(), other));
            assertThat(e.getMessage()).contains("cannot unseal");
            HostException root = assertThrows(HostException.class, () -> HostSetup.openRoot(dir(), PW));
            assertThat(root.getMessage()).contains("stacked");
        }
    }

    @Test
    void inADomain_theHostGetsACertificateFromThePolicyKey_forItsKeyAndName() throws Exception {
        DomainTemplate t = DomainTemplate.parse("name = Test Domain\nguard = datalog\n".getBytes(StandardCharsets.UTF_8), "t");
        Path domainDir = temp.resolve("domain");
        try (Domain domain = Domain.create(domainDir, t, "policy".toCharArray(), Argon2Params.FLOOR)) {
            HostSetup.Initialized init = HostSetup.initRoot(dir(), PW, Optional.of(domain), TestHosts.CHEAP);
            X509Certificate cert = init.certificate().orElseThrow();
            assertThat(init.config().name())
                    .isEqualTo(init.config().key().extend(domain.guard().subprincipal()));
            assertThat(init.config().name().toString()).contains(".DatalogGuard([");
            assertThat(ProgramCertificate.verify(cert, domain.policyCertificate(), Instant.now()))
                    .isEqualTo(init.config().name());
            assertThat(HostSetup.readCertificate(dir())).contains(cert);
            try (OpenedHost h = HostSetup.openRoot(dir(), PW)) {
                assertThat(cert.getPublicKey().getEncoded())
                        .isEqualTo(HostSetup.readPublicKey(dir(), h.config()).pkix());
                assertThat(h.config().domain()).contains(domainDir.toAbsolutePath().toString());
            }
        }
    }

    @Test
    void stackedOverAnyTao_keepsTheSameKeysAcrossOpens() throws Exception {
        try (SoftTao parent = SoftTao.ephemeral()) {
            HostSetup.initStacked(dir(), parent, "test:parent", Optional.empty());
            byte[] blob;
            try (OpenedHost h = HostSetup.openStacked(dir(), parent)) {
                blob = h.host().taoFor(new HostedPrograms().register(ProcessHandle.current().pid(),
                        RpcTaoContractTest.freshProgram())).seal(new byte[] {1, 2, 3}, CoreTao.SEAL_POLICY_ANY);
            }
            try (OpenedHost h = HostSetup.openStacked(dir(), parent)) {
                CoreTao t = h.host().taoFor(new HostedPrograms().register(ProcessHandle.current().pid(),
                        RpcTaoContractTest.freshProgram()));
                assertThat(t.unseal(blob).data()).containsExactly(1, 2, 3);
            }
        }
    }
}
