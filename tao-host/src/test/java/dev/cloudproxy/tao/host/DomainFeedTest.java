package dev.cloudproxy.tao.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cloudproxy.tao.TaoException;
import dev.cloudproxy.tao.TestClock;
import dev.cloudproxy.tao.VerificationException;
import dev.cloudproxy.tao.auth.Bytes;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.PrinExt;
import dev.cloudproxy.tao.domain.Domain;
import dev.cloudproxy.tao.domain.DomainTemplate;
import dev.cloudproxy.tao.domain.RevocationList;
import dev.cloudproxy.tao.keys.Argon2Params;
import java.io.IOException;
import java.math.BigInteger;
import java.net.ConnectException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A host whose policy comes from its domain's service: the domain (one directory, with its policy
 * key) changes its policy; the host (another directory, holding only its cache of the domain's
 * public files) takes the change at its next refresh, refuses older and tampered files, and keeps
 * working from its cache while the service is away. The service is a stand-in that serves what
 * the domain directory holds (or what a test makes it serve), so the tests control every answer;
 * {@code DomainDistributionTest} in the cli module runs the real service.
 */
class DomainFeedTest {
    private static final char[] POLICY_PASSWORD = "policy".toCharArray();
    private static final Duration TTL = Duration.ofSeconds(30);

    @TempDir
    Path temp;

    private Path domainDir;
    private HostDirectory hostDir;
    private OpenedHost host;
    private final Served served = new Served();
    private final TestClock clock = new TestClock(Instant.parse("2026-12-01T10:00:00Z"));

    /** What the stand-in service answers next; null: the domain directory's current file. */
    private final class Served implements DomainFeed.Source {
        byte[] policy;
        byte[] crl;
        boolean down;
        int policyFetches;

        @Override
        public byte[] policyFile() throws IOException {
            if (down) {
                throw new ConnectException("Connection refused");
            }
            policyFetches++;
            return policy != null ? policy : Files.readAllBytes(domainDir.resolve("rules.datalog"));
        }

        @Override
        public byte[] crl() throws IOException, TaoException {
            if (down) {
                throw new ConnectException("Connection refused");
            }
            if (crl != null) {
                return crl;
            }
            try {
                return crlNumbered(1);
            } catch (Exception e) {
                throw new IllegalStateException("the test domain cannot sign a CRL", e);
            }
        }
    }

    @BeforeEach
    void domainAndHost() throws Exception {
        domainDir = temp.resolve("domain");
        hostDir = new HostDirectory(temp.resolve("host"));
        DomainTemplate t = DomainTemplate.parse("name = Feed Domain\nguard = datalog\nrule = Start(1)\n"
                .getBytes(StandardCharsets.UTF_8), "t");
        try (Domain domain = Domain.create(domainDir, t, POLICY_PASSWORD, Argon2Params.FLOOR)) {
            HostSetup.initRoot(hostDir, TestHosts.PASSWORD, Optional.of(domain), TestHosts.CHEAP);
        }
        DomainFeed.prepareCache(hostDir, domainDir);
        host = HostSetup.openRoot(hostDir, TestHosts.PASSWORD);
    }

    @AfterEach
    void closeHost() {
        if (host != null) {
            host.close();
        }
    }

    private DomainFeed feed() throws Exception {
        return DomainFeed.open(hostDir, served, TTL, Duration.ofHours(1), clock);
    }

    private Prin program(String hashByte) {
        return host.host().name().extend(PrinExt.of("Program", Bytes.ofHex(hashByte.repeat(32))));
    }

    private boolean hostAdmits(Prin program) {
        return host.guard().isAuthorized(program, "Execute", List.of());
    }

    /** 'tao domain policy' on the domain's machine: load with the key, change, sign and save. */
    private void onTheDomain(String addOrRetract, Prin program) throws Exception {
        try (Domain d = Domain.loadWithKeys(domainDir, POLICY_PASSWORD)) {
            String fact = "Authorized(" + program + ", \"Execute\")";
            if (addOrRetract.equals("add")) {
                d.guard().addRule(fact);
            } else {
                assertThat(d.guard().retractRule(fact)).isTrue();
            }
            d.saveGuard();
        }
    }

    private byte[] crlNumbered(long number) throws Exception {
        try (Domain d = Domain.loadWithKeys(domainDir, POLICY_PASSWORD)) {
            Instant now = clock.instant();
            return d.issueRevocationList(List.of(), BigInteger.valueOf(number), now, now.plus(Duration.ofDays(7)))
                    .getEncoded();
        }
    }

