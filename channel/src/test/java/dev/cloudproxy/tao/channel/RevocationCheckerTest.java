package dev.cloudproxy.tao.channel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cloudproxy.tao.TestClock;
import dev.cloudproxy.tao.VerificationException;
import dev.cloudproxy.tao.domain.RevocationList;
import java.io.IOException;
import java.math.BigInteger;
import java.security.cert.CRLException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The CRL cache and its fail-closed rules, with an in-memory source and a clock the test moves. */
class RevocationCheckerTest {
    private final TestDomain domain = TestDomain.create("Test Domain");
    private final TestDomain other = TestDomain.create("Other Domain");
    private final TestClock clock = new TestClock(Instant.now());
    private final AtomicInteger fetches = new AtomicInteger();
    /** What the source serves next: CRL bytes, or null to fail as an unreachable service. */
    private volatile byte[] served;

    @AfterEach
    void tearDown() {
        domain.close();
        other.close();
    }

    private final CrlSource source = () -> {
        fetches.incrementAndGet();
        byte[] b = served;
        if (b == null) {
            throw new IOException("connection refused");
        }
        return b.clone();
    };

    private X509Certificate certificate() {
        return domain.issue(domain.nextPrincipal(), clock.instant(), Duration.ofDays(1)).certificate();
    }

    /** A list signed by {@code by}'s policy key, valid from a minute ago for {@code validity}. */
    private byte[] crl(TestDomain by, long number, Duration validity, X509Certificate... revoked) throws CRLException {
        List<RevocationList.Entry> entries = java.util.Arrays.stream(revoked)
                .map(c -> new RevocationList.Entry(c.getSerialNumber(), clock.instant())).toList();
        Instant from = clock.instant().minusSeconds(60);
        return RevocationList.issue(by.policyKey, by.policyCertificate, entries, BigInteger.valueOf(number), from,
                from.plus(validity)).getEncoded();
    }

    private RevocationChecker.Builder builder() {
        return RevocationChecker.builder(domain.policyCertificate, source).clock(clock);
    }

    @Test
    void check_certificateOnTheList_throwsRevoked() throws Exception {
        X509Certificate cert = certificate();
        served = crl(domain, 1, Duration.ofDays(7), cert);

        RevokedCertificateException e = assertThrows(RevokedCertificateException.class,
                () -> builder().build().check(cert));

        assertThat(e).hasMessageContaining(cert.getSerialNumber().toString(16)).hasMessageContaining("revoked");
    }

    @Test
    void check_certificateNotOnTheList_passes() throws Exception {
        X509Certificate revoked = certificate();
        served = crl(domain, 1, Duration.ofDays(7), revoked);
        RevocationChecker checker = builder().build();

        checker.check(certificate());

        assertThat(checker.crlNumber()).contains(BigInteger.ONE);
    }

    @Test
    void check_revokedAfterTheListWasFetched_isRefusedOnceTheRefreshIntervalHasPassed() throws Exception {
        X509Certificate cert = certificate();
        served = crl(domain, 1, Duration.ofDays(7));
        RevocationChecker checker = builder().refreshInterval(Duration.ofSeconds(30)).build();
        checker.check(cert);

        served = crl(domain, 2, Duration.ofDays(7), cert);
        clock.advance(Duration.ofSeconds(29));
        checker.check(cert); // the list held is still within its refresh interval
        clock.advance(Duration.ofSeconds(1));

        assertThrows(RevokedCertificateException.class, () -> checker.check(cert));
        assertThat(fetches).hasValue(2);
    }

    @Test
    void refresh_afterARevocation_refusesAtOnce() throws Exception {
        X509Certificate cert = certificate();
        served = crl(domain, 1, Duration.ofDays(7));
        RevocationChecker checker = builder().build();
        checker.check(cert);

        served = crl(domain, 2, Duration.ofDays(7), cert);
        checker.refresh();

        assertThrows(RevokedCertificateException.class, () -> checker.check(cert));
    }

    @Test
    void check_listPastItsNextUpdate_failsClosed() throws Exception {
        served = crl(domain, 1, Duration.ofSeconds(120));
        RevocationChecker checker = builder().build();
        X509Certificate cert = certificate();
        checker.check(cert);

        clock.advance(Duration.ofSeconds(60));
        RevocationUnknownException e = assertThrows(RevocationUnknownException.class, () -> checker.check(cert));

        assertThat(e).hasMessageContaining("stale");
    }

    @Test
    void check_staleListWhenStaleListsAreAllowed_passesAndStillRefusesRevoked() throws Exception {
        X509Certificate revoked = certificate();
        served = crl(domain, 1, Duration.ofSeconds(120), revoked);
        RevocationChecker checker = builder().allowStaleCrl().build();
        clock.advance(Duration.ofSeconds(61));

        checker.check(certificate());

        assertThrows(RevokedCertificateException.class, () -> checker.check(revoked));
    }

