package dev.cloudproxy.tao.domain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cloudproxy.tao.VerificationException;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.keys.Argon2Params;
import dev.cloudproxy.tao.keys.Signer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProgramCertificateTest {
    private static final char[] PASSWORD = "pw".toCharArray();
    private static final Prin PROGRAM = parse("key([" + "11".repeat(32) + "]).Program([" + "aa".repeat(32) + "])");

    @TempDir
    Path tmp;

    private Domain domain;
    private Signer programKey;
    private Instant now;

    private static Prin parse(String text) {
        try {
            return Prin.parse(text);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @BeforeEach
    void setUp() throws Exception {
        domain = Domain.create(tmp.resolve("domain"), DomainTest.sampleTemplate(""), PASSWORD, Argon2Params.FLOOR);
        programKey = Signer.generate();
        now = Instant.now();
    }

    @AfterEach
    void tearDown() {
        domain.close();
        programKey.close();
    }

    private X509Certificate issue() {
        return domain.issueCertificate(programKey.verifier(), PROGRAM, Duration.ofDays(1), now);
    }

    @Test
    void issue_thenVerify_returnsThePrincipal() throws Exception {
        X509Certificate cert = issue();

        assertThat(ProgramCertificate.verify(cert, domain.policyCertificate(), now)).isEqualTo(PROGRAM);
        assertThat(cert.getPublicKey().getEncoded()).isEqualTo(programKey.verifier().pkix());
        assertThat(cert.getBasicConstraints()).isEqualTo(-1);
        assertThat(cert.getKeyUsage()[0]).isTrue();
        assertThat(cert.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2");
        assertThat(cert.getSubjectX500Principal().getName()).contains("OU=key(");
        assertThat(cert.getSerialNumber().bitLength()).isEqualTo(129);
    }

    @Test
    void uri_roundTripsAndIsAValidUri() throws Exception {
        String uri = ProgramCertificate.toUri(PROGRAM);

        assertThat(java.net.URI.create(uri).getScheme()).isEqualTo("tao");
        assertThat(uri).doesNotContain("(", "[", "\"");
        assertThat(ProgramCertificate.fromUri(uri)).isEqualTo(PROGRAM);
    }

    @Test
    void fromUri_malformed_throws() {
        for (String bad : List.of("", "tao", "http:key", "tao:%", "tao:%4", "tao:%zz", "tao:key(x", "tao:a b",
                "tao:%FF%FE", "tao:" + "a".repeat(3 * ProgramCertificate.MAX_PRINCIPAL_TEXT + 1))) {
            assertThrows(VerificationException.class, () -> ProgramCertificate.fromUri(bad), bad);
        }
    }

    @Test
    void verify_expired_throws() {
        X509Certificate cert = issue();

        assertThrows(VerificationException.class,
                () -> ProgramCertificate.verify(cert, domain.policyCertificate(), now.plus(Duration.ofDays(2))));
        assertThrows(VerificationException.class,
                () -> ProgramCertificate.verify(cert, domain.policyCertificate(), now.minus(Duration.ofMinutes(5))));
    }

    @Test
    void verify_otherDomain_throws() throws Exception {
        X509Certificate cert = issue();
        try (Domain other = Domain.create(tmp.resolve("other"), DomainTest.sampleTemplate(""), PASSWORD,
                Argon2Params.FLOOR)) {
            assertThrows(VerificationException.class,
                    () -> ProgramCertificate.verify(cert, other.policyCertificate(), now));
        }
    }

    @Test
    void verify_everyFlippedByte_throwsOrDoesNotParse() throws Exception {
        byte[] der = issue().getEncoded();
        for (int mask : new int[] {0x01, 0x80, 0xff}) {
            for (int i = 0; i < der.length; i++) {
                byte[] bad = der.clone();
                bad[i] ^= (byte) mask;
                X509Certificate tampered;
                try {
                    tampered = ProgramCertificate.parseDer(bad);
                } catch (CertificateException e) {
                    continue;
                }
                int at = i;
                // Only the typed exception: never an unchecked one from a parser underneath.
                assertThrows(VerificationException.class,
                        () -> ProgramCertificate.verify(tampered, domain.policyCertificate(), now),
                        () -> "byte " + at + " mask " + mask);
            }
        }
    }

    @Test
    void verify_policyCertificateItself_throws() {
        assertThrows(VerificationException.class,
                () -> ProgramCertificate.verify(domain.policyCertificate(), domain.policyCertificate(), now));
    }

    @Test
    void issue_lifetimeBeyondPolicyExpiry_isCapped() {
        X509Certificate cert = domain.issueCertificate(programKey.verifier(), PROGRAM, Duration.ofDays(100_000), now);

        assertThat(cert.getNotAfter()).isEqualTo(domain.policyCertificate().getNotAfter());
    }

    @Test
    void issue_withoutPolicyKey_throws() throws Exception {
        Domain publicOnly = Domain.load(tmp.resolve("domain"));

        assertThrows(IllegalStateException.class,
                () -> publicOnly.issueCertificate(programKey.verifier(), PROGRAM, Duration.ofDays(1), now));
    }

    @Test
    void parsePem_roundTripsAndRefusesJunk() throws Exception {
        X509Certificate cert = issue();

        assertThat(ProgramCertificate.parsePem(ProgramCertificate.toPem(cert).getBytes(StandardCharsets.US_ASCII)))
                .isEqualTo(cert);
        assertThrows(CertificateException.class, () -> ProgramCertificate.parsePem("junk".getBytes(StandardCharsets.US_ASCII)));
        assertThrows(CertificateException.class, () -> ProgramCertificate.parsePem(new byte[70_000]));
    }

    @Test
    void issuedCertificate_verifiesWithOpenssl() throws Exception {
        Path pem = tmp.resolve("program.pem");
        Files.writeString(pem, ProgramCertificate.toPem(issue()));
        Process p;
        try {
            p = new ProcessBuilder("openssl", "verify", "-x509_strict", "-CAfile",
                    Path.of("domain", Domain.POLICY_CERT_FILE).toString(), "program.pem")
                    .directory(tmp.toFile()).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new AssertionError("openssl is not installed, and this test uses it as an independent TLS/X.509 implementation:"
                    + " install it (Debian/Ubuntu: apt-get install -y openssl) and run again", e);
        }
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();

        assertThat(output.strip()).isEqualTo("program.pem: OK");
    }
}
