package dev.cloudproxy.tao.channel;

import dev.cloudproxy.tao.TaoException;
import dev.cloudproxy.tao.domain.DomainServiceClient;
import java.io.IOException;
import java.util.Objects;

/**
 * Where a {@link RevocationChecker} gets the domain's CRL: the DER (or PEM) bytes as the source
 * has them. A source need not be trusted: the checker verifies every list against the policy
 * certificate, so a source can only withhold lists, which the checker treats as failing closed.
 */
@FunctionalInterface
public interface CrlSource {
    /**
     * The domain's current CRL.
     *
     * @throws IOException if the source cannot be reached or fails
     * @throws TaoException if the source cannot be authenticated
     */
    byte[] fetch() throws IOException, TaoException;

    /** The CRL that the domain service behind {@code client} serves ({@code GET_CRL}). */
    static CrlSource domainService(DomainServiceClient client) {
        Objects.requireNonNull(client, "client");
        return new CrlSource() {
            @Override
            public byte[] fetch() throws IOException, TaoException {
                return client.fetchCrlDer();
            }

            @Override
            public String toString() {
                return "the domain service at " + client.address().getHostString() + ":" + client.address().getPort();
            }
        };
    }
}
