package dev.cloudproxy.tao.domainservice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cloudproxy.tao.domain.CertificateRefusedException;
import dev.cloudproxy.tao.domain.DomainServiceClient;
import dev.cloudproxy.tao.keys.Signer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link DomainServiceClient} with several replica addresses, against the real service. */
class DomainServiceClientFailoverTest {
    @TempDir
    Path tmp;

    @Test
    void certify_oneAddressDead_isAnsweredByTheOtherWhicheverComesFirst() throws Exception {
        try (ServiceFixture f = new ServiceFixture(tmp)) {
            DomainServiceClient client = DomainServiceClient.create(List.of(deadAddress(), f.service.address()),
                    f.domain.policyCertificate());
            for (int i = 0; i < 4; i++) {
                Signer key = f.newKey();
                X509Certificate cert = client.certify(f.hostAttests(f.programName(ServiceFixture.HASH), key),
                        key.verifier());
                assertThat(cert.getPublicKey().getEncoded()).isEqualTo(key.verifier().pkix());
            }
            assertThat(client.fetchCrl()).isNotNull();
        }
    }

    @Test
    void certify_refused_isNotRetriedOnAnotherReplica() throws Exception {
        try (ServiceFixture f = new ServiceFixture(tmp)) {
            // Had the client tried the next address after the refusal, it would fail in transport instead.
            DomainServiceClient client = DomainServiceClient.create(List.of(f.service.address(), deadAddress()),
                    f.domain.policyCertificate());
            Signer key = f.newKey();
            assertThrows(CertificateRefusedException.class, () -> client.certify(
                    f.hostAttests(f.programName(ServiceFixture.OTHER_HASH), key), key.verifier()));
            assertThat(f.auditLines().stream().filter(l -> l.contains("\trefused\t"))).hasSize(1);
        }
    }

    @Test
    void certify_everyAddressDead_namesEachInOneIOException() throws Exception {
        try (ServiceFixture f = new ServiceFixture(tmp)) {
            InetSocketAddress a = deadAddress();
            InetSocketAddress b = deadAddress();
            DomainServiceClient client = DomainServiceClient.create(List.of(a, b), f.domain.policyCertificate());
            Signer key = f.newKey();
            IOException e = assertThrows(IOException.class, () -> client.certify(
                    f.hostAttests(f.programName(ServiceFixture.HASH), key), key.verifier()));
            assertThat(e).hasMessageContaining("no domain service replica answered")
                    .hasMessageContaining(":" + a.getPort()).hasMessageContaining(":" + b.getPort());
            assertThat(e.getSuppressed()).hasSize(2);
        }
    }

    @Test
    void parseAddresses_commaSeparatedList_keepsOrderAndRefusesGarbage() {
        assertThat(DomainServiceClient.parseAddresses("ca1.example:8124, [::1]:9000"))
                .extracting(InetSocketAddress::getHostString, InetSocketAddress::getPort)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("ca1.example", 8124),
                        org.assertj.core.groups.Tuple.tuple("::1", 9000));
        assertThatThrownBy(() -> DomainServiceClient.parseAddresses("ca1.example:8124,"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> DomainServiceClient.parseAddresses("ca1.example"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> DomainServiceClient.create(List.of(), null))
                .isInstanceOf(IllegalArgumentException.class);
    }

    /** A loopback port nothing listens on (bound, then released). */
    private static InetSocketAddress deadAddress() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return new InetSocketAddress(InetAddress.getLoopbackAddress(), s.getLocalPort());
        }
    }
}
