package dev.cloudproxy.tao.tpm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cloudproxy.tao.TaoException;
import dev.cloudproxy.tao.VerificationException;
import dev.cloudproxy.tao.attestation.AttestationVerifier;
import dev.cloudproxy.tao.attestation.Tpm2Quote;
import dev.cloudproxy.tao.keys.Signer;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Certifying an attestation key: MakeCredential in software, ActivateCredential on swtpm. */
class AkCertificationTest {
    private static Swtpm swtpm;
    private static TpmConnection tpm;
    private static Signer policy;
    @TempDir
    Path dir;

    @BeforeAll
    static void start() throws Exception {
        swtpm = Swtpm.start();
        tpm = swtpm.connect();
        policy = Signer.generate();
    }

    @AfterAll
    static void stop() throws Exception {
        policy.close();
        try {
            if (tpm != null) {
                tpm.close();
            }
        } finally {
            swtpm.close();
        }
    }

    private static AkCertifier certifier() {
        return new AkCertifier(policy, List.of(policy.verifier()), AttestationVerifier.create());
    }

    @Test
    void akCertificate_issuedForAQuote_isRecoveredOnlyByTheTpm() throws Exception {
        try (TpmTao tao = TpmTao.create(tpm, dir, List.of(0, TpmTao.HOST_PCR))) {
            X509Certificate ek = AkCertifier.developmentEkCertificate(policy, tao.endorsementKeyPublicArea());
            AkCertifier.Response answer = certifier().certify(tao.akCertificationRequest(ek.getEncoded()));
            X509Certificate cert = tao.activateAkCertificate(answer);
            assertThat(AkCertifier.verifyAkCertificate(cert, policy.verifier())).isEqualTo(tao.attestationKey());
            assertThat(cert.getSubjectX500Principal().getName())
                    .contains("tpm2 AK " + Tpm2Quote.akPrincipal(tao.attestationKey()).toString().substring(6, 38));
        }
    }

    @Test
    void answerForAnotherAk_doesNotActivate() throws Exception {
        try (TpmTao a = TpmTao.create(tpm, dir.resolve("a"), List.of(0));
                TpmTao b = TpmTao.create(tpm, dir.resolve("b"), List.of(0))) {
            X509Certificate ek = AkCertifier.developmentEkCertificate(policy, a.endorsementKeyPublicArea());
            AkCertifier.Response forA = certifier().certify(a.akCertificationRequest(ek.getEncoded()));
            assertThrows(TaoException.class, () -> b.activateAkCertificate(forA));
            byte[] tampered = forA.encIdentity().clone();
            tampered[0] ^= 1;
            AkCertifier.Response bad = new AkCertifier.Response(forA.integrityHmac(), tampered,
                    forA.encryptedSecret(), forA.encryptedCertificate());
            assertThrows(TaoException.class, () -> a.activateAkCertificate(bad));
        }
    }

    @Test
    void requestWithUntrustedEkCertificate_orAnotherAksQuote_isRefused() throws Exception {
        try (TpmTao a = TpmTao.create(tpm, dir.resolve("a"), List.of(0));
                TpmTao b = TpmTao.create(tpm, dir.resolve("b"), List.of(0));
                Signer stranger = Signer.generate()) {
            byte[] ekArea = a.endorsementKeyPublicArea();
            X509Certificate untrusted = AkCertifier.developmentEkCertificate(stranger, ekArea);
            VerificationException e = assertThrows(VerificationException.class,
                    () -> certifier().certify(a.akCertificationRequest(untrusted.getEncoded())));
            assertThat(e.getMessage()).contains("trusted EK issuer");

            X509Certificate ek = AkCertifier.developmentEkCertificate(policy, ekArea);
            AkCertifier.Request ra = a.akCertificationRequest(ek.getEncoded());
            AkCertifier.Request rb = b.akCertificationRequest(ek.getEncoded());
            AkCertifier.Request mixed = new AkCertifier.Request(ra.akPublicArea(), ra.ekPublicArea(), ra.ekCertificate(), rb.quote());
            assertThat(assertThrows(VerificationException.class, () -> certifier().certify(mixed)).getMessage())
                    .contains("not by the AK");
            AkCertifier.Request ekAsAk = new AkCertifier.Request(ra.ekPublicArea(), ra.ekPublicArea(), ra.ekCertificate(), ra.quote());
            assertThrows(VerificationException.class, () -> certifier().certify(ekAsAk));
        }
    }
}
