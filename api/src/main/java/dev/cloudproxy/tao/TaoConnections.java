package dev.cloudproxy.tao;

import dev.cloudproxy.tao.spi.TaoBinding;
import java.net.Socket;
import java.nio.channels.SocketChannel;
import java.util.Optional;

/**
 * The peer of a connection that the Tao agent carries over a Tao channel: its principal name, as
 * the channel verified it against the domain's policy certificate.
 */
public final class TaoConnections {
    private TaoConnections() {}

    /**
     * The verified principal of the peer of {@code socket}; empty if
     * the connection is not a Tao channel (no rule selected it, or the program does not run under
     * the agent). Waits for the channel's handshake if it is still under way.
     *
     * @throws java.io.IOException if the connection is a Tao channel whose handshake failed
     */
    public static Optional<TaoName> peer(Socket socket) throws java.io.IOException {
        return peer(socket.getLocalPort(), socket.getInetAddress(), socket.getPort());
    }

    /** The same for a connected {@link SocketChannel}. */
    public static Optional<TaoName> peer(SocketChannel channel) throws java.io.IOException {
        Socket s = channel.socket();
        return peer(s.getLocalPort(), s.getInetAddress(), s.getPort());
    }

    private static Optional<TaoName> peer(int localPort, java.net.InetAddress remote, int remotePort)
            throws java.io.IOException {
        if (remote == null) {
            return Optional.empty(); // not connected
        }
        return TaoBinding.provider().peer(localPort, remote, remotePort);
    }
}
