package dev.cloudproxy.tao.domainservice;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudproxy.tao.domain.DomainServiceClient;
import dev.cloudproxy.tao.domain.DomainServiceProtocol;
import dev.cloudproxy.tao.keys.Signer;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Connections between {@link DomainServiceClient} and {@link DomainService}: kept open on request, within the service's bounds. */
class DomainServiceConnectionsTest {
    @TempDir
    Path tmp;

    @Test
    void certify_withKeptConnections_sequentialRequestsShareOneConnection() throws Exception {
        try (ServiceFixture f = new ServiceFixture(tmp)) {
            DomainServiceClient client = f.client.withKeptConnections(1);
            for (int i = 0; i < 5; i++) {
                certify(f, client);
            }
            client.closeKeptConnections();

            assertThat(f.service.acceptedConnections()).isEqualTo(1);
        }
    }

    @Test
    void certify_byDefault_eachCallOpensItsOwnConnection() throws Exception {
        try (ServiceFixture f = new ServiceFixture(tmp)) {
            for (int i = 0; i < 3; i++) {
                certify(f, f.client);
            }

            assertThat(f.service.acceptedConnections()).isEqualTo(3);
        }
    }

    @Test
    void certify_moreRequestsThanTheServiceAnswersOnOneConnection_opensANewOne() throws Exception {
        try (ServiceFixture f = new ServiceFixture(tmp)) {
            DomainServiceClient client = f.client.withKeptConnections(1);
            int n = DomainServiceProtocol.MAX_REQUESTS_PER_CONNECTION + 2;
            Signer key = f.newKey();
            var attestation = f.hostAttests(f.programName(ServiceFixture.HASH), key);
            for (int i = 0; i < n; i++) {
                client.certify(attestation, key.verifier());
            }
            client.closeKeptConnections();

            assertThat(f.service.acceptedConnections()).isEqualTo(2);
        }
    }

    @Test
    void certify_keptConnectionClosedByTheService_retriesOnANewOne() throws Exception {
        try (ServiceFixture f = new ServiceFixture(tmp, true, "", b -> b.readTimeout(Duration.ofMillis(1500)))) {
            DomainServiceClient client = f.client.withKeptConnections(1);
            certify(f, client);
            Thread.sleep(3000);

            certify(f, client);
            client.closeKeptConnections();

            assertThat(f.service.acceptedConnections()).isEqualTo(2);
            // An idle kept connection closed by the service is no bad request.
            assertThat(f.auditLines()).noneSatisfy(l -> assertThat(l).contains("\tbad-request\t"));
        }
    }

    private static void certify(ServiceFixture f, DomainServiceClient client) throws Exception {
        Signer key = f.newKey();
        assertThat(client.certify(f.hostAttests(f.programName(ServiceFixture.HASH), key), key.verifier())).isNotNull();
    }
}
