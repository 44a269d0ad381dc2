package dev.cloudproxy.tao.launch;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudproxy.tao.attestation.Attestation;
import dev.cloudproxy.tao.auth.Bytes;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.PrinExt;
import dev.cloudproxy.tao.guard.AclGuard;
import dev.cloudproxy.tao.host.HostDirectory;
import dev.cloudproxy.tao.host.HostService;
import dev.cloudproxy.tao.host.HostSetup;
import dev.cloudproxy.tao.host.OpenedHost;
import dev.cloudproxy.tao.host.ProgramRunner;
import dev.cloudproxy.tao.host.ProgramUsers;
import dev.cloudproxy.tao.tpm.Swtpm;
import dev.cloudproxy.tao.tpm.TpmParent;
import dev.cloudproxy.tao.tpm.TpmTao;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A launch on a host rooted in a TPM (swtpm): the record's chain ends in a quote. */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class TpmRootedLaunchTest {
    @TempDir
    Path tmp;

    @Test
    void launchOnATpmRootedHost_givesARecordWhoseChainEndsInAQuote() throws Exception {
        Prin alice = Prin.key(new byte[32]).extend(PrinExt.of("Program", new Bytes(new byte[] {1})));
        Path script = TestLaunchDomain.script(tmp, "hello.sh", "echo tpm\n");
        try (Swtpm swtpm = Swtpm.start(); TestLaunchDomain domain = new TestLaunchDomain()) {
            HostDirectory dir = new HostDirectory(tmp.resolve("host"));
            String spec = TpmParent.simulatorSpec("127.0.0.1", swtpm.port());
            byte[] hostCode = MessageDigest.getInstance("SHA-256")
                    .digest("TpmRootedLaunchTest host".getBytes(StandardCharsets.UTF_8));
            try (HostSetup.Staging staging = HostSetup.stage(dir);
                    TpmTao tpm = TpmParent.open(spec, staging.directory().root().resolve("tpm"), hostCode,
                            Optional.of(List.of(0, 7, TpmTao.HOST_PCR)))) {
                HostSetup.initStacked(staging, tpm, spec, Optional.empty());
            }
            try (TpmTao tpm = TpmParent.open(spec, dir.root().resolve("tpm"), hostCode, Optional.empty());
                    OpenedHost opened = HostSetup.openStacked(dir, tpm)) {
                tpm.releaseConnection(); // the host serves without holding swtpm's one connection
                assertThat(opened.host().name().toString()).startsWith("tpm2([");
                AclGuard guard = AclGuard.inMemory();
                guard.authorize(alice, LaunchService.OPERATION, List.of("hello"));
                LaunchCatalog catalog = LaunchCatalog.parse(("Launchable(\"hello\", \"process\", \"" + script
                        + "\", \"run\", 0)\n").getBytes(StandardCharsets.UTF_8));
                X509Certificate hostCert = domain.certifyHost(opened);
                try (HostService host = HostService.start(opened, ProgramRunner.defaultFactories(),
                                ProgramUsers.hostUser());
                        LaunchService service = domain.serve(opened, host, hostCert, guard, catalog,
                                LaunchService.Limits.DEFAULT)) {
                    LaunchClient.Result r = LaunchClient.launch(domain.client(alice), service.address(), "hello",
                            List.of(), LaunchClient.newNonce());

                    VerifiedLaunch v = LaunchRecordVerifier.forDomain(domain.policyCert)
                            .verify(r.record(), r.hostCertificate(), r.nonce(), r.output());
                    assertThat(v.rootedInTpmQuote()).isTrue();
                    assertThat(v.record().program().toString()).startsWith("tpm2([").contains(".PCRs(\"0,7,23\", \"");
                    Attestation innermost = Attestation.parse(r.record()).delegation().orElseThrow();
                    assertThat(innermost.signerType()).isEqualTo(Attestation.SIGNER_TYPE_TPM2);
                    assertThat(innermost.tpm2Quote()).isPresent();
                    assertThat(new String(r.output(), StandardCharsets.UTF_8)).isEqualTo("tpm\n");
                }
            }
        }
    }
}
