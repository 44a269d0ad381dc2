package dev.cloudproxy.tao.domainservice;

import dev.cloudproxy.tao.domain.Domain;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;

/**
 * One domain service replica as its own process, for {@link DomainServiceReplicasTest}: {@code
 * ReplicaMain DOMAIN_DIR STORE_ADDRESS PORT}, the policy key's and the database's passwords in
 * {@code TAO_PASSWORD} and {@code TAO_STORE_PASSWORD}. Prints {@code listening} once it serves,
 * then serves until killed.
 */
public final class ReplicaMain {
    private ReplicaMain() {}

    public static void main(String[] args) throws Exception {
        Domain domain = Domain.loadWithKeys(Path.of(args[0]), System.getenv("TAO_PASSWORD").toCharArray());
        PostgresStore store = PostgresStore.open(domain, PostgresLocation.parse(args[1]),
                System.getenv("TAO_STORE_PASSWORD").toCharArray(), PostgresStore.DEFAULT_POOL_SIZE);
        DomainService service = DomainService.builder(domain).store(store)
                .listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), Integer.parseInt(args[2])))
                .start();
        System.out.println("listening");
        System.out.flush();
        service.awaitClosed();
    }
}
