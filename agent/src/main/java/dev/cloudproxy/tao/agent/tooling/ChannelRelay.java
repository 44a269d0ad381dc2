package dev.cloudproxy.tao.agent.tooling;

import dev.cloudproxy.tao.agent.bootstrap.NetHooks;
import dev.cloudproxy.tao.events.TaoEvents;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLSocket;

/**
 * The in-agent relay for outgoing {@code TAO} connections. Each destination gets a listener on a
 * loopback port; the network hook sends the app's connect there, and the relay carries the bytes
 * to the destination over TLS from the {@link TlsProvider}, which authenticates both sides.
 *
 * <p>Fails closed: a connection the relay cannot wrap (handshake or provider failure) is closed,
 * so the app sees its connection end; nothing is ever sent in plaintext. Since that end tells the
 * app's user nothing, the relay prints one line naming the destination and the failure
 * ({@link AgentLines}, rate-limited). Connections to a relay
 * listener from another process are closed at once ({@link OwnSockets}): the relay carries this
 * program's identity and nobody else's traffic.
 */
final class ChannelRelay implements AutoCloseable {
    /** Most destinations with a listener at once. */
    static final int MAX_DESTINATIONS = 256;
    private static final Duration HANDSHAKE_WAIT = Duration.ofSeconds(30);

    private final TlsProvider tls;
    private final AgentLines lines;
    private final Map<InetSocketAddress, Listener> listeners = new ConcurrentHashMap<>();
    /** By the app socket's local port: the peer once the handshake is done, or its failure. */
    private final Map<Integer, CompletableFuture<String>> peers = new ConcurrentHashMap<>();
    private volatile boolean closed;

    ChannelRelay(TlsProvider tls) {
        this(tls, AgentLines.STDERR);
    }

    /** A relay that reports failed channels and refused connections on {@code lines}. */
    ChannelRelay(TlsProvider tls, AgentLines lines) {
        this.tls = tls;
        this.lines = lines;
    }

    /** Where the app should connect to reach {@code remote}:{@code port} over a Tao channel. */
    InetSocketAddress route(InetAddress remote, int port) throws IOException {
        InetSocketAddress dest = new InetSocketAddress(remote, port);
        Listener l = listeners.get(dest);
        if (l == null) {
            synchronized (listeners) {
                if (closed) {
                    throw new IOException("the Tao channel relay is closed");
                }
                l = listeners.get(dest);
                if (l == null) {
                    if (listeners.size() >= MAX_DESTINATIONS) {
                        throw new IOException("the Tao channel relay serves at most " + MAX_DESTINATIONS + " destinations");
                    }
                    l = new Listener(dest);
                    listeners.put(dest, l);
                    lines.info("tao-agent: Tao channels to " + l.destination() + " go through the relay on "
                            + TaoChannels.hostPort(l.server.getInetAddress(), l.server.getLocalPort()));
                }
            }
        }
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), l.server.getLocalPort());
    }

    /**
     * The verified peer principal of a relayed connection, by the app socket's local port, as the
     * channel module derives it from the verified certificate (for a test provider without Tao
     * certificates: the certificate subject); waits for the handshake. Empty if the connection
     * does not go to a relay listener.
     */
    Optional<String> peer(int appLocalPort) throws IOException {
        return Optional.ofNullable(peer(appLocalPort, null));
    }

    /**
     * The same for the app's connection to {@code destination} (as the app asked for it): null if
     * the relay does not carry connections there. {@code null} destination: any.
     */
    String peer(int appLocalPort, InetSocketAddress destination) throws IOException {
        if (destination != null && !listeners.containsKey(destination)) {
            return null;
        }
        CompletableFuture<String> f = peers.computeIfAbsent(appLocalPort, k -> new CompletableFuture<>());
        try {
            return f.get(HANDSHAKE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new IOException("the Tao channel of this connection failed: " + e.getCause().getMessage());
        } catch (TimeoutException e) {
            throw new IOException("the Tao channel of this connection is not established");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        }
    }

    @Override
    public void close() throws IOException {
        synchronized (listeners) {
            closed = true;
            for (Listener l : listeners.values()) {
                l.server.close();
            }
            listeners.clear();
        }
    }

    private final class Listener {
        final InetSocketAddress dest;
        final ServerSocket server;

        Listener(InetSocketAddress dest) throws IOException {
            this.dest = dest;
            this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            Thread t = new Thread(this::acceptLoop, "tao-relay-accept " + TaoChannels.hostPort(dest.getAddress(), dest.getPort()));
            t.setDaemon(true);
            t.start();
        }

        private String destination() {
            return TaoChannels.hostPort(dest.getAddress(), dest.getPort());
        }

        private void acceptLoop() {
            NetHooks.exemptCurrentThread();
            while (!server.isClosed()) {
                Socket app;
                try {
                    app = server.accept();
                } catch (IOException e) {
                    return;
                }
                Thread t = new Thread(() -> relay(app), "tao-relay " + app.getPort());
                t.setDaemon(true);
                t.start();
            }
        }

        private void relay(Socket app) {
            NetHooks.exemptCurrentThread();
            int appPort = app.getPort();
            CompletableFuture<String> peerName = peers.computeIfAbsent(appPort, k -> new CompletableFuture<>());
            TaoEvents.Handshake handshake = null;
            try (Socket a = app) {
                if (!OwnSockets.isOurs(appPort, server.getLocalPort())) {
                    peers.remove(appPort, peerName);
                    lines.print("tao-agent: refused a connection to the Tao channel relay for " + destination()
                            + " from another process (loopback port " + appPort + "): the relay carries only this program's");
                    return; // another process: not ours to carry
                }
                a.setTcpNoDelay(true);
                try (SSLSocket peer = (SSLSocket) tls.sslContext().getSocketFactory().createSocket()) {
                    handshake = TaoEvents.handshake();
                    peer.connect(dest);
                    peer.setTcpNoDelay(true);
                    peer.startHandshake();
                    String name = tls.peerName(peer.getSession());
                    handshake.end("client", destination(), name, null);
                    handshake = null;
                    peerName.complete(name);
                    Thread up = new Thread(() -> copy(a, peer), "tao-relay-up " + appPort);
                    up.setDaemon(true);
                    up.start();
                    copy(peer, a);
                    up.join();
                }
            } catch (IOException | InterruptedException | RuntimeException e) {
                // the app sees its connection end; never a plaintext fallback. Its own error says
                // nothing (an EOF), so the agent says once, for the app's user, what failed where.
                peerName.completeExceptionally(e);
                if (handshake != null) {
                    handshake.end("client", destination(), null, AgentLines.detail(e));
                }
                if (!closed) {
                    lines.print("tao-agent: the Tao channel to " + destination() + " failed: " + AgentLines.detail(e)
                            + "; the app's connection was closed (nothing was sent in plaintext)");
                }
            } finally {
                peers.remove(appPort, peerName);
            }
        }
    }

    /** Copies until end of stream, then half-closes the other side (closes it if it cannot). */
    static void copy(Socket from, Socket to) {
        byte[] buf = new byte[16 * 1024];
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            for (int n; (n = in.read(buf)) >= 0; ) {
                out.write(buf, 0, n);
                out.flush();
            }
            try {
                to.shutdownOutput(); // TLS 1.3 half-closes with close_notify
            } catch (IOException | UnsupportedOperationException noHalfClose) {
                to.close();
            }
        } catch (IOException e) {
            try {
                to.close();
                from.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }
}
