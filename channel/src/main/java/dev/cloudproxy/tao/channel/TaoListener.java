package dev.cloudproxy.tao.channel;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Objects;
import javax.net.ssl.SSLSocket;

/**
 * Accepts Tao channels on a TCP port: the papers' {@code Listen}.
 *
 * <p>{@link #accept()} runs the TLS handshake and the peer's authentication before it returns, so
 * a channel it returns always has a verified, accepted peer. A connection that fails (a plain TCP
 * client, a TLS client without a certificate, a refused peer) makes that one call throw; the
 * listener stays open, so a server loops:
 *
 * <pre>{@code
 * try (TaoListener listener = TaoListener.listen(8443, credentials)) {
 *     while (true) {
 *         try {
 *             TaoChannel channel = listener.accept();
 *             pool.submit(() -> serve(channel));
 *         } catch (SSLException | SocketTimeoutException e) {
 *             log(e);   // one peer failed or was refused
 *         }
 *     }
 * }
 * }</pre>
 *
 * <p>A peer that stalls its handshake holds {@code accept()} for at most the handshake timeout (10
 * seconds by default); servers that must not wait run the handshakes of accepted sockets on their
 * own threads, with {@link TaoChannels#sslContext()}.
 */
public final class TaoListener implements Closeable {
    /** Runs the handshake and the mode's authentication on an accepted connection. */
    @FunctionalInterface
    interface Opener {
        TaoChannel open(Socket accepted) throws IOException;
    }

    private final Opener opener;
    private final ServerSocket server;

    private TaoListener(Opener opener, ServerSocket server) {
        this.opener = opener;
        this.server = server;
    }

    /**
     * Listens on {@code port} of every interface, with {@code credentials} and the defaults of
     * {@link TaoChannels#of}.
     */
    public static TaoListener listen(int port, ProgramCredentials credentials) throws IOException {
        return credentials.defaultChannels().listen(port);
    }

    static TaoListener bind(ChannelConfig config, InetSocketAddress address) throws IOException {
        Objects.requireNonNull(address, "address");
        // The configured factory's server sockets require client certificates, TLS 1.3 only.
        ServerSocket server = config.context().getServerSocketFactory().createServerSocket();
        return bind(server, address, accepted -> TaoChannel.open(config, (SSLSocket) accepted));
    }

    /** Listens with a plain TCP server socket, each accepted connection handed to {@code opener}. */
    static TaoListener bindPlain(InetSocketAddress address, Opener opener) throws IOException {
        Objects.requireNonNull(address, "address");
        return bind(new ServerSocket(), address, opener);
    }

    private static TaoListener bind(ServerSocket server, InetSocketAddress address, Opener opener) throws IOException {
        try {
            server.bind(address);
        } catch (IOException | RuntimeException e) {
            server.close();
            throw e;
        }
        return new TaoListener(opener, server);
    }

    /**
     * Waits for a connection and authenticates it.
     *
     * @throws javax.net.ssl.SSLException if the TLS handshake failed or the peer was refused
     *     ({@link PeerRefusedException} for refusals after the handshake)
     * @throws IOException if the listener is closed or the connection failed
     */
    public TaoChannel accept() throws IOException {
        Socket accepted = server.accept();
        try {
            accepted.setTcpNoDelay(true);
        } catch (IOException | RuntimeException e) {
            accepted.close();
            throw e;
        }
        return opener.open(accepted);
    }

    /** The address it listens on (with the port chosen when bound to port 0). */
    public InetSocketAddress address() {
        return (InetSocketAddress) server.getLocalSocketAddress();
    }

    /** The port it listens on. */
    public int port() {
        return server.getLocalPort();
    }

    public boolean isClosed() {
        return server.isClosed();
    }

    /** Stops listening; channels already accepted stay open. */
    @Override
    public void close() throws IOException {
        server.close();
    }

    @Override
    public String toString() {
        return "TaoListener[" + server.getLocalSocketAddress() + "]";
    }
}
