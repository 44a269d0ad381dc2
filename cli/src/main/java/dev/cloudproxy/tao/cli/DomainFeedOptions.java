package dev.cloudproxy.tao.cli;

import dev.cloudproxy.tao.TaoException;
import dev.cloudproxy.tao.domain.Domain;
import dev.cloudproxy.tao.domain.DomainException;
import dev.cloudproxy.tao.domain.DomainServiceClient;
import dev.cloudproxy.tao.host.DomainFeed;
import dev.cloudproxy.tao.host.HostConfig;
import dev.cloudproxy.tao.host.HostDirectory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * {@code tao host start --domain-service ADDR[,ADDR...] [--policy-ttl DURATION]}: the host takes
 * its domain's policy and CRL from the service, through the cache {@link DomainFeed} keeps in the
 * host directory, instead of from the domain directory recorded at {@code init}.
 */
final class DomainFeedOptions {
    @Option(names = "--domain-service", paramLabel = "HOST:PORT[,HOST:PORT...]",
            description = "Fetch the domain's signed policy and CRL from its domain service (replicas in turn), "
                    + "cache them in the host directory (domain/), and refresh them every --policy-ttl. The cache "
                    + "is made from the domain directory at the first such start; later starts need only the "
                    + "service, and keep working from the cache while it is away.")
    private String services;

    @Option(names = "--policy-ttl", paramLabel = "DURATION",
            description = "How long a fetched policy and CRL are used before they are fetched again "
                    + "(30s, 5m, 1h; default 5m).")
    private String ttl;

    /** Whether the options were given. */
    boolean enabled() {
        return services != null;
    }

    /** Checks the options before anything is opened. */
    void validate(HostConfig config) throws InputException {
        if (services == null) {
            if (ttl != null) {
                throw new InputException("--policy-ttl needs --domain-service");
            }
            return;
        }
        if (config.domain().isEmpty()) {
            throw new InputException("--domain-service: the host is in no domain (make it with 'tao host init --domain')");
        }
        addresses();
        ttl();
    }

    /** Makes the host's cache of the domain's public files, from the domain directory, if it has none. */
    void prepareCache(HostDirectory dir, HostConfig config) throws InputException {
        if (services == null) {
            return;
        }
        Path domainDir = Path.of(config.domain().orElseThrow());
        try {
            DomainFeed.prepareCache(dir, domainDir);
        } catch (DomainException e) {
            throw new InputException("cannot make the host's copy of the domain from " + domainDir + ": "
                    + e.getMessage());
        } catch (IOException e) {
            throw InputException.file("cannot make the host's copy of the domain", domainDir, e);
        }
    }

    /** Starts the feed on the host's cache; null without {@code --domain-service}. Close it when the host stops. */
    DomainFeed start(HostDirectory dir) throws InputException {
        if (services == null) {
            return null;
        }
        try {
            // The service is trusted through the policy certificate the cache pinned, never its own word.
            DomainServiceClient client = DomainServiceClient.create(addresses(),
                    Domain.load(dir.domainCache()).policyCertificate());
            DomainFeed feed = DomainFeed.open(dir, DomainFeed.Source.of(client), ttl(),
                    DomainFeed.DEFAULT_MAX_STALENESS, Clock.systemUTC());
            feed.start();
            return feed;
        } catch (TaoException e) {
            throw new InputException("the host's copy of the domain in " + dir.domainCache() + " does not load: "
                    + e.getMessage());
        } catch (IOException e) {
            throw InputException.file("cannot read the host's copy of the domain", dir.domainCache(), e);
        }
    }

    /** The same options, for the daemon's command line. */
    List<String> arguments() {
        List<String> out = new ArrayList<>();
        if (services != null) {
            out.addAll(List.of("--domain-service", services));
        }
        if (ttl != null) {
            out.addAll(List.of("--policy-ttl", ttl));
        }
        return out;
    }

    /** The domain service replicas given (empty without --domain-service). */
    List<InetSocketAddress> services() throws InputException {
        return services == null ? List.of() : addresses();
    }

    private List<InetSocketAddress> addresses() throws InputException {
        try {
            return DomainServiceClient.parseAddresses(services);
        } catch (IllegalArgumentException e) {
            throw new InputException("--domain-service: " + e.getMessage());
        }
    }

    private Duration ttl() throws InputException {
        if (ttl == null) {
            return DomainFeed.DEFAULT_TTL;
        }
        try {
            return DomainServiceCommand.parseDuration(ttl);
        } catch (IllegalArgumentException e) {
            throw new InputException("--policy-ttl: " + e.getMessage());
        }
    }
}
