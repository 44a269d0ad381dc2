package dev.cloudproxy.tao.agent.bootstrap;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * Where the advice in {@code sun.nio.ch.Net.connect} and {@code Net.bind} calls: every TCP
 * connect and bind of the JDK passes there, whichever API opened the socket. UDP passes there
 * too; the advice in {@code sun.nio.ch.DatagramChannelImpl} marks those calls so they are let
 * through untouched.
 *
 * <p>A handler decides per call: let it through, send it elsewhere (to the agent's relay) or fail
 * it with an {@link IOException}, which the application sees as the connect or bind failing.
 * The handler is not called again for sockets it opens itself (a re-entrancy guard per thread).
 */
public final class NetHooks {
    /** Implemented by the tooling. */
    public interface Handler {
        /**
         * An outgoing TCP connection to {@code remote}:{@code port}.
         *
         * @return where to connect instead, or null to connect as asked
         * @throws IOException to fail the connect
         */
        InetSocketAddress onConnect(InetAddress remote, int port) throws IOException;

        /**
         * A TCP socket being bound to {@code local}:{@code port} (before it listens or connects).
         *
         * @throws IOException to fail the bind
         */
        void onBind(InetAddress local, int port) throws IOException;
    }

    private static volatile Handler handler;
    private static final ThreadLocal<int[]> INSIDE = ThreadLocal.withInitial(() -> new int[1]);

    private NetHooks() {}

    /** Installs the handler; only once. */
    public static synchronized void install(Handler h) {
        if (handler != null) {
            throw new IllegalStateException("the network handler is already installed");
        }
        handler = h;
    }

    /** From the advice on {@code Net.connect}: where to connect, or null for as asked. */
    public static InetSocketAddress connect(InetAddress remote, int port) throws IOException {
        Handler h = handler;
        if (h == null) {
            return null;
        }
        int[] inside = INSIDE.get();
        if (inside[0] > 0) {
            return null;
        }
        inside[0]++;
        try {
            return h.onConnect(remote, port);
        } finally {
            inside[0]--;
        }
    }

    /** From the advice on {@code Net.bind}. */
    public static void bind(InetAddress local, int port) throws IOException {
        Handler h = handler;
        if (h == null) {
            return;
        }
        int[] inside = INSIDE.get();
        if (inside[0] > 0) {
            return;
        }
        inside[0]++;
        try {
            h.onBind(local, port);
        } finally {
            inside[0]--;
        }
    }

    /**
     * Exempts the calling thread from the rules for the rest of its life: for the agent's relay
     * threads, whose own connections carry the app's traffic to its peer.
     */
    public static void exemptCurrentThread() {
        INSIDE.get()[0]++;
    }

    /** From the advice on {@code DatagramChannelImpl.connect/bind}: UDP is not ours to judge. */
    public static void enterDatagram() {
        INSIDE.get()[0]++;
    }

    /** Pairs with {@link #enterDatagram()}. */
    public static void exitDatagram() {
        INSIDE.get()[0]--;
    }
}
