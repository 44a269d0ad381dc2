package dev.cloudproxy.tao.bridge;

import dev.cloudproxy.tao.Tao;
import dev.cloudproxy.tao.TaoException;
import dev.cloudproxy.tao.rpc.RpcTao;
import dev.cloudproxy.tao.spi.TaoProvider;
import java.io.IOException;

/**
 * How {@link Tao#parent()} works in a program that has {@code tao-core} on its class path but runs
 * without the Tao agent (a JVM that {@code tao run} started on a host): registered as a
 * {@link java.util.ServiceLoader} service, it connects over {@link RpcTao#parent()}, the socket the
 * host named in {@value RpcTao#SOCKET_ENV}. Under the agent the agent's binding comes first and
 * this provider is never asked.
 */
public final class ParentTaoProvider implements TaoProvider {
    /** For {@link java.util.ServiceLoader}. */
    public ParentTaoProvider() {}

    @Override
    public Tao parent() throws IOException, TaoException {
        return ApiTao.of(RpcTao.parent());
    }
}
