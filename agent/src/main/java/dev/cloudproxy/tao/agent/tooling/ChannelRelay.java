package dev.cloudproxy.tao.agent.tooling;

import dev.cloudproxy.tao.agent.bootstrap.NetHooks;
import dev.cloudproxy.tao.auth.Prin;
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

/**
 * The in-agent relay for outgoing {@code TAO} connections. Each destination gets a listener on a
 * loopback port; the network hook sends the app's connect there, and the relay carries the bytes
 * to the destination over a Tao channel of the route's {@link Carrier} (TLS from the
 * {@link TlsProvider}, or a PSK channel), which authenticates both sides.
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

    /** How routes that name none carry their connections; null if every route must name its own. */
    private final Carrier defaultCarrier;
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
        this(Carrier.tls(tls), lines);
    }

    /** A relay whose routes carry connections with {@code defaultCarrier} unless they name another (null: none). */
    ChannelRelay(Carrier defaultCarrier, AgentLines lines) {
        this.defaultCarrier = defaultCarrier;
        this.lines = lines;
    }

    /** Where the app should connect to reach {@code remote}:{@code port} over a Tao channel. */
    InetSocketAddress route(InetAddress remote, int port) throws IOException {
        if (defaultCarrier == null) {
            throw new IOException("the Tao channel relay has no default way to carry connections");
        }
        return route(remote, port, defaultCarrier, Optional.empty());
    }

    /**
     * Where the app should connect to reach {@code remote}:{@code port} over a channel of
     * {@code carrier}, whose peer must be {@code peer} if present. The first route to a
     * destination decides how all connections to it are carried.
     */
    InetSocketAddress route(InetAddress remote, int port, Carrier carrier, Optional<Prin> peer) throws IOException {
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
                    l = new Listener(dest, carrier, peer);
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
        final Carrier carrier;
        final Optional<Prin> expected;
        final ServerSocket server;

        Listener(InetSocketAddress dest, Carrier carrier, Optional<Prin> expected) throws IOException {
            this.dest = dest;
            this.carrier = carrier;
            this.expected = expected;
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
                handshake = TaoEvents.handshake();
                try (Carrier.Carried peer = carrier.dial(dest, expected)) {
                    handshake.end("client", destination(), peer.peerName(), null);
                    handshake = null;
                    peerName.complete(peer.peerName());
                    Carrier.Carried appSide = Carrier.plain(a);
                    Thread up = new Thread(() -> copy(appSide, peer), "tao-relay-up " + appPort);
                    up.setDaemon(true);
                    up.start();
                    copy(peer, appSide);
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
    static void copy(Carrier.Carried from, Carrier.Carried to) {
        byte[] buf = new byte[16 * 1024];
        try {
            InputStream in = from.in();
            OutputStream out = to.out();
            for (int n; (n = in.read(buf)) >= 0; ) {
                out.write(buf, 0, n);
                out.flush();
            }
            try {
                to.shutdownOutput();
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
