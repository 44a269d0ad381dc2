package dev.cloudproxy.tao.agent.bootstrap;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.IOException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * Where the JDK's TCP paths call: the advice in {@code sun.nio.ch.Net.connect}, {@code Net.bind}
 * and {@code Net.localAddress} and in the server sockets' close methods, and the calls of the native {@code Net.accept} in the JDK's
 * server socket classes, which are replaced by calls of {@link #accept}. Every TCP connect, bind
 * and accept of the JDK passes there, whichever API opened the socket. UDP passes through
 * {@code Net.connect/bind} too; the advice in {@code sun.nio.ch.DatagramChannelImpl} marks those
 * calls so they are let through untouched.
 *
 * <p>A handler decides per call: let it through, send it elsewhere (to the agent's relay) or fail
 * it with an {@link IOException}, which the application sees as the call failing. The handler is
 * not called again for sockets it opens itself (a re-entrancy guard per thread).
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
         * The TCP socket {@code fd} being bound to {@code local}:{@code port} (before it listens or
         * connects).
         *
         * @return where to bind instead, or null to bind as asked
         * @throws IOException to fail the bind
         */
        InetSocketAddress onBind(FileDescriptor fd, InetAddress local, int port) throws IOException;

        /** The bind of {@code fd} that {@link #onBind} saw has ended, bound or not. */
        void onBound(FileDescriptor fd, boolean bound);

        /**
         * The listening socket {@code listener} accepted {@code accepted} from {@code remote[0]};
         * the handler may replace {@code remote[0]} (what the application will see).
         *
         * @return false to refuse the connection: it is closed and the application never sees it
         */
        boolean onAccept(FileDescriptor listener, FileDescriptor accepted, InetSocketAddress[] remote);

        /** What the application should see as the local address of {@code fd}; null for the real one. */
        InetSocketAddress localAddress(FileDescriptor fd);

        /** The application is closing the server socket {@code fd}. */
        void onClose(FileDescriptor fd);
    }

    private static volatile Handler handler;
    private static volatile MethodHandle netAccept;
    private static volatile MethodHandle netLocalAddress;
    private static final ThreadLocal<int[]> INSIDE = ThreadLocal.withInitial(() -> new int[1]);

    private NetHooks() {}

    /**
     * Installs the handler; only once. {@code sun.nio.ch} must be exported to this class's module
     * first (the tooling does it with {@code Instrumentation.redefineModule}).
     */
    public static synchronized void install(Handler h) throws IOException {
        if (handler != null) {
            throw new IllegalStateException("the network handler is already installed");
        }
        try {
            Class<?> net = Class.forName("sun.nio.ch.Net", false, null);
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            netAccept = lookup.findStatic(net, "accept", MethodType.methodType(int.class, FileDescriptor.class,
                    FileDescriptor.class, InetSocketAddress[].class));
            netLocalAddress = lookup.findStatic(net, "localAddress",
                    MethodType.methodType(InetSocketAddress.class, FileDescriptor.class));
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IOException("this JDK's sun.nio.ch.Net has no usable accept/localAddress: " + e);
        }
        handler = h;
    }

    /** From the advice on {@code Net.connect}: where to connect, or null for as asked. */
    public static InetSocketAddress connect(InetAddress remote, int port) throws IOException {
        Handler h = enter();
        if (h == null) {
            return null;
        }
        try {
            return h.onConnect(remote, port);
        } finally {
            exit();
        }
    }

    /** From the advice at the start of {@code Net.bind}: where to bind, or null for as asked. */
    public static InetSocketAddress bind(FileDescriptor fd, InetAddress local, int port) throws IOException {
        Handler h = enter();
        if (h == null) {
            return null;
        }
        try {
            return h.onBind(fd, local, port);
        } finally {
            exit();
        }
    }

    /** From the advice at the end of {@code Net.bind}, normal or not. */
    public static void bound(FileDescriptor fd, Throwable failure) {
        Handler h = enter();
        if (h == null) {
            return;
        }
        try {
            h.onBound(fd, failure == null);
        } finally {
            exit();
        }
    }

    /**
     * Called instead of the native {@code Net.accept} by the JDK's server socket classes. A
     * connection the handler refuses is closed, and the next one is accepted in its place (for a
     * non-blocking socket with none pending, that returns "unavailable", as if the refused one had
     * never come).
     */
    public static int accept(FileDescriptor fd, FileDescriptor newfd, InetSocketAddress[] isaa) throws IOException {
        MethodHandle real = netAccept;
        if (real == null) {
            throw new IOException("tao-agent: the accept hook is not installed");
        }
        for (;;) {
            int n;
            try {
                n = (int) real.invokeExact(fd, newfd, isaa);
            } catch (IOException | RuntimeException | Error e) {
                throw e;
            } catch (Throwable t) {
                throw new IOException(t);
            }
            Handler h = n == 1 ? enter() : null;
            if (h == null) {
                return n;
            }
            boolean keep;
            try {
                keep = h.onAccept(fd, newfd, isaa);
            } catch (RuntimeException e) {
                keep = false; // fail closed
            } finally {
                exit();
            }
            if (keep) {
                return n;
            }
            discard(newfd);
        }
    }

    /** From the advice at the end of {@code Net.localAddress}: what the application sees. */
    public static InetSocketAddress localAddress(FileDescriptor fd, InetSocketAddress actual) {
        Handler h = enter();
        if (h == null) {
            return actual;
        }
        try {
            InetSocketAddress shown = h.localAddress(fd);
            return shown == null ? actual : shown;
        } finally {
            exit();
        }
    }

    /** From the advice at the start of the JDK server sockets' close methods. */
    public static void closing(FileDescriptor fd) {
        Handler h = enter();
        if (h == null) {
            return;
        }
        try {
            h.onClose(fd);
        } finally {
            exit();
        }
    }

    /** The address {@code fd} is really bound to, whatever the application is shown. */
    public static InetSocketAddress realLocalAddress(FileDescriptor fd) throws IOException {
        MethodHandle m = netLocalAddress;
        if (m == null) {
            throw new IOException("tao-agent: the network hooks are not installed");
        }
        int[] inside = INSIDE.get();
        inside[0]++;
        try {
            return (InetSocketAddress) m.invokeExact(fd);
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IOException(t);
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

    /**
     * The handler, if one is installed and this thread is not already inside it (or exempt); the
     * caller must then call {@link #exit()}. Null: let the call through untouched.
     */
    private static Handler enter() {
        Handler h = handler;
        if (h == null) {
            return null;
        }
        int[] inside = INSIDE.get();
        if (inside[0] > 0) {
            return null;
        }
        inside[0]++;
        return h;
    }

    private static void exit() {
        INSIDE.get()[0]--;
    }

    /** Closes a refused connection's descriptor (public API: a stream over the descriptor). */
    private static void discard(FileDescriptor fd) {
        try (FileInputStream closer = new FileInputStream(fd)) {
            // closing it closes the descriptor
        } catch (IOException ignored) {
            // the connection is gone either way
        }
    }
}
