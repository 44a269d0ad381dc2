package dev.cloudproxy.tao.domain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cloudproxy.tao.VerificationException;
import dev.cloudproxy.tao.keys.Argon2Params;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.X509CRL;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RevocationListTest {
    private static final char[] PASSWORD = "pw".toCharArray();

    @TempDir
    Path tmp;

    private Domain domain;
    private Instant now;

    @BeforeEach
    void setUp() throws Exception {
        domain = Domain.create(tmp.resolve("d"), DomainTest.sampleTemplate(""), PASSWORD, Argon2Params.FLOOR);
        now = Instant.now();
    }

    @AfterEach
    void tearDown() {
        domain.close();
    }

    private X509CRL issue(BigInteger... serials) {
        List<RevocationList.Entry> entries = java.util.Arrays.stream(serials)
                .map(s -> new RevocationList.Entry(s, now)).toList();
        return domain.issueRevocationList(entries, BigInteger.valueOf(7), now, now.plus(Duration.ofDays(7)));
    }

    @Test
    void issue_thenVerify_listsTheEntriesAndNumber() throws Exception {
        X509CRL crl = issue(BigInteger.TWO, BigInteger.TEN);

        X509CRL verified = RevocationList.verify(crl.getEncoded(), domain.policyCertificate(), now);
        X509CRL fromPem = RevocationList.verify(RevocationList.toPem(crl).getBytes(StandardCharsets.US_ASCII),
                domain.policyCertificate(), now);

        assertThat(RevocationList.entries(verified)).extracting(RevocationList.Entry::serial)
                .containsExactly(BigInteger.TWO, BigInteger.TEN);
        assertThat(RevocationList.number(fromPem)).isEqualTo(7);
    }

    @Test
    void verify_staleOrFuture_throws() {
        X509CRL crl = issue(BigInteger.TWO);

        assertThrows(VerificationException.class,
                () -> RevocationList.verify(crl.getEncoded(), domain.policyCertificate(), now.plus(Duration.ofDays(8))));
        assertThrows(VerificationException.class,
                () -> RevocationList.verify(crl.getEncoded(), domain.policyCertificate(), now.minus(Duration.ofHours(1))));
    }

    @Test
    void verify_otherDomain_throws() throws Exception {
        X509CRL crl = issue(BigInteger.TWO);
        try (Domain other = Domain.create(tmp.resolve("o"), DomainTest.sampleTemplate(""), PASSWORD,
                Argon2Params.FLOOR)) {
            assertThrows(VerificationException.class,
                    () -> RevocationList.verify(crl.getEncoded(), other.policyCertificate(), now));
        }
    }

    @Test
    void verify_everyFlippedBit_throws() throws Exception {
        byte[] der = issue(BigInteger.TWO, BigInteger.TEN).getEncoded();
        for (int i = 0; i < der.length * 8; i++) {
            byte[] bad = der.clone();
            bad[i / 8] ^= (byte) (1 << (i % 8));
            assertThrows(VerificationException.class,
                    () -> RevocationList.verify(bad, domain.policyCertificate(), now), "bit " + i);
        }
    }

    @Test
    void verify_truncatedOrTrailingOrOversized_throws() throws Exception {
        byte[] der = issue(BigInteger.TWO).getEncoded();
        byte[] trailing = java.util.Arrays.copyOf(der, der.length + 1);

        assertThrows(VerificationException.class, () -> RevocationList.verify(
                java.util.Arrays.copyOf(der, der.length - 1), domain.policyCertificate(), now));
        assertThrows(VerificationException.class, () -> RevocationList.verify(trailing, domain.policyCertificate(), now));
        assertThrows(VerificationException.class, () -> RevocationList.verify(
                new byte[RevocationList.MAX_BYTES + 1], domain.policyCertificate(), now));
        assertThrows(VerificationException.class, () -> RevocationList.verify(new byte[0], domain.policyCertificate(), now));
    }
}
