package dev.cloudproxy.tao.launch;

import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.channel.ProgramCredentials;
import dev.cloudproxy.tao.channel.TaoChannels;
import dev.cloudproxy.tao.domain.DomainTemplate;
import dev.cloudproxy.tao.domain.PolicyCertificate;
import dev.cloudproxy.tao.domain.ProgramCertificate;
import dev.cloudproxy.tao.guard.Guard;
import dev.cloudproxy.tao.host.HostService;
import dev.cloudproxy.tao.host.OpenedHost;
import dev.cloudproxy.tao.keys.Signer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * A policy key and certificate in memory that certify a host and its clients, as a domain would,
 * and start the host's launch service. Closing it destroys every key it made.
 */
final class TestLaunchDomain implements AutoCloseable {
    final Signer policyKey = Signer.generate();
    final X509Certificate policyCert = PolicyCertificate.create(policyKey, "launch test", DomainTemplate.X509Details.NONE,
            30);
    private final List<Signer> keys = new ArrayList<>();

    /** A host certificate for {@code opened}, valid for a day. */
    X509Certificate certifyHost(OpenedHost opened) {
        return ProgramCertificate.issue(policyKey, policyCert, opened.host().tlsSigner().verifier(),
                opened.host().name(), Duration.ofDays(1), Instant.now());
    }

    /** {@code host}'s launch service on a loopback port, presenting {@code hostCert}. */
    LaunchService serve(OpenedHost opened, HostService host, X509Certificate hostCert, Guard guard,
            LaunchCatalog catalog, LaunchService.Limits limits) throws Exception {
        TaoChannels hostChannels = TaoChannels.of(ProgramCredentials.of(opened.host().tlsSigner(), List.of(hostCert),
                policyCert));
        return LaunchService.start(new InetSocketAddress("127.0.0.1", 0), hostChannels, host.runner(), guard, catalog,
                limits);
    }

    /** Channels for a new client key that the domain certified as {@code who}. */
    TaoChannels client(Prin who) throws Exception {
        Signer k = Signer.generate();
        keys.add(k);
        X509Certificate cert = ProgramCertificate.issue(policyKey, policyCert, k.verifier(), who, Duration.ofDays(1),
                Instant.now());
        return TaoChannels.of(ProgramCredentials.of(k, List.of(cert), policyCert));
    }

    /** A new key, destroyed with this domain. */
    Signer newKey() {
        Signer k = Signer.generate();
        keys.add(k);
        return k;
    }

    /** A script every user may read and run (a root host runs it under a program user). */
    static Path script(Path dir, String name, String body) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, "#!/bin/sh\n" + body);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        return p;
    }

    /** Stops a host's launch service, then the host, then closes its keys and this domain; nulls are skipped. */
    void closeWith(LaunchService service, HostService host, OpenedHost opened) throws IOException {
        try {
            if (service != null) {
                service.close();
            }
            if (host != null) {
                host.close();
            }
        } finally {
            if (opened != null) {
                opened.close();
            }
            close();
        }
    }

    @Override
    public void close() {
        keys.forEach(Signer::close);
        policyKey.close();
    }
}
