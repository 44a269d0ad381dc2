package dev.cloudproxy.tao.agent.api;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.Socket;
import java.nio.channels.SocketChannel;
import java.util.Optional;

/**
 * The peer of a connection that the Tao agent carries over a Tao channel: its principal name, as
 * the channel verified it against the domain's policy certificate.
 */
public final class TaoConnections {
    private static final String HOOKS = "dev.cloudproxy.tao.agent.ChannelHooks";

    private TaoConnections() {}

    /**
     * The verified principal of the peer of {@code socket}, in the auth language's text; empty if
     * the connection is not a Tao channel (no rule selected it, or the program does not run under
     * the agent). Waits for the channel's handshake if it is still under way.
     *
     * @throws java.io.IOException if the connection is a Tao channel whose handshake failed
     */
    public static Optional<String> peer(Socket socket) throws java.io.IOException {
        return peer(socket.getLocalPort(), socket.getInetAddress(), socket.getPort());
    }

    /** The same for a connected {@link SocketChannel}. */
    public static Optional<String> peer(SocketChannel channel) throws java.io.IOException {
        Socket s = channel.socket();
        return peer(s.getLocalPort(), s.getInetAddress(), s.getPort());
    }

    private static Optional<String> peer(int localPort, java.net.InetAddress remote, int remotePort)
            throws java.io.IOException {
        if (remote == null) {
            return Optional.empty(); // not connected
        }
        Method m;
        try {
            m = Class.forName(HOOKS, true, ClassLoader.getSystemClassLoader()).getMethod("peer", int.class, java.net.InetAddress.class, int.class);
        } catch (ClassNotFoundException | NoSuchMethodException e) {
            return Optional.empty();
        }
        try {
            return Optional.ofNullable((String) m.invoke(null, localPort, remote, remotePort));
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof java.io.IOException io) {
                throw io;
            }
            throw new IllegalStateException(e.getCause());
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }
}
