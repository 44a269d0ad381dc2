package dev.cloudproxy.tao.channel;

import dev.cloudproxy.tao.TaoException;
import dev.cloudproxy.tao.VerificationException;
import dev.cloudproxy.tao.domain.DomainServiceClient;
import dev.cloudproxy.tao.domain.RevocationList;
import java.io.IOException;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Checks certificates against their domain's certificate revocation list (CRL), fetched from a
 * {@link CrlSource} (normally the domain service, {@link CrlSource#domainService}) and cached.
 *
 * <p>Guarantees:
 * <ul>
 *   <li>a list is believed only if {@link RevocationList#verifySignature} accepts it against the
 *       policy certificate given here (issuer, ECDSA-SHA256 signature by the policy key, canonical
 *       DER), its {@code thisUpdate} is not more than a minute ahead, and its CRL number is not
 *       lower than that of the list held (a replayed older list is refused);
 *   <li>a list fetched longer ago than the refresh interval (60 s by default) is fetched again
 *       before the next check is answered, so a certificate revoked at the domain service is
 *       refused by every check that starts more than one refresh interval later, as long as the
 *       service answers;
 *   <li>fails closed: {@link #check} refuses with {@link RevocationUnknownException} when no list
 *       was ever fetched, when the last successful fetch is older than the allowed unavailability
 *       (5 minutes by default), or when the list is past its {@code nextUpdate}; only
 *       {@link Builder#allowStaleCrl()}, an explicit choice that is logged as a warning, accepts a
 *       stale list (never one that failed verification).
 * </ul>
 *
 * <p>No thread of its own: the check that finds the list due fetches it, on its own thread; other
 * threads meanwhile go on with the list held while it is still usable, or wait for the fetch when
 * it is not. After a failed fetch, the next attempt waits {@link #RETRY_AFTER_FAILURE} (or the
 * refresh interval, if shorter), so an unreachable service does not slow every handshake.
 * Thread-safe.
 */
public final class RevocationChecker {
    private static final System.Logger LOG = System.getLogger(RevocationChecker.class.getName());
    /** How often the list is fetched again unless the builder says otherwise. */
    public static final Duration DEFAULT_REFRESH_INTERVAL = Duration.ofSeconds(60);
    /** How long the last list fetched may stand in when fetches fail, unless the builder says otherwise. */
    public static final Duration DEFAULT_MAX_UNAVAILABLE = Duration.ofMinutes(5);
    /** How long {@link #fromDomainService} waits for one fetch of the list: a fetch may hold up one handshake per refresh interval. */
    public static final Duration FETCH_TIMEOUT = Duration.ofSeconds(5);
    /** Least wait between a failed fetch and the next attempt (capped by the refresh interval). */
    public static final Duration RETRY_AFTER_FAILURE = Duration.ofSeconds(5);
    /** A list dated further ahead than this is refused: the issuer's clock or the list is wrong. */
    private static final Duration FUTURE_SKEW = Duration.ofSeconds(60);

    /** A verified list, reduced to what checks need. */
    private record Crl(BigInteger number, Instant nextUpdate, Map<BigInteger, Instant> revoked) {}

    /**
     * What the checker knows: the last verified list and when it was fetched (both null before the
     * first success), and the last failure since then (null if the last fetch succeeded).
     */
    private record State(Crl crl, Instant fetchedAt, Instant failedAt, String failure) {
        static final State NONE = new State(null, null, null, null);
    }

    private final X509Certificate policyCertificate;
    private final CrlSource source;
    private final Duration refreshInterval;
    private final Duration maxUnavailable;
    private final Duration retryAfterFailure;
    private final boolean allowStale;
    private final Clock clock;
    private final ReentrantLock fetching = new ReentrantLock();
    private volatile State state = State.NONE;
    /** The CRL number last warned about as stale; a race at worst repeats one warning. */
    private volatile BigInteger warnedStale;

    private RevocationChecker(Builder b) {
        this.policyCertificate = b.policyCertificate;
        this.source = b.source;
        this.refreshInterval = b.refreshInterval;
        this.maxUnavailable = b.maxUnavailable;
        this.retryAfterFailure = RETRY_AFTER_FAILURE.compareTo(b.refreshInterval) < 0
                ? RETRY_AFTER_FAILURE : b.refreshInterval;
        this.allowStale = b.allowStale;
        this.clock = b.clock;
    }

    /** A checker for the domain of {@code policyCertificate}, whose CRL {@code source} serves. */
    public static Builder builder(X509Certificate policyCertificate, CrlSource source) {
        return new Builder(policyCertificate, source);
    }

    /**
     * A checker for the domain of {@code policyCertificate} that fetches the CRL from the domain
     * service at {@code domainService}, each fetch bounded by {@link #FETCH_TIMEOUT}: what a
     * program that got its certificate from that service should check its peers against.
     *
     * @throws VerificationException if the policy certificate's key is not a P-256 key
     */
    public static Builder fromDomainService(X509Certificate policyCertificate, InetSocketAddress domainService)
            throws VerificationException {
        Objects.requireNonNull(domainService, "domainService");
        return builder(policyCertificate, CrlSource.domainService(
                DomainServiceClient.create(domainService, policyCertificate).withTimeout(FETCH_TIMEOUT)));
    }

    /**
     * As {@link #fromDomainService(X509Certificate, InetSocketAddress)}, from the replicas at
     * {@code domainServices}, tried in turn.
     *
     * @throws VerificationException if the policy certificate's key is not a P-256 key
     */
    public static Builder fromDomainService(X509Certificate policyCertificate, List<InetSocketAddress> domainServices)
            throws VerificationException {
        return builder(policyCertificate, CrlSource.domainService(
                DomainServiceClient.create(domainServices, policyCertificate).withTimeout(FETCH_TIMEOUT)));
    }

    /** Optional settings; every one has a fail-closed default. */
    public static final class Builder {
        private final X509Certificate policyCertificate;
        private final CrlSource source;
        private Duration refreshInterval = DEFAULT_REFRESH_INTERVAL;
        private Duration maxUnavailable = DEFAULT_MAX_UNAVAILABLE;
        private boolean allowStale;
        private Clock clock = Clock.systemUTC();

        private Builder(X509Certificate policyCertificate, CrlSource source) {
            this.policyCertificate = Objects.requireNonNull(policyCertificate, "policyCertificate");
            this.source = Objects.requireNonNull(source, "source");
        }

        /**
         * How long a fetched list is used before it is fetched again (60 s by default): the longest
         * a revoked certificate is still accepted while the source answers. At least one second.
         */
        public Builder refreshInterval(Duration interval) {
            Objects.requireNonNull(interval, "interval");
            if (interval.compareTo(Duration.ofSeconds(1)) < 0) {
                throw new IllegalArgumentException("the CRL refresh interval is at least one second");
            }
            this.refreshInterval = interval;
            return this;
        }

        /**
         * How long after the last successful fetch the list held may still be used while fetches
         * fail (5 minutes by default); after that every check fails. At least the refresh interval
         * (checked by {@link #build}).
         */
        public Builder maxUnavailable(Duration max) {
            this.maxUnavailable = Objects.requireNonNull(max, "max");
            return this;
        }

        /**
         * Accepts a list past its {@code nextUpdate} (fails open on a stale list), with a warning in
         * the log for each such list. Off by default: a stale list means the domain service has
         * not signed a new one, and revocations since may be missing.
         */
        public Builder allowStaleCrl() {
            this.allowStale = true;
            return this;
        }

        /** The clock for the refresh interval and the list's dates (tests). */
        Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** @throws IllegalArgumentException if the allowed unavailability is shorter than the refresh interval */
        public RevocationChecker build() {
            if (maxUnavailable.compareTo(refreshInterval) < 0) {
                throw new IllegalArgumentException("maxUnavailable must be at least the refresh interval");
            }
            return new RevocationChecker(this);
        }
    }

    /** The refresh interval. */
    public Duration refreshInterval() {
        return refreshInterval;
    }

    /**
     * Refuses {@code certificate} if the domain's current list revokes it, or if there is no
     * current list to tell; fetches the list first when it is due.
     *
     * @throws RevokedCertificateException if the list revokes the certificate's serial
     * @throws RevocationUnknownException if no usable list is at hand
     */
    public void check(X509Certificate certificate) throws RevokedCertificateException, RevocationUnknownException {
        Objects.requireNonNull(certificate, "certificate");
        Instant now = clock.instant();
        State s = state;
        if (s.fetchedAt() == null || !now.isBefore(s.fetchedAt().plus(refreshInterval))) {
            s = refreshIfDue(now);
        }
        Crl crl = usable(s, now);
        Instant revokedAt = crl.revoked().get(certificate.getSerialNumber());
        if (revokedAt != null) {
            throw new RevokedCertificateException("the certificate with serial "
                    + certificate.getSerialNumber().toString(16) + " was revoked at " + revokedAt);
        }
    }

    /**
     * Fetches and verifies the list now, whatever the refresh interval says (tests, and callers
     * that learned of a revocation). On failure the list held stays, and the failure counts as
     * a failed fetch.
     *
     * @throws IOException if the source cannot be reached
     * @throws TaoException if the list or the source does not verify
     */
    public void refresh() throws IOException, TaoException {
        fetching.lock();
        try {
            fetch(clock.instant());
        } finally {
            fetching.unlock();
        }
    }

    /** The CRL number of the list held, if one was fetched. */
    public Optional<BigInteger> crlNumber() {
        Crl crl = state.crl();
        return crl == null ? Optional.empty() : Optional.of(crl.number());
    }

    /** Fetches if the list is due and no other thread is at it; returns the state to judge by. */
    private State refreshIfDue(Instant now) {
        State held = state;
        boolean canWait = held.crl() == null || !isUsable(held, now);
        if (canWait) {
            fetching.lock();
        } else if (!fetching.tryLock()) {
            return held; // another thread fetches; the list held is still good enough meanwhile
        }
        try {
            State s = state;
            if (s.fetchedAt() != null && now.isBefore(s.fetchedAt().plus(refreshInterval))) {
                return s; // fetched by another thread while this one waited
            }
            if (s.failedAt() != null && now.isBefore(s.failedAt().plus(retryAfterFailure))) {
                return s;
            }
            try {
                fetch(now);
            } catch (IOException | TaoException e) {
                // Already recorded in the state; check() decides whether the old list still serves.
            }
            return state;
        } finally {
            fetching.unlock();
        }
    }

    /** One fetch under the lock: the new list on success, the failure recorded otherwise. */
    private void fetch(Instant now) throws IOException, TaoException {
        State s = state;
        try {
            byte[] bytes = source.fetch();
            X509CRL crl = RevocationList.verifySignature(bytes, policyCertificate);
            if (crl.getThisUpdate().toInstant().isAfter(now.plus(FUTURE_SKEW))) {
                throw new VerificationException("the CRL is dated in the future: " + crl.getThisUpdate().toInstant());
            }
            BigInteger number = RevocationList.number(crl);
            if (s.crl() != null && number.compareTo(s.crl().number()) < 0) {
                throw new VerificationException("the CRL has number " + number + ", older than the list held ("
                        + s.crl().number() + ")");
            }
            Map<BigInteger, Instant> revoked = new HashMap<>();
            for (RevocationList.Entry e : RevocationList.entries(crl)) {
                revoked.put(e.serial(), e.revokedAt());
            }
            Instant nextUpdate = crl.getNextUpdate() == null ? Instant.MIN : crl.getNextUpdate().toInstant();
            state = new State(new Crl(number, nextUpdate, Map.copyOf(revoked)), now, null, null);
        } catch (IOException | TaoException | RuntimeException e) {
            String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            if (s.failedAt() == null) {
                LOG.log(System.Logger.Level.WARNING, "cannot fetch the domain''s CRL from {0}: {1}", source, why);
            }
            state = new State(s.crl(), s.fetchedAt(), now, why);
            if (e instanceof RuntimeException r) {
                // An unchecked failure of a source is still a failed fetch, never a pass.
                throw new IOException("the CRL source failed: " + why, r);
            }
            throw e;
        }
    }

    private boolean isUsable(State s, Instant now) {
        return s.crl() != null && now.isBefore(s.fetchedAt().plus(maxUnavailable))
                && (allowStale || now.isBefore(s.crl().nextUpdate()));
    }

    /** The list to judge by, or the reason there is none. */
    private Crl usable(State s, Instant now) throws RevocationUnknownException {
        if (s.crl() == null) {
            throw new RevocationUnknownException("no CRL of the domain could be fetched from " + source
                    + (s.failure() == null ? "" : ": " + s.failure()));
        }
        if (!now.isBefore(s.fetchedAt().plus(maxUnavailable))) {
            throw new RevocationUnknownException("the domain's CRL could not be fetched from " + source + " since "
                    + s.fetchedAt() + (s.failure() == null ? "" : ": " + s.failure()));
        }
        if (!now.isBefore(s.crl().nextUpdate())) {
            if (!allowStale) {
                throw new RevocationUnknownException("the domain's CRL is stale (its next update was due "
                        + s.crl().nextUpdate() + ")");
            }
            if (!s.crl().number().equals(warnedStale)) {
                warnedStale = s.crl().number();
                LOG.log(System.Logger.Level.WARNING, "using a stale CRL (number {0}, next update was due {1}) "
                        + "because stale lists are allowed: revocations since may be missing",
                        s.crl().number(), s.crl().nextUpdate());
            }
        }
        return s.crl();
    }

    @Override
    public String toString() {
        return "RevocationChecker[" + source + ", refresh " + refreshInterval + "]";
    }
}
