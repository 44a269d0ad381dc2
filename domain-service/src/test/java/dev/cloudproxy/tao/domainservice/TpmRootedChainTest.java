package dev.cloudproxy.tao.domainservice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cloudproxy.tao.AttestRequest;
import dev.cloudproxy.tao.TaoException;
import dev.cloudproxy.tao.attestation.Attestation;
import dev.cloudproxy.tao.auth.Form;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.PrinExt;
import dev.cloudproxy.tao.auth.PrinTail;
import dev.cloudproxy.tao.auth.Says;
import dev.cloudproxy.tao.auth.Speaksfor;
import dev.cloudproxy.tao.auth.SubPrin;
import dev.cloudproxy.tao.domain.CertificateRefusedException;
import dev.cloudproxy.tao.domain.PolicyFacts;
import dev.cloudproxy.tao.domain.ProgramCertificate;
import dev.cloudproxy.tao.keys.Signer;
import dev.cloudproxy.tao.tpm.Swtpm;
import dev.cloudproxy.tao.tpm.TpmConnection;
import dev.cloudproxy.tao.tpm.TpmTao;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The domain service on TPM-rooted chains, on swtpm: a host key delegated by a TPM quote
 * ({@code key(host) speaksfor tpm2([ak]).PCRs(..).Guard}) signs for its program, as a TPM-rooted
 * host does. The Datalog template trusts the chain's root when the policy holds
 * {@code TrustedTpm(tpm2([ak]))} and {@code TrustedTpmPcrs(ext.PCRs(..))} for the quoted values.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TpmRootedChainTest {
    /** The guard the test host appends to its name, as a host appends the guard it enforces. */
    private static final PrinTail GUARD = PrinTail.of(PrinExt.of("TestGuard"));
    /** PCR 16 is the debug PCR: extending it stands for any change of the measured boot state. */
    private static final List<Integer> PCRS = List.of(0, 16);

    @TempDir
    Path tmp;

    /** A program of a host whose key the TPM Tao delegated to, and its attestation for {@code key}. */
    private record Chain(Prin program, Attestation attestation) {}

    private static Chain chain(TpmTao tpm, Signer host, Signer key) throws Exception {
        Prin hostName = tpm.getTaoName().extend(GUARD.ext());
        Attestation delegation = tpm.attest(AttestRequest.of(new Speaksfor(host.principal(), hostName)).issuer(hostName));
        Prin program = ServiceFixture.programName(hostName, ServiceFixture.HASH);
        long now = System.currentTimeMillis() / 1000;
        Says says = Says.during(program, now, now + 3600, new Speaksfor(key.principal(), program));
        return new Chain(program, Attestation.sign(host, says, delegation));
    }

    private static void trust(ServiceFixture f, Form... facts) throws Exception {
        for (Form fact : facts) {
            f.domain.guard().addRule(fact);
        }
        f.domain.saveGuard();
    }

    private static PrinTail pcrsOf(Prin tpmName) {
        return new PrinTail(new SubPrin(tpmName.ext().exts().subList(0, 1)));
    }

    @Test
    void programOfATpmRootedHost_isCertified_onlyWhileTheDomainTrustsItsAttestationKeyAndPcrValues() throws Exception {
        try (Swtpm swtpm = Swtpm.start();
                ServiceFixture f = new ServiceFixture(tmp, false, "", b -> b);
                TpmConnection connection = swtpm.connect();
                TpmTao tpm = TpmTao.create(connection, tmp.resolve("tpm"), PCRS)) {
            Signer host = f.newKey();
            Signer key = f.newKey();
            Chain chain = chain(tpm, host, key);
            Prin tpmName = tpm.getTaoName();
            assertThat(chain.program().toString()).startsWith("tpm2([").contains(".PCRs(\"0,16\", \"");

            // Nothing about this TPM in the policy: the root is not trusted.
            CertificateRefusedException untrusted = assertThrows(CertificateRefusedException.class,
                    () -> f.client.certify(chain.attestation(), key.verifier(), List.of()));
            assertThat(untrusted.getMessage()).contains("the chain does not root in a key the domain trusts");
            // The attestation key alone, or the PCR values alone, are not enough.
            trust(f, PolicyFacts.trustedTpm(tpmName.root()), PolicyFacts.trustedGuard(GUARD));
            assertThat(assertThrows(CertificateRefusedException.class,
                    () -> f.client.certify(chain.attestation(), key.verifier(), List.of())).getMessage())
                    .contains("the chain does not root in a key the domain trusts");

            trust(f, PolicyFacts.trustedTpmPcrs(pcrsOf(tpmName)));
            X509Certificate cert = f.client.certify(chain.attestation(), key.verifier(), List.of());
            assertThat(ProgramCertificate.verify(cert, f.domain.policyCertificate(), java.time.Instant.now()))
                    .isEqualTo(chain.program());

            // Another attestation key of the same TPM, in the same PCR state: not trusted.
            try (TpmTao other = TpmTao.create(connection, tmp.resolve("other"), PCRS)) {
                Chain foreign = chain(other, host, key);
                assertThat(other.getTaoName().ext()).isEqualTo(tpmName.ext());
                assertThat(assertThrows(CertificateRefusedException.class,
                        () -> f.client.certify(foreign.attestation(), key.verifier(), List.of())).getMessage())
                        .contains("the chain does not root in a key the domain trusts");
            }

            // A PCR extended: the Tao no longer attests; a TPM Tao made in the new state, its
            // attestation key trusted too, quotes values the domain does not allow, and is refused.
            connection.extendPcr(16, new byte[32]);
            TaoException stale = assertThrows(TaoException.class, () -> chain(tpm, host, key));
            assertThat(stale.getMessage()).contains("changed since this TPM Tao was opened");
            try (TpmTao after = TpmTao.create(connection, tmp.resolve("after"), PCRS)) {
                Chain changed = chain(after, host, key);
                assertThat(after.getTaoName().ext()).isNotEqualTo(tpmName.ext());
                trust(f, PolicyFacts.trustedTpm(after.getTaoName().root()));
                assertThat(assertThrows(CertificateRefusedException.class,
                        () -> f.client.certify(changed.attestation(), key.verifier(), List.of())).getMessage())
                        .contains("the chain does not root in a key the domain trusts");
                assertThat(f.auditLines()).filteredOn(l -> l.contains("\trefused\t" + changed.program() + "\t"))
                        .hasSize(1);
            }

            List<String> audit = f.auditLines();
            assertThat(audit).filteredOn(l -> l.contains("\trefused\t" + chain.program() + "\t")).hasSize(2)
                    .allMatch(l -> l.contains("the chain does not root in a key the domain trusts"));
            assertThat(audit).filteredOn(l -> l.contains("\tissued\t" + chain.program() + "\t")).hasSize(1);
        }
    }
}