    @Test
    void check_listSignedByAnotherKey_isRejectedAndFailsClosed() throws Exception {
        X509Certificate cert = certificate();
        served = crl(other, 1, Duration.ofDays(7));
        RevocationChecker checker = builder().build();

        assertThrows(VerificationException.class, checker::refresh);
        RevocationUnknownException e = assertThrows(RevocationUnknownException.class, () -> checker.check(cert));
        assertThat(e).hasMessageContaining("not issued by the domain's policy certificate");
        assertThat(checker.crlNumber()).isEmpty();
    }

    @Test
    void check_tamperedList_isRejectedAndFailsClosed() throws Exception {
        X509Certificate cert = certificate();
        byte[] good = crl(domain, 1, Duration.ofDays(7), cert);
        for (int i : new int[] {20, good.length / 2, good.length - 5}) {
            byte[] bad = good.clone();
            bad[i] ^= 0x01;
            served = bad;
            RevocationChecker checker = builder().build();
            assertThrows(VerificationException.class, checker::refresh, "bit flipped at " + i);
            assertThrows(RevocationUnknownException.class, () -> checker.check(cert), "bit flipped at " + i);
        }
    }

    @Test
    void refresh_olderListThanTheOneHeld_isRefusedAndTheNewerKept() throws Exception {
        X509Certificate cert = certificate();
        served = crl(domain, 5, Duration.ofDays(7), cert);
        RevocationChecker checker = builder().build();
        checker.refresh();

        served = crl(domain, 4, Duration.ofDays(7));
        VerificationException e = assertThrows(VerificationException.class, checker::refresh);

        assertThat(e).hasMessageContaining("older than the list held");
        assertThat(checker.crlNumber()).contains(BigInteger.valueOf(5));
        assertThrows(RevokedCertificateException.class, () -> checker.check(cert));
    }

    @Test
    void check_listDatedInTheFuture_isRejected() throws Exception {
        Instant from = clock.instant().plus(Duration.ofMinutes(10));
        served = RevocationList.issue(domain.policyKey, domain.policyCertificate, List.of(), BigInteger.ONE, from,
                from.plus(Duration.ofDays(7))).getEncoded();
        RevocationChecker checker = builder().build();

        VerificationException e = assertThrows(VerificationException.class, checker::refresh);

        assertThat(e).hasMessageContaining("future");
        assertThrows(RevocationUnknownException.class, () -> checker.check(certificate()));
    }

    @Test
    void check_sourceNeverReached_failsClosed() {
        served = null;
        RevocationChecker checker = builder().build();

        RevocationUnknownException e = assertThrows(RevocationUnknownException.class,
                () -> checker.check(certificate()));

        assertThat(e).hasMessageContaining("no CRL of the domain could be fetched").hasMessageContaining("refused");
    }

    @Test
    void check_sourceFailsAfterASuccess_usesTheListHeldUntilMaxUnavailableThenFailsClosed() throws Exception {
        X509Certificate cert = certificate();
        served = crl(domain, 1, Duration.ofDays(7));
        RevocationChecker checker = builder().refreshInterval(Duration.ofSeconds(60))
                .maxUnavailable(Duration.ofSeconds(300)).build();
        checker.check(cert);

        served = null;
        clock.advance(Duration.ofSeconds(299));
        checker.check(cert);
        clock.advance(Duration.ofSeconds(1));

        RevocationUnknownException e = assertThrows(RevocationUnknownException.class, () -> checker.check(cert));
        assertThat(e).hasMessageContaining("could not be fetched");
    }

    @Test
    void check_afterAFailedFetch_triesAgainOnlyAfterTheRetryWait() throws Exception {
        served = null;
        RevocationChecker checker = builder().build();
        X509Certificate cert = certificate();

        assertThrows(RevocationUnknownException.class, () -> checker.check(cert));
        assertThrows(RevocationUnknownException.class, () -> checker.check(cert));
        assertThat(fetches).hasValue(1);

        served = crl(domain, 1, Duration.ofDays(7));
        clock.advance(RevocationChecker.RETRY_AFTER_FAILURE);
        checker.check(cert);
        assertThat(fetches).hasValue(2);
    }

    @Test
    void builder_boundsOutOfRange_throw() {
        assertThrows(IllegalArgumentException.class, () -> builder().refreshInterval(Duration.ofMillis(999)));
        assertThrows(IllegalArgumentException.class,
                () -> builder().refreshInterval(Duration.ofMinutes(2)).maxUnavailable(Duration.ofMinutes(1)).build());
        assertThat(builder().build().refreshInterval()).isEqualTo(RevocationChecker.DEFAULT_REFRESH_INTERVAL);
    }
}
