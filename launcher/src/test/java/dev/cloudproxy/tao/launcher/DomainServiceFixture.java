package dev.cloudproxy.tao.launcher;

import dev.cloudproxy.tao.domain.Domain;
import dev.cloudproxy.tao.domain.ProgramCertificate;
import dev.cloudproxy.tao.domainservice.DomainService;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * For tests that run apps under the launcher with Tao channels: one liberal domain and its real
 * domain service on loopback per test class, the launcher options that name them, and a Tao home
 * per launched role.
 */
abstract class DomainServiceFixture {
    private static final char[] PASSWORD = "domain password".toCharArray();

    @TempDir
    static Path shared;

    static Domain domain;
    static DomainService service;
    static Path policy;

    @TempDir
    Path tmp;

    @BeforeAll
    static void domain() throws Exception {
        domain = TestDomains.liberal(shared.resolve("domain"), PASSWORD);
        service = DomainService.builder(domain).listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).start();
        policy = Files.writeString(shared.resolve("policy.pem"), ProgramCertificate.toPem(domain.policyCertificate()));
    }

    @AfterAll
    static void stop() throws Exception {
        service.close();
        domain.close();
    }

    /** {@code --domain-service} and {@code --policy-cert} for this class's domain. */
    List<String> domainArgs() {
        return List.of("--domain-service", "127.0.0.1:" + service.address().getPort(), "--policy-cert", policy.toString());
    }

    /** The environment of a launcher run as {@code who}: a Tao home (so a development root) of its own. */
    Map<String, String> env(String who) throws IOException {
        return Map.of("TAO_HOME", Files.createDirectories(tmp.resolve(who + "-home")).toString(), "HOME", tmp.toString());
    }

    /** A loopback port nothing listens on (now). */
    static int freePort() throws IOException {
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return probe.getLocalPort();
        }
    }
}
