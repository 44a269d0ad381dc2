package dev.cloudproxy.tao.agent.tooling;

import dev.cloudproxy.tao.agent.bootstrap.NetHooks;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.events.TaoEvents;
import dev.cloudproxy.tao.channel.PeerPolicy;
import java.io.FileDescriptor;
import java.io.IOException;
import java.lang.ref.WeakReference;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.WeakHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The in-agent relay for incoming {@code TAO} connections: the app's listening socket is moved to
 * a loopback port only the relay uses, and the relay listens where the app asked, makes a Tao
 * channel of the listener's {@link Carrier} with each client (TLS from the {@link TlsProvider}
 * with mutual authentication: a client without a program certificate of the domain never gets
 * past the handshake; or a PSK channel), and carries the bytes to the app.
 * If the rule names peers ({@code peer=}), a client whose verified principal is not one of them
 * (or an extension of one) is closed after its handshake, before anything reaches the app.
 *
 * <p>Nobody else reaches the app through its loopback port: the accept hook ({@link #accepted})
 * lets the app accept a connection on it only if it comes from one of the relay's own sockets,
 * whose source ports the relay registers before connecting; anything else is closed before the
 * app sees it. In reverse, the relay sends nothing to that port until the app's accept of the
 * relay's very connection has been seen by the hook, so a process that took the port after the
 * app closed it learns nothing. The app is shown the address it asked for as its local address,
 * and the client's real address as the remote one.
 *
 * <p>Listeners are keyed by the app's socket (its {@link FileDescriptor}, by identity, held
 * weakly): when the app closes that socket (the close hook calls {@link #appClosed}), the relay
 * stops listening before the app's close returns, so the app can bind the same address again at
 * once; a socket the app drops without closing is noticed within a second of its collection.
 */
final class IncomingRelay implements AutoCloseable {
    /** Most listening sockets relayed at once. */
    static final int MAX_LISTENERS = 256;
    /** Most handshakes under way at once; more clients are closed at once. */
    static final int MAX_HANDSHAKES = 256;
    /** How long a TLS client may take to finish its handshake. */
    static final Duration HANDSHAKE_WAIT = Duration.ofSeconds(30);
    /** How long an authenticated connection waits for the app to accept it. */
    static final Duration ACCEPT_WAIT = Duration.ofMinutes(5);
    /** How long closing a listener waits for its accepting thread to leave accept. */
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(5);
    private static final InetAddress LOOPBACK = loopback();

    /** How listeners that name none carry their connections; null if every listener must name its own. */
    private final Carrier defaultCarrier;
    private final AgentLines lines;
    /** Active listeners, by the app's socket. */
    private final Map<Object, Listener> byApp = Collections.synchronizedMap(new WeakHashMap<>());
    /** Every listener not yet closed (strongly: a collected app socket must still close its listener). */
    private final List<Listener> open = new ArrayList<>();
    /** The relay's connections to the app not yet accepted, by the relay socket's local address. */
    private final Map<InetSocketAddress, Pending> pending = new ConcurrentHashMap<>();
    /** Accepted connections: what the app is shown as their local address. */
    private final Map<Object, InetSocketAddress> acceptedLocal = Collections.synchronizedMap(new WeakHashMap<>());
    /** Verified peers of relayed connections. */
    private final Map<PeerKey, String> peers = new ConcurrentHashMap<>();
    private final Semaphore handshakes = new Semaphore(MAX_HANDSHAKES);
    private Thread watcher;
    private boolean closed;

    IncomingRelay(TlsProvider tls) {
        this(tls, AgentLines.STDERR);
    }

    /** A relay that reports the connections it refuses on {@code lines}. */
    IncomingRelay(TlsProvider tls, AgentLines lines) {
        this(Carrier.tls(tls), lines);
    }

    /** A relay whose listeners carry connections with {@code defaultCarrier} unless they name another (null: none). */
    IncomingRelay(Carrier defaultCarrier, AgentLines lines) {
        this.defaultCarrier = defaultCarrier;
        this.lines = lines;
    }

    /**
     * The app's socket {@code app} is about to bind to {@code local}:{@code port} under a TAO
     * rule: the relay listens there instead and returns where the app should bind (a free
     * loopback port). Fails as the app's bind would if the address is taken.
     */
    InetSocketAddress prepare(Object app, InetAddress local, int port) throws IOException {
        return prepare(app, local, port, Optional.empty(), "");
    }

    /**
     * As {@link #prepare(Object, InetAddress, int)}, and only clients whose verified principal
     * {@code peers} accepts (if present) reach the app; {@code why} names the rule in refusals.
     */
    InetSocketAddress prepare(Object app, InetAddress local, int port, Optional<PeerPolicy> peers, String why)
            throws IOException {
        if (defaultCarrier == null) {
            throw new BindException("tao-agent: the Tao channel relay has no default way to carry connections");
        }
        return prepare(app, local, port, peers, why, defaultCarrier);
    }

    /** As {@link #prepare(Object, InetAddress, int, Optional, String)}, the clients' channels made by {@code carrier}. */
    InetSocketAddress prepare(Object app, InetAddress local, int port, Optional<PeerPolicy> peers, String why,
            Carrier carrier) throws IOException {
        InetSocketAddress requested = new InetSocketAddress(local == null ? anyLocal() : local, port);
        synchronized (open) {
            if (closed) {
                throw new BindException("tao-agent: the Tao channel relay is closed");
            }
            closeAbandoned(requested);
            if (open.size() >= MAX_LISTENERS) {
                throw new BindException("tao-agent: the Tao channel relay serves at most " + MAX_LISTENERS
                        + " listening sockets");
            }
            ServerSocket server = new ServerSocket();
            try {
                server.bind(requested, 128);
            } catch (IOException e) {
                server.close();
                BindException b = new BindException(e.getMessage());
                b.initCause(e);
                throw b;
            }
            Listener l = new Listener(app, server, peers, why, carrier);
            open.add(l);
            byApp.put(app, l);
            startWatcher();
        }
        return new InetSocketAddress(LOOPBACK, 0);
    }

    /**
     * The app's bind that {@link #prepare} redirected has ended: bound to {@code appAddress}
     * (the relay starts serving) or failed ({@code null}: the relay stops listening).
     */
    void bound(Object app, InetSocketAddress appAddress) {
        Listener l = byApp.get(app);
        if (l == null || l.target != null) {
            return;
        }
        if (appAddress == null) {
            l.close();
            return;
        }
        l.start(appAddress);
        lines.info("tao-agent: the relay takes Tao channels on "
                + TaoChannels.hostPort(l.server.getInetAddress(), l.server.getLocalPort())
                + " for the app's socket on " + TaoChannels.hostPort(appAddress.getAddress(), appAddress.getPort()));
    }

    /** The app is closing its socket {@code app}: if the relay listens for it, it stops. */
    void appClosed(Object app) {
        Listener l = byApp.get(app);
        if (l != null) {
            l.close();
        }
    }

    /** Whether {@code app} is a listening socket whose connections come through this relay. */
    boolean relays(Object app) {
        return byApp.containsKey(app);
    }

    /**
     * The app's listening socket {@code app} accepted {@code accepted} from {@code remote}.
     *
     * @return the client's real address to show the app, or null to refuse the connection (it did
     *     not come from this relay); for a socket the relay does not serve, {@code remote} itself
     */
    InetSocketAddress accepted(Object app, Object accepted, InetSocketAddress remote) {
        Listener l = byApp.get(app);
        if (l == null) {
            return remote;
        }
        Pending p = remote == null ? null : pending.remove(remote);
        if (p == null || p.listener != l) {
            lines.print("tao-agent: refused a connection to the Tao channel listener on "
                    + TaoChannels.hostPort(l.shown().getAddress(), l.shown().getPort()) + " from "
                    + (remote == null ? "an unknown address" : TaoChannels.hostPort(remote.getAddress(), remote.getPort()))
                    + ": it did not come through a Tao channel");
            return null;
        }
        acceptedLocal.put(accepted, p.shownLocal);
        p.accepted.complete(null);
        return p.client;
    }

    /** What the app is shown as the local address of {@code socket}; null for the real one. */
    InetSocketAddress localAddress(Object socket) {
        Listener l = byApp.get(socket);
        if (l != null) {
            return l.shown();
        }
        return acceptedLocal.get(socket);
    }

    /**
     * The verified peer of the app's accepted connection on local port {@code localPort} from
     * {@code client}, or null if the relay did not carry it.
     */
    String peer(int localPort, InetSocketAddress client) {
        return peers.get(new PeerKey(localPort, client));
    }

    @Override
    public void close() {
        List<Listener> all;
        synchronized (open) {
            closed = true;
            all = new ArrayList<>(open);
        }
        for (Listener l : all) {
            l.close();
        }
    }

    /** Closes the listener on {@code requested} whose app socket is gone (the app binds it again). */
    private void closeAbandoned(InetSocketAddress requested) {
        for (Listener l : new ArrayList<>(open)) {
            if (!l.appOpen() && (l.server.getLocalSocketAddress().equals(requested) || requested.getPort() == 0)) {
                l.close();
            }
        }
    }

    /** Once a second: stop listening for app sockets dropped without a close (collected). */
    private void startWatcher() {
        if (watcher != null) {
            return;
        }
        watcher = new Thread(() -> {
            NetHooks.exemptCurrentThread();
            for (;;) {
                List<Listener> now;
                synchronized (open) {
                    if (closed) {
                        return;
                    }
                    now = new ArrayList<>(open);
                }
                for (Listener l : now) {
                    if (!l.appOpen()) {
                        l.close();
                    }
                }
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "tao-relay-in-watch");
        watcher.setDaemon(true);
        watcher.start();
    }

    /** One listening socket of the app. */
    private final class Listener {
        final WeakReference<Object> app;
        final ServerSocket server;
        final Optional<PeerPolicy> allowed;
        final String rule;
        final Carrier carrier;
        volatile InetSocketAddress target;
        private volatile Thread acceptor;

        Listener(Object app, ServerSocket server, Optional<PeerPolicy> peers, String rule, Carrier carrier) {
            this.app = new WeakReference<>(app);
            this.server = server;
            this.allowed = peers;
            this.rule = rule;
            this.carrier = carrier;
        }

        /** Null if the rules let the verified peer of {@code channel} connect, else why not. */
        private String refusal(Carrier.Carried channel) {
            if (allowed.isEmpty()) {
                return null;
            }
            try {
                Prin who = channel.peerPrincipal();
                return allowed.get().accepts(who) ? null : "its program " + who + " is not one the rule '" + rule
                        + "' lets connect";
            } catch (IOException | RuntimeException e) {
                return "its name cannot be checked against the rule '" + rule + "' (" + e.getMessage() + ")";
            }
        }

        /** The address the app asked for, with the port the relay got. */
        InetSocketAddress shown() {
            return (InetSocketAddress) server.getLocalSocketAddress();
        }

        boolean appOpen() {
            return app.get() != null;
        }

        void start(InetSocketAddress appAddress) {
            target = new InetSocketAddress(LOOPBACK, appAddress.getPort());
            Thread t = new Thread(this::acceptLoop, "tao-relay-in-accept " + server.getLocalPort());
            t.setDaemon(true);
            acceptor = t;
            t.start();
        }

        /**
         * Stops listening, and returns only once the socket is really closed: the JDK finishes
         * closing a socket that a thread is accepting on only when that thread has left accept,
         * and until then the port stays taken (a bind of the same address, which is what an app
         * does after closing its socket, would fail). Under the lock, so such a bind never sees
         * the listener half-closed.
         */
        void close() {
            synchronized (open) {
                open.remove(this);
                Object a = app.get();
                if (a != null) {
                    byApp.remove(a, this);
                }
                try {
                    server.close();
                } catch (IOException ignored) {
                    // closing anyway
                }
                Thread t = acceptor;
                if (t != null && t != Thread.currentThread()) {
                    try {
                        t.join(CLOSE_WAIT.toMillis());
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }
        }

        private void acceptLoop() {
            NetHooks.exemptCurrentThread();
            while (!server.isClosed()) {
                Socket client;
                try {
                    client = server.accept();
                } catch (IOException e) {
                    return;
                }
                if (!appOpen()) {
                    close();
                    closeQuietly(client);
                    return;
                }
                if (!handshakes.tryAcquire()) {
                    closeQuietly(client); // too many clients in their handshake: a flood, not users
                    continue;
                }
                Thread t = new Thread(() -> serve(client), "tao-relay-in " + client.getPort());
                t.setDaemon(true);
                t.start();
            }
        }

        /** TLS with the client, then the bytes to and from the app once it has accepted. */
        private void serve(Socket client) {
            NetHooks.exemptCurrentThread();
            InetSocketAddress from = (InetSocketAddress) client.getRemoteSocketAddress();
            InetSocketAddress shownLocal = (InetSocketAddress) client.getLocalSocketAddress();
            PeerKey peerKey = new PeerKey(server.getLocalPort(), from);
            Socket toApp = new Socket();
            Pending p = null;
            InetSocketAddress source = null;
            boolean handshaking = true;
            Carrier.Carried channel = null;
            try {
                String peer;
                String refused;
                TaoEvents.Handshake handshake = TaoEvents.handshake();
                try {
                    channel = carrier.accept(client, HANDSHAKE_WAIT);
                    peer = channel.peerName();
                    refused = refusal(channel);
                } catch (IOException e) {
                    peer = null;
                    refused = "no Tao channel of this domain (" + AgentLines.detail(e) + ")";
                }
                handshake.end("server", TaoChannels.hostPort(from.getAddress(), from.getPort()),
                        refused == null ? peer : null, refused);
                if (refused != null) {
                    // Closed before a byte reaches the app: the client learns nothing from it.
                    lines.print("tao-agent: refused a connection to the Tao channel listener on "
                            + TaoChannels.hostPort(shownLocal.getAddress(), shownLocal.getPort()) + " from "
                            + TaoChannels.hostPort(from.getAddress(), from.getPort()) + ": " + refused);
                    return;
                }
                handshakes.release();
                handshaking = false;

                // The source port is registered before connecting, so the accept hook knows it.
                toApp.bind(new InetSocketAddress(LOOPBACK, 0));
                toApp.setTcpNoDelay(true);
                p = new Pending(this, from, shownLocal);
                source = (InetSocketAddress) toApp.getLocalSocketAddress();
                pending.put(source, p);
                peers.put(peerKey, peer);
                toApp.connect(target);
                try {
                    p.accepted.get(ACCEPT_WAIT.toMillis(), TimeUnit.MILLISECONDS);
                } catch (TimeoutException | ExecutionException e) {
                    return; // the app never accepted it: nothing was sent
                }
                Carrier.Carried tao = channel;
                Carrier.Carried appSide = Carrier.plain(toApp);
                Thread up = new Thread(() -> ChannelRelay.copy(tao, appSide), "tao-relay-in-up " + from.getPort());
                up.setDaemon(true);
                up.start();
                ChannelRelay.copy(appSide, tao);
                up.join();
            } catch (IOException | RuntimeException e) {
                // not a Tao channel of this domain, a handshake too slow, or the app is gone:
                // closed, nothing relayed
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                if (handshaking) {
                    handshakes.release();
                }
                // Forget the source port before it is released, or another process could get it.
                peers.remove(peerKey);
                if (source != null) {
                    pending.remove(source, p);
                }
                closeQuietly(toApp);
                if (channel != null) {
                    try {
                        channel.close();
                    } catch (IOException ignored) {
                        // closing anyway
                    }
                }
                closeQuietly(client);
            }
        }
    }

    /** A relayed connection: the relay's listening port and the client's address. */
    private record PeerKey(int port, InetSocketAddress client) {}

    /** A relay connection to the app, waiting for the app to accept it. */
    private record Pending(Listener listener, InetSocketAddress client, InetSocketAddress shownLocal,
            CompletableFuture<Void> accepted) {
        Pending(Listener listener, InetSocketAddress client, InetSocketAddress shownLocal) {
            this(listener, client, shownLocal, new CompletableFuture<>());
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    private static InetAddress loopback() {
        try {
            return InetAddress.getByAddress("localhost", new byte[] {127, 0, 0, 1});
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private static InetAddress anyLocal() {
        return new InetSocketAddress(0).getAddress();
    }
}
