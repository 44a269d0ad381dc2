package dev.cloudproxy.tao.domainservice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cloudproxy.tao.AttestRequest;
import dev.cloudproxy.tao.TaoException;
import dev.cloudproxy.tao.attestation.Attestation;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.PrinExt;
import dev.cloudproxy.tao.auth.PrinTail;
import dev.cloudproxy.tao.auth.Says;
import dev.cloudproxy.tao.auth.Speaksfor;
import dev.cloudproxy.tao.auth.SubPrin;
import dev.cloudproxy.tao.domain.CertificateRefusedException;
import dev.cloudproxy.tao.domain.Enrollment;
import dev.cloudproxy.tao.domain.PolicyFacts;
import dev.cloudproxy.tao.domain.ProgramCertificate;
import dev.cloudproxy.tao.keys.Signer;
import dev.cloudproxy.tao.tpm.Swtpm;
import dev.cloudproxy.tao.tpm.TestEkCa;
import dev.cloudproxy.tao.tpm.TpmConnection;
import dev.cloudproxy.tao.tpm.TpmEnrollment;
import dev.cloudproxy.tao.tpm.TpmTao;
import java.nio.file.Path;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tss.tpm.TPMA_OBJECT;
import tss.tpm.TPMT_PUBLIC;

/**
 * Host enrolment through the domain service, on two swtpm instances: the EK certificates come
 * from a test EK CA (made here, as a manufacturer's would be) and are read from the TPM's NV, the
 * challenge is activated by the TPM, and every refusal is one audit line.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class EnrollmentTest {
    /** The guard the test host appends to its name, as a host appends the guard it enforces. */
    private static final PrinTail GUARD = PrinTail.of(PrinExt.of("TestGuard"));
    private static final List<Integer> PCRS = List.of(0, 16);

    private static Swtpm swtpmA;
    private static Swtpm swtpmB;
    private static TpmConnection tpmA;
    private static TpmConnection tpmB;
    private static TestEkCa ekCa;
    private static X509Certificate ca;

    @TempDir
    Path tmp;

    @BeforeAll
    static void startTpms() throws Exception {
        swtpmA = Swtpm.start();
        swtpmB = Swtpm.start();
        tpmA = swtpmA.connect();
        tpmB = swtpmB.connect();
        ekCa = new TestEkCa();
        ca = ekCa.certificate();
    }

    @AfterAll
    static void stopTpms() throws Exception {
        ekCa.close();
        tpmA.close();
        tpmB.close();
        swtpmA.close();
        swtpmB.close();
    }

    /** One TPM-rooted host on {@code tpm}: its TPM Tao, host key and name, and its EK certificate chain from NV. */
    private record Host(TpmTao tao, Signer key, Prin name, List<byte[]> ekChain) {
        Enrollment.Request request() throws Exception {
            return tao.enrollmentRequest(ekChain, key.verifier());
        }

        Enrollment.Responder responder() {
            return tao.enrollmentResponder(key.verifier(), name);
        }
    }

    private Host host(ServiceFixture f, TpmConnection tpm, String dir) throws Exception {
        TpmTao tao = TpmTao.create(tpm, tmp.resolve(dir), PCRS);
        byte[] ekCert = ekCa.provision(tpm, tao, TpmTao.EndorsementKeyType.ECC_P256);
        return new Host(tao, f.newKey(), tao.getTaoName().extend(GUARD.ext()), List.of(ekCert, ca.getEncoded()));
    }

    /**
     * A template domain trusting the test EK CA and the test guard, and, if {@code allowPcrs}, the
     * PCR values both fresh TPMs are in.
     */
    private ServiceFixture domain(boolean allowPcrs) throws Exception {
        ServiceFixture f = new ServiceFixture(tmp, false, "", b -> b);
        f.domain.guard().addRule(PolicyFacts.trustedEkCa(ca));
        f.domain.guard().addRule(PolicyFacts.trustedGuard(GUARD));
        if (allowPcrs) {
            f.domain.guard().addRule(PolicyFacts.trustedTpmPcrs(PrinTail.of(tpmA.readPcrs(PCRS).toExtension())));
        }
        f.domain.saveGuard();
        return f;
    }

    /**
     * Enrols, expecting a refusal whose reason contains {@code reason}, and exactly one new audit
     * line saying so; returns that line.
     */
    private static String refused(ServiceFixture f, Enrollment.Request request, Enrollment.Responder responder,
            String reason) throws Exception {
        int before = refusals(f).size();
        CertificateRefusedException e = assertThrows(CertificateRefusedException.class,
                () -> f.client.enroll(request, responder));
        assertThat(e.getMessage()).contains("enrolment refused: ").contains(reason);
        List<String> after = refusals(f);
        assertThat(after).hasSize(before + 1);
        assertThat(after.get(before)).contains(reason);
        return after.get(before);
    }

    @Test
    void enroll_trustedEkCaAndAllowedPcrs_issuesTheHostCertificateAndTheHostsProgramsAreCertified() throws Exception {
        try (ServiceFixture f = domain(true)) {
            Host h = host(f, tpmA, "a");
            Prin ak = h.tao().getTaoName().root();
            assertThat(f.domain.guard().query(PolicyFacts.trustedTpm(ak))).isFalse();

            X509Certificate hostCert = f.client.enroll(h.request(), h.responder());

            assertThat(ProgramCertificate.verify(hostCert, f.domain.policyCertificate(), Instant.now())).isEqualTo(h.name());
            assertThat(hostCert.getPublicKey().getEncoded()).isEqualTo(h.key().verifier().pkix());
            // The service recorded its verified TrustedTpm, standing in for the operator's --add-tpm2.
            assertThat(f.domain.guard().query(PolicyFacts.trustedTpm(ak))).isTrue();
            assertThat(f.auditLines()).filteredOn(l -> l.contains("\tissued\t" + h.name() + "\t"))
                    .singleElement().asString().contains("enrolled: TrustedTpm(" + ak + ") added");

            // The host's program, signed by the host key under the TPM's delegation, with the host certificate.
            Signer programKey = f.newKey();
            Prin program = ServiceFixture.programName(h.name(), ServiceFixture.HASH);
            Attestation delegation = h.tao().attest(AttestRequest.of(new Speaksfor(h.key().principal(), h.name()))
                    .issuer(h.name()));
            long now = System.currentTimeMillis() / 1000;
            Attestation a = Attestation.sign(h.key(), Says.during(program, now, now + 3600,
                    new Speaksfor(programKey.principal(), program)), delegation);
            X509Certificate programCert = f.client.certify(a, programKey.verifier(), List.of(hostCert));
            assertThat(ProgramCertificate.verify(programCert, f.domain.policyCertificate(), Instant.now())).isEqualTo(program);
        }
    }

    @Test
    void enroll_ekCertificateOfAnotherTpm_isRefusedWithAReasonAndAnAuditLine() throws Exception {
        try (ServiceFixture f = domain(true)) {
            Host a = host(f, tpmA, "a");
            Host b = host(f, tpmB, "b");
            // A's EK with B's (trusted) EK certificate.
            Enrollment.Request borrowed = new Enrollment.Request(b.ekChain(), a.tao().endorsementKeyPublicArea(),
                    a.tao().attestationKeyPublicArea(), a.key().verifier());

            refused(f, borrowed, a.responder(), "the EK certificate is for another key than this TPM's EK");
        }
    }

    @Test
    void enroll_akNotResidentInTheTpmOfTheEk_isRefusedWithAReasonAndAnAuditLine() throws Exception {
        try (ServiceFixture f = domain(true)) {
            Host a = host(f, tpmA, "a");
            Host b = host(f, tpmB, "b");
            // B's EK and certificate with A's AK: the credential is for B's EK and A's AK's name.
            Enrollment.Request mixed = new Enrollment.Request(b.ekChain(), b.tao().endorsementKeyPublicArea(),
                    a.tao().attestationKeyPublicArea(), a.key().verifier());
            // Neither TPM can activate it: A lacks B's EK, B lacks A's AK.
            assertThrows(TaoException.class, () -> f.client.enroll(mixed, a.responder()));
            assertThrows(TaoException.class, () -> f.client.enroll(mixed, b.responder()));
            // So the AK's owner can only guess, and a guess is refused.
            Enrollment.Responder guessing = challenge -> {
                Attestation quote = a.tao().attest(AttestRequest.of(
                        Enrollment.statement(a.key().verifier(), a.name(), challenge.nonce())).issuer(a.name()));
                return new Enrollment.Answer(new byte[32], quote);
            };

            refused(f, mixed, guessing,
                    "the activated credential is wrong: the AK is not resident in the TPM that holds the certified EK");
        }
    }

    @Test
    void enroll_nonRestrictedAk_isRefusedWithAReasonAndAnAuditLine() throws Exception {
        try (ServiceFixture f = domain(true)) {
            Host a = host(f, tpmA, "a");
            TPMT_PUBLIC ak = TPMT_PUBLIC.fromTpm(a.tao().attestationKeyPublicArea());
            ak.objectAttributes = new TPMA_OBJECT(ak.objectAttributes.toInt() & ~TPMA_OBJECT.restricted.toInt());
            Enrollment.Request unrestricted = new Enrollment.Request(a.ekChain(), a.tao().endorsementKeyPublicArea(),
                    ak.toTpm(), a.key().verifier());

            refused(f, unrestricted, a.responder(), "the AK is not a restricted signing key fixed to its TPM");
        }
    }

    @Test
    void enroll_pcrValuesTheDomainDoesNotAllow_isRefusedWithAReasonAndAnAuditLine() throws Exception {
        try (ServiceFixture f = domain(false)) {
            Host a = host(f, tpmA, "a");

            String line = refused(f, a.request(), a.responder(), "the quoted PCR values are not allowed: no TrustedTpmPcrs(");
            assertThat(line).contains("\trefused\t" + a.name() + "\t");
            assertThat(f.domain.guard().query(PolicyFacts.trustedTpm(a.name().root()))).isFalse();
        }
    }

    @Test
    void enroll_replayedAnswer_isRefusedWithAReasonAndAnAuditLine() throws Exception {
        try (ServiceFixture f = domain(true)) {
            Host a = host(f, tpmA, "a");
            AtomicReference<Enrollment.Answer> seen = new AtomicReference<>();
            Enrollment.Responder recording = challenge -> {
                Enrollment.Answer answer = a.responder().answer(challenge);
                seen.set(new Enrollment.Answer(answer.credential(), answer.attestation()));
                return answer;
            };
            f.client.enroll(a.request(), recording);
            Enrollment.Answer old = seen.get();

            // The old answer as it was: the new challenge has another secret.
            refused(f, a.request(), challenge -> old, "the activated credential is wrong");
            // A fresh activation with the old quote: the quote carries the old nonce.
            refused(f, a.request(), challenge -> new Enrollment.Answer(a.responder().answer(challenge).credential(),
                    old.attestation()), "another nonce than this challenge's");
        }
    }

    @Test
    void enroll_rsaEndorsementKey_issuesTheHostCertificate() throws Exception {
        try (ServiceFixture f = domain(true);
                TpmTao tao = TpmTao.create(tpmB, tmp.resolve("rsa"), PCRS)) {
            TpmTao.EndorsementKeyType rsa = TpmTao.EndorsementKeyType.RSA_2048;
            List<byte[]> chain = List.of(ekCa.provision(tpmB, tao, rsa), ca.getEncoded());
            Signer key = f.newKey();
            Prin name = tao.getTaoName().extend(GUARD.ext());

            X509Certificate hostCert = f.client.enroll(tao.enrollmentRequest(rsa, chain, key.verifier()),
                    tao.enrollmentResponder(rsa, key.verifier(), name));

            assertThat(ProgramCertificate.verify(hostCert, f.domain.policyCertificate(), Instant.now())).isEqualTo(name);
            // The ECC EK's certificate with the RSA EK's area: refused.
            Host b = host(f, tpmB, "b");
            assertThat(assertThrows(CertificateRefusedException.class, () -> f.client.enroll(
                    new Enrollment.Request(b.ekChain(), tao.endorsementKeyPublicArea(rsa), tao.attestationKeyPublicArea(),
                            key.verifier()), tao.enrollmentResponder(rsa, key.verifier(), name))).getMessage())
                    .contains("the EK certificate is for another key");
        }
    }

    @Test
    void finish_withoutAChallengeOrTwice_isRefused() throws Exception {
        try (ServiceFixture f = domain(true)) {
            Host a = host(f, tpmA, "a");
            Enroller enroller = new Enroller(f.domain, new CertificateRegistry(f.domain), java.time.Duration.ofDays(1),
                    java.time.Clock.systemUTC());
            Enroller.Session session = enroller.session();
            Enroller.Outcome none = session.finish(new byte[32], new byte[1]);
            assertThat(none).isInstanceOf(Enroller.Refused.class);
            assertThat(((Enroller.Refused) none).reason()).contains("no enrolment challenge is outstanding");

            Enroller.Outcome begun = session.begin(a.request());
            Enrollment.Answer answer = a.responder().answer(((Enroller.Challenged) begun).challenge());
            byte[] quote = answer.attestation().serialize();
            assertThat(session.finish(answer.credential(), quote)).isInstanceOf(Enroller.Enrolled.class);
            // The same, correct answer again: the challenge was used.
            Enroller.Outcome again = session.finish(answer.credential(), quote);
            assertThat(((Enroller.Refused) again).reason()).contains("no enrolment challenge is outstanding");
        }
    }

    @Test
    void endorsementKeyAreas_eccAndRsa_parseToTheKeyTheirCertificatesCertify() throws Exception {
        try (TpmTao a = TpmTao.create(tpmA, tmp.resolve("a"), PCRS)) {
            PublicKey ecc = TpmEnrollment.endorsementKey(a.endorsementKeyPublicArea());
            assertThat(ecc.getAlgorithm()).isEqualTo("EC");
            PublicKey rsa = TpmEnrollment.endorsementKey(a.endorsementKeyPublicArea(TpmTao.EndorsementKeyType.RSA_2048));
            assertThat(rsa.getAlgorithm()).isEqualTo("RSA");
            assertThat(((java.security.interfaces.RSAPublicKey) rsa).getModulus().bitLength()).isEqualTo(2048);
            // The EK is derived from the endorsement seed: the same TPM gives the same key again.
            assertThat(TpmEnrollment.endorsementKey(a.endorsementKeyPublicArea(TpmTao.EndorsementKeyType.RSA_2048)))
                    .isEqualTo(rsa);
        }
    }

    private static List<String> refusals(ServiceFixture f) throws Exception {
        return f.auditLines().stream().filter(l -> l.contains("\trefused\t") && l.contains("enrolment refused: ")).toList();
    }
}