    @Test
    void hostGuard_inADomainWithACache_readsTheCacheNotTheDomainDirectory() {
        assertThat(((dev.cloudproxy.tao.guard.RuleSetGuard) host.guard()).file())
                .contains(hostDir.domainCache().resolve("rules.datalog"));
    }

    @Test
    void policyChangedOnTheDomain_reachesTheHostOnceItsTtlRunsOut_andTheProgramIsAdmittedThenRefused()
            throws Exception {
        Prin app = program("ab");
        try (DomainFeed feed = feed()) {
            assertThat(hostAdmits(app)).isFalse();

            onTheDomain("add", app);
            clock.advance(TTL.minusSeconds(1));
            feed.refreshIfDue();
            assertThat(served.policyFetches).as("nothing fetched within the TTL").isZero();
            assertThat(hostAdmits(app)).isFalse();

            clock.advance(Duration.ofSeconds(1));
            feed.refreshIfDue();
            assertThat(served.policyFetches).isEqualTo(1);
            assertThat(feed.policyVersion()).isEqualTo(2);
            assertThat(hostAdmits(app)).as("admitted at its next start, without a host restart").isTrue();

            onTheDomain("retract", app);
            clock.advance(TTL);
            feed.refreshIfDue();
            assertThat(feed.policyVersion()).isEqualTo(3);
            assertThat(hostAdmits(app)).isFalse();
        }
    }

    @Test
    void replayedOlderPolicy_fromTheService_isRefusedWithItsVersions_andTheHostKeepsTheNewer() throws Exception {
        Prin app = program("cd");
        byte[] old = Files.readAllBytes(domainDir.resolve("rules.datalog"));
        onTheDomain("add", app);
        try (DomainFeed feed = feed()) {
            assertThat(feed.refreshPolicy()).isTrue();
            served.policy = old;

            OlderVersionException e = assertThrows(OlderVersionException.class, feed::refreshPolicy);

            assertThat(e.what()).isEqualTo("policy");
            assertThat(e.offered()).isEqualTo(BigInteger.ONE);
            assertThat(e.held()).isEqualTo(BigInteger.TWO);
            assertThat(feed.policyVersion()).isEqualTo(2);
            assertThat(hostAdmits(app)).isTrue();
        }
        // And after a restart: the version held is the cached file's.
        try (DomainFeed again = feed()) {
            assertThrows(OlderVersionException.class, again::refreshPolicy);
        }
    }

    @Test
    void replayedOlderPolicy_writtenIntoTheCache_isRefusedByTheHostsGuard_andPutRightAtTheNextRefresh()
            throws Exception {
        Prin app = program("ce");
        byte[] old = Files.readAllBytes(domainDir.resolve("rules.datalog"));
        onTheDomain("add", app);
        try (DomainFeed feed = feed()) {
            feed.refreshPolicy();
            assertThat(hostAdmits(app)).isTrue();
            Path cached = hostDir.domainCache().resolve("rules.datalog");
            Files.move(Files.write(temp.resolve("replay"), old), cached, StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);

            assertThat(hostAdmits(app)).isTrue();
            assertThat(((dev.cloudproxy.tao.guard.RuleSetGuard) host.guard()).lastReloadFailure())
                    .hasValueSatisfying(f -> assertThat(f.getMessage()).contains("replayed older policy"));

            // The next refresh puts the current file back, so a restart does not start from the replay.
            assertThat(feed.refreshPolicy()).isFalse();
            assertThat(Files.readAllBytes(cached)).isEqualTo(Files.readAllBytes(domainDir.resolve("rules.datalog")));
            assertThat(hostAdmits(app)).isTrue();
        }
    }

    @Test
    void tamperedPolicy_isRefused_andTheCacheIsUnchanged() throws Exception {
        onTheDomain("add", program("ef"));
        byte[] tampered = Files.readAllBytes(domainDir.resolve("rules.datalog"));
        tampered[tampered.length / 2] ^= 0x01;
        served.policy = tampered;
        byte[] before = Files.readAllBytes(hostDir.domainCache().resolve("rules.datalog"));
        try (DomainFeed feed = feed()) {
            assertThrows(VerificationException.class, feed::refreshPolicy);

            assertThat(feed.policyVersion()).isEqualTo(1);
        }
        assertThat(Files.readAllBytes(hostDir.domainCache().resolve("rules.datalog"))).isEqualTo(before);
    }

