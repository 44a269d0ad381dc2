package dev.cloudproxy.tao.spi;

import dev.cloudproxy.tao.Tao;
import dev.cloudproxy.tao.TaoException;
import dev.cloudproxy.tao.TaoName;
import java.io.IOException;
import java.net.InetAddress;
import java.util.Optional;

/**
 * What the Tao API's static entry points ({@link Tao#parent()},
 * {@link dev.cloudproxy.tao.TaoSealedState#flush()}, {@link dev.cloudproxy.tao.TaoConnections})
 * delegate to. For implementers only: the Tao agent binds one in premain
 * ({@link TaoBinding#bind}), and {@code tao-core} offers one as a {@link java.util.ServiceLoader}
 * service for programs that run on a host without the agent. Applications never need this type.
 *
 * <p>The defaults are what a program without the agent gets.
 */
public interface TaoProvider {
    /** The process's connection to the Tao of its host (see {@link Tao#parent()}). */
    Tao parent() throws IOException, TaoException;

    /**
     * Seals the program's {@code @TaoSealed} state now; see {@link dev.cloudproxy.tao.TaoSealedState#flush()}.
     *
     * @throws IllegalStateException if the program does not run under the Tao agent
     */
    default void flushSealedState() throws IOException {
        throw new IllegalStateException("@TaoSealed needs the Tao agent: run this program with tao-launcher");
    }

    /**
     * The verified peer of the connection from {@code localPort} to {@code remote}:{@code remotePort}
     * (the address the application asked for), or empty if it is not carried over a Tao channel.
     *
     * @throws IOException if it is a Tao channel whose handshake failed
     */
    default Optional<TaoName> peer(int localPort, InetAddress remote, int remotePort) throws IOException {
        return Optional.empty();
    }
}
