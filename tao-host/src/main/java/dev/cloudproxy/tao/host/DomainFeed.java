package dev.cloudproxy.tao.host;

import dev.cloudproxy.tao.TaoException;
import dev.cloudproxy.tao.VerificationException;
import dev.cloudproxy.tao.domain.Domain;
import dev.cloudproxy.tao.domain.DomainException;
import dev.cloudproxy.tao.domain.DomainServiceClient;
import dev.cloudproxy.tao.domain.GuardType;
import dev.cloudproxy.tao.domain.RevocationList;
import dev.cloudproxy.tao.guard.GuardException;
import dev.cloudproxy.tao.guard.RuleSetGuard;
import dev.cloudproxy.tao.io.AtomicFiles;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CRLException;
import java.security.cert.X509CRL;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Keeps a host's copy of its domain's signed policy and CRL current, fetched from the domain
 * service, so that a policy changed on the domain's machine reaches hosts on other machines
 * (docs/host.md, "Policy and CRL from the domain service").
 *
 * <p><b>The cache</b> is {@code HOSTDIR/domain/}: the domain's public files ({@code
 * policy.cert.pem}, {@code tao.config} and its signature, the rule file), copied once from the
 * domain directory by {@link #prepareCache}, plus {@code crl.der}. The host loads its guard from
 * there ({@link HostSetup}), and the guard rereads its rule file whenever this feed replaces it,
 * so a program newly authorized or retracted is admitted or refused at its next start, without a
 * host restart.
 *
 * <p><b>Guarantees.</b>
 * <ul>
 *   <li>Trust comes from the policy certificate copied at {@link #prepareCache} (from the domain
 *       directory the host was made with), never from the service: a fetched rule file is written
 *       only if the cached guard verifies it (signed by that policy key, of the guard's kind, every
 *       rule decoding), a CRL only if {@link RevocationList#verifySignature} accepts it against
 *       that certificate. A tampered file or list is refused with a {@link VerificationException}
 *       and a log line, and the cache keeps what it had.
 *   <li>Never backwards: a rule file whose signed policy version is lower than the cached one, or
 *       a CRL whose number is lower, is refused with an {@link OlderVersionException} and a log
 *       line. An equal version changes nothing. The versions held are those in the cached files,
 *       so this holds across host restarts too (against anyone but whoever can write the host
 *       directory, who can replace the cache as they can replace the host's keys).
 *   <li>Works from the cache while the service is away: a failed fetch is logged once (and once
 *       more when the service is back), the host keeps enforcing the cached policy, and the feed
 *       tries again every {@code min(ttl, 30 s)}. A policy is kept however old: refusing every
 *       program because the service is unreachable would let whoever blocks it stop the host, and
 *       the last policy the policy key signed is still the domain's word. Once nothing was
 *       fetched for {@code maxStaleness} that is logged once as a warning. The CRL is kept too,
 *       but {@link #currentCrl()} gives it only until its own {@code nextUpdate}: past that there
 *       is no current CRL, and whoever checks revocation with it must refuse new peers (as the
 *       channels' {@code RevocationChecker} does).
 * </ul>
 *
 * <p>Thread-safe: fetches are serialized.
 */
public final class DomainFeed implements AutoCloseable {
    /** How long a fetched policy and CRL are used before they are fetched again, by default. */
    public static final Duration DEFAULT_TTL = Duration.ofMinutes(5);
    /** After how long without a successful fetch the host warns, by default. */
    public static final Duration DEFAULT_MAX_STALENESS = Duration.ofHours(24);
    /** The cached CRL, DER, in the cache directory. */
    public static final String CRL_FILE = "crl.der";

    private static final System.Logger LOG = System.getLogger(DomainFeed.class.getName());
    private static final Duration MAX_RETRY = Duration.ofSeconds(30);

    /** Where a feed fetches from: the domain service, or a test's stand-in. */
    public interface Source {
        /** The signed rule file, unverified. */
        byte[] policyFile() throws IOException, TaoException;

        /** The CRL as DER, unverified. */
        byte[] crl() throws IOException, TaoException;

        /** The domain service's replicas through {@code client}. */
        static Source of(DomainServiceClient client) {
            Objects.requireNonNull(client, "client");
            return new Source() {
                @Override
                public byte[] policyFile() throws IOException, TaoException {
                    return client.fetchPolicyFile();
                }

                @Override
                public byte[] crl() throws IOException, TaoException {
                    return client.fetchCrlDer();
                }
            };
        }
    }

    private final Path cache;
    private final Domain domain;
    private final Optional<RuleSetGuard> guard;
    private final Source source;
    private final Duration ttl;
    private final Duration maxStaleness;
    private final Clock clock;
    private X509CRL crl;
    private Instant lastSuccess;
    private Instant lastAttempt;
    private boolean unavailableLogged;
    private boolean staleLogged;
    private ScheduledExecutorService timer;

    private DomainFeed(Path cache, Domain domain, Source source, Duration ttl, Duration maxStaleness, Clock clock,
            X509CRL crl) {
        this.cache = cache;
        this.domain = domain;
        this.guard = domain.guard() instanceof RuleSetGuard r && r.file().isPresent() ? Optional.of(r) : Optional.empty();
        this.source = source;
        this.ttl = ttl;
        this.maxStaleness = maxStaleness;
        this.clock = clock;
        this.crl = crl;
        // Counted from start: the cache may be old, but it was good when written.
        this.lastSuccess = clock.instant();
    }

    /**
     * Makes {@code dir}'s cache from the domain directory {@code domainDir} if the cache does not
     * exist yet: the domain is loaded (every signature checked) and its public files copied. Does
     * nothing when the cache exists, so a host whose domain directory is on another machine
     * keeps starting from its cache.
     *
     * @return the cache directory
     * @throws DomainException if {@code domainDir} does not hold a domain that verifies
     */
    public static Path prepareCache(HostDirectory dir, Path domainDir) throws IOException, DomainException {
        Path cache = dir.domainCache();
        if (Files.isRegularFile(cache.resolve(Domain.CONFIG_FILE))) {
            return cache;
        }
        Domain domain = Domain.load(domainDir);
        AtomicFiles.createPrivateDirectories(cache);
        GuardType type = domain.guardType();
        if (type.hasRules()) {
            byte[] rules = AtomicFiles.readAtMost(domainDir.resolve(type.fileName()), RuleSetGuard.maxFileSize() + 1);
            AtomicFiles.writeOwnerOnly(cache.resolve(type.fileName()), rules);
        }
        // The configuration last, as Domain.create writes it: a cache without it is not a cache.
        for (String name : List.of(Domain.POLICY_CERT_FILE, Domain.CONFIG_SIGNATURE_FILE, Domain.CONFIG_FILE)) {
            AtomicFiles.write(cache.resolve(name), AtomicFiles.readAtMost(domainDir.resolve(name), 64 * 1024 + 1),
                    AtomicFiles.PUBLIC_READ);
        }
        Domain.load(cache);
        return cache;
    }

    /**
     * A feed for the cache of {@code dir} (made by {@link #prepareCache}) from {@code source}.
     * Fetches nothing yet: call {@link #refreshNow()} or {@link #start()}.
     *
     * @throws DomainException if the cache does not hold a domain that verifies
     */
    public static DomainFeed open(HostDirectory dir, Source source, Duration ttl, Duration maxStaleness, Clock clock)
            throws IOException, DomainException {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(clock, "clock");
        if (ttl.isNegative() || ttl.isZero() || maxStaleness.isNegative()) {
            throw new IllegalArgumentException("the TTL must be positive and the staleness bound not negative");
        }
        Path cache = dir.domainCache();
        Domain domain = Domain.load(cache);
        X509CRL crl = null;
        Path crlFile = cache.resolve(CRL_FILE);
        if (Files.exists(crlFile)) {
            try {
                crl = RevocationList.verifySignature(AtomicFiles.readAtMost(crlFile, RevocationList.MAX_BYTES + 1),
                        domain.policyCertificate());
            } catch (VerificationException e) {
                LOG.log(Level.WARNING, "ignoring the cached CRL " + crlFile + ": " + e.getMessage());
            }
        }
        return new DomainFeed(cache, domain, source, ttl, maxStaleness, clock, crl);
    }

    /** The cached domain: its guard is the one the host enforces. */
    public Domain domain() {
        return domain;
    }

    /** The policy version of the cached rule file (0 for a domain without one). */
    public long policyVersion() {
        return guard.map(RuleSetGuard::policyVersion).orElse(0L);
    }

    /** The CRL number of the cached list, if there is one. */
    public synchronized Optional<BigInteger> crlNumber() {
        return Optional.ofNullable(crl).map(RevocationList::number);
    }

    /** The cached CRL while it is current (its {@code nextUpdate} not passed); else empty. */
    public synchronized Optional<X509CRL> currentCrl() {
        if (crl == null || crl.getNextUpdate() == null || !crl.getNextUpdate().toInstant().isAfter(clock.instant())) {
            return Optional.empty();
        }
        return Optional.of(crl);
    }

    /**
     * Fetches the rule file and, if it is newer than the cached one, replaces the cached file
     * (atomically); the host's guard takes it at its next decision.
     *
     * @return whether the cache changed
     * @throws OlderVersionException if the file is older than the cached one (nothing changed)
     * @throws VerificationException if the file is not a rule file the cached guard accepts
     * @throws IOException if the service cannot be reached or the cache cannot be written
     */
    public synchronized boolean refreshPolicy() throws IOException, TaoException {
        if (guard.isEmpty()) {
            return false;
        }
        RuleSetGuard rules = guard.get();
        byte[] file = source.policyFile();
        long version;
        try {
            version = rules.verifyFile(file);
        } catch (GuardException e) {
            LOG.log(Level.WARNING, "refused the rule file from the domain service: " + e.getMessage());
            throw new VerificationException("the rule file from the domain service does not verify: " + e.getMessage(), e);
        }
        long held = rules.policyVersion();
        if (version < held) {
            OlderVersionException e = new OlderVersionException("policy", BigInteger.valueOf(version),
                    BigInteger.valueOf(held));
            LOG.log(Level.WARNING, e.getMessage());
            throw e;
        }
        Path cached = rules.file().orElseThrow();
        if (version == held && cachedVersion(rules, cached) >= held) {
            return false;
        }
        // Newer, or the cached file itself was replaced by an older or broken one (which every
        // guard on it refused): the cache is made whole again.
        AtomicFiles.writeOwnerOnly(cached, file);
        long now = rules.policyVersion();
        if (now != version) {
            // Signed by the policy key yet refused by the guard (its bounds): the guard keeps the old rules.
            LOG.log(Level.WARNING, "the guard did not take policy version " + version + ": "
                    + rules.lastReloadFailure().map(Throwable::getMessage).orElse("unknown reason"));
            return false;
        }
        if (version == held) {
            LOG.log(Level.WARNING, "the cached rule file had been replaced by an older or broken one;"
                    + " restored policy version " + version + " from the domain service");
            return false;
        }
        LOG.log(Level.INFO, "policy version " + version + " from the domain service (was " + held + ")");
        return true;
    }

    /** The version of the rule file now in the cache; -1 if it is gone or does not verify. */
    private static long cachedVersion(RuleSetGuard rules, Path cached) {
        try {
            return rules.verifyFile(AtomicFiles.readAtMost(cached, RuleSetGuard.maxFileSize() + 1));
        } catch (IOException | GuardException e) {
            return -1;
        }
    }

    /**
     * Fetches the CRL and, if its number is higher than the cached one's, caches it.
     *
     * @return whether the cache changed
     * @throws OlderVersionException if its CRL number is lower than the cached one's
     * @throws VerificationException if the policy key did not sign it
     * @throws IOException if the service cannot be reached or the cache cannot be written
     */
    public synchronized boolean refreshCrl() throws IOException, TaoException {
        byte[] der = source.crl();
        X509CRL fetched;
        try {
            fetched = RevocationList.verifySignature(der, domain.policyCertificate());
        } catch (VerificationException e) {
            LOG.log(Level.WARNING, "refused the CRL from the domain service: " + e.getMessage());
            throw e;
        }
        BigInteger number = RevocationList.number(fetched);
        if (crl != null) {
            BigInteger held = RevocationList.number(crl);
            if (number.compareTo(held) < 0) {
                OlderVersionException e = new OlderVersionException("CRL", number, held);
                LOG.log(Level.WARNING, e.getMessage());
                throw e;
            }
            if (number.equals(held)) {
                return false;
            }
        }
        try {
            AtomicFiles.write(cache.resolve(CRL_FILE), fetched.getEncoded(), AtomicFiles.PUBLIC_READ);
        } catch (CRLException e) {
            throw new IllegalStateException("a verified CRL does not encode", e);
        }
        crl = fetched;
        return true;
    }

    /**
     * Refreshes the policy and the CRL when the TTL has run out since the last successful fetch
     * (or, after a failure, {@code min(ttl, 30 s)} after it). Never throws: every failure is
     * logged (an unreachable service once until it is back), and the cache stays in use.
     */
    public synchronized void refreshIfDue() {
        Instant now = clock.instant();
        Duration retry = ttl.compareTo(MAX_RETRY) < 0 ? ttl : MAX_RETRY;
        if (!now.isBefore(lastSuccess.plus(ttl)) && (lastAttempt == null || !now.isBefore(lastAttempt.plus(retry)))) {
            refreshLogged();
        }
    }

    /** Refreshes both now, whatever the TTL says; as {@link #refreshIfDue()}, never throws. */
    public synchronized void refreshLogged() {
        Instant now = clock.instant();
        lastAttempt = now;
        IOException unreachable = null;
        boolean refused = false;
        try {
            refreshPolicy();
        } catch (IOException e) {
            unreachable = e;
        } catch (TaoException | RuntimeException e) {
            refused = true; // logged where it was refused
        }
        try {
            refreshCrl();
        } catch (IOException e) {
            unreachable = unreachable == null ? e : unreachable;
        } catch (TaoException | RuntimeException e) {
            refused = true;
        }
        if (unreachable != null && !unavailableLogged) {
            unavailableLogged = true;
            LOG.log(Level.WARNING, "cannot reach the domain service (" + unreachable.getMessage()
                    + "); the host keeps policy version " + policyVersion() + " from " + cache);
        } else if (unreachable == null && unavailableLogged) {
            unavailableLogged = false;
            LOG.log(Level.INFO, "the domain service answers again");
        }
        if (unreachable == null && !refused) {
            lastSuccess = now;
            staleLogged = false;
        } else if (!staleLogged && now.isAfter(lastSuccess.plus(maxStaleness))) {
            staleLogged = true;
            LOG.log(Level.WARNING, "the host's policy and CRL were not refreshed for more than " + maxStaleness
                    + "; it keeps enforcing policy version " + policyVersion());
        }
    }

    /**
     * Fetches once now and then keeps the cache fresh from a daemon thread until {@link #close()}.
     */
    public synchronized void start() {
        if (timer != null) {
            throw new IllegalStateException("already started");
        }
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "tao-domain-feed");
            t.setDaemon(true);
            return t;
        });
        timer.execute(this::refreshLogged);
        long tick = Math.max(1, Math.min(ttl.toMillis(), 1000));
        timer.scheduleWithFixedDelay(this::refreshIfDue, tick, tick, TimeUnit.MILLISECONDS);
    }

    @Override
    public synchronized void close() {
        if (timer != null) {
            timer.shutdownNow();
        }
    }

    @Override
    public String toString() {
        return "DomainFeed[" + cache + ", ttl " + ttl + "]";
    }
}