    @Test
    void policySignedByAnotherDomain_isRefused() throws Exception {
        Path otherDir = temp.resolve("other");
        DomainTemplate t = DomainTemplate.parse("name = Feed Domain\nguard = datalog\nrule = Other(1)\n"
                .getBytes(StandardCharsets.UTF_8), "t");
        try (Domain other = Domain.create(otherDir, t, POLICY_PASSWORD, Argon2Params.FLOOR)) {
            other.guard().addRule("Authorized(" + program("aa") + ", \"Execute\")");
            other.saveGuard();
        }
        served.policy = Files.readAllBytes(otherDir.resolve("rules.datalog"));
        try (DomainFeed feed = feed()) {
            VerificationException e = assertThrows(VerificationException.class, feed::refreshPolicy);
            assertThat(e.getMessage()).contains("not signed by the policy key");
        }
        assertThat(hostAdmits(program("aa"))).isFalse();
    }

    @Test
    void serviceStopped_hostKeepsWorkingFromItsCache_andTakesTheChangeWhenTheServiceIsBack() throws Exception {
        Prin app = program("12");
        onTheDomain("add", app);
        try (DomainFeed feed = feed()) {
            feed.refreshLogged();
            assertThat(hostAdmits(app)).isTrue();
            Prin later = program("34");
            onTheDomain("add", later);
            served.down = true;

            for (int i = 0; i < 5; i++) {
                clock.advance(TTL);
                feed.refreshIfDue(); // logged once, never thrown
            }

            assertThat(hostAdmits(app)).isTrue();
            assertThat(hostAdmits(later)).isFalse();
            assertThat(feed.policyVersion()).isEqualTo(2);
            assertThat(feed.currentCrl()).isPresent();

            served.down = false;
            clock.advance(TTL);
            feed.refreshIfDue();
            assertThat(hostAdmits(later)).isTrue();
        }
    }

    @Test
    void crlNumberGoingBackwards_isRefused_alsoAfterARestart() throws Exception {
        served.crl = crlNumbered(5);
        try (DomainFeed feed = feed()) {
            assertThat(feed.refreshCrl()).isTrue();
            served.crl = crlNumbered(4);

            OlderVersionException e = assertThrows(OlderVersionException.class, feed::refreshCrl);

            assertThat(e.what()).isEqualTo("CRL");
            assertThat(feed.crlNumber()).contains(BigInteger.valueOf(5));
        }
        try (DomainFeed again = feed()) {
            assertThat(again.crlNumber()).contains(BigInteger.valueOf(5));
            assertThrows(OlderVersionException.class, again::refreshCrl);
            served.crl = crlNumbered(6);
            assertThat(again.refreshCrl()).isTrue();
        }
        assertThat(RevocationList.number(RevocationList.verifySignature(
                Files.readAllBytes(hostDir.domainCache().resolve(DomainFeed.CRL_FILE)),
                Domain.load(domainDir).policyCertificate()))).isEqualTo(6);
    }

    @Test
    void tamperedCrl_isRefused() throws Exception {
        byte[] crl = crlNumbered(2);
        crl[crl.length - 5] ^= 0x01;
        served.crl = crl;
        try (DomainFeed feed = feed()) {
            assertThrows(VerificationException.class, feed::refreshCrl);
            assertThat(feed.crlNumber()).isEmpty();
        }
    }

    @Test
    void cachedCrl_pastItsNextUpdate_isNoLongerCurrent() throws Exception {
        try (DomainFeed feed = feed()) {
            feed.refreshCrl();
            assertThat(feed.currentCrl()).isPresent();

            clock.advance(Duration.ofDays(7));

            assertThat(feed.currentCrl()).isEmpty();
            assertThat(feed.crlNumber()).contains(BigInteger.ONE);
        }
    }

    @Test
    void prepareCache_existingCache_isLeftAsItIs() throws Exception {
        onTheDomain("add", program("56"));
        try (DomainFeed feed = feed()) {
            feed.refreshPolicy();
        }
        byte[] cached = Files.readAllBytes(hostDir.domainCache().resolve("rules.datalog"));

        DomainFeed.prepareCache(hostDir, temp.resolve("no-such-domain"));

        assertThat(Files.readAllBytes(hostDir.domainCache().resolve("rules.datalog"))).isEqualTo(cached);
    }
}
