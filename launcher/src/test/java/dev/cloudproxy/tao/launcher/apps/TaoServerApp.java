package dev.cloudproxy.tao.launcher.apps;

import dev.cloudproxy.tao.CoreTao;
import dev.cloudproxy.tao.TaoConnections;
import dev.cloudproxy.tao.TaoName;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousServerSocketChannel;
import java.nio.channels.AsynchronousSocketChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;

/**
 * {@code TaoServerApp MODE PORT COUNT}: a plain server (no Tao code but asking the agent for the
 * peer) that listens on 127.0.0.1:PORT ({@code socket-any}: on the wildcard address) with one JDK
 * API ({@code socket}: ServerSocket, {@code
 * channel}: blocking ServerSocketChannel, {@code selector}: non-blocking with a Selector, {@code
 * async}: AsynchronousServerSocketChannel; {@code rebind}: a ServerSocket, closed after COUNT
 * connections and opened again on the same address for COUNT more), prints {@code listening on P}, and for each of COUNT
 * connections reads a line, answers {@code echo: LINE}, and prints what it saw of the connection.
 */
public final class TaoServerApp {
    private TaoServerApp() {}

    public static void main(String[] args) throws Exception {
        String mode = args[0];
        // "socket-any": a ServerSocket on the wildcard address (on Linux an IPv6 socket, dual-stack)
        InetSocketAddress at = mode.endsWith("-any") ? new InetSocketAddress(Integer.parseInt(args[1]))
                : new InetSocketAddress(InetAddress.getLoopbackAddress(), Integer.parseInt(args[1]));
        int count = Integer.parseInt(args[2]);
        System.out.println("name: " + CoreTao.parent().getTaoName());
        try {
            switch (mode) {
                case "socket", "socket-any" -> socket(at, count);
                case "rebind" -> {
                    // close the server socket, then listen on the very same address again at once
                    int port = socket(at, count);
                    socket(new InetSocketAddress(at.getAddress(), port), count);
                }
                case "channel" -> channel(at, count, false);
                case "selector" -> channel(at, count, true);
                case "async" -> async(at, count);
                default -> throw new IllegalArgumentException(mode);
            }
        } catch (IOException e) {
            System.out.println("failed: " + e);
        }
    }

    private static int socket(InetSocketAddress at, int count) throws IOException {
        try (ServerSocket server = new ServerSocket()) {
            server.bind(at);
            listening(server.getLocalPort());
            for (int i = 0; i < count; i++) {
                try (Socket s = server.accept()) {
                    serve(s);
                }
            }
            return server.getLocalPort();
        }
    }

    private static void channel(InetSocketAddress at, int count, boolean selector) throws IOException {
        try (ServerSocketChannel server = ServerSocketChannel.open().bind(at); Selector sel = Selector.open()) {
            listening(((InetSocketAddress) server.getLocalAddress()).getPort());
            if (selector) {
                server.configureBlocking(false);
                server.register(sel, SelectionKey.OP_ACCEPT);
            }
            for (int i = 0; i < count; ) {
                SocketChannel c;
                if (selector) {
                    sel.select();
                    sel.selectedKeys().clear();
                    c = server.accept();
                    if (c == null) {
                        continue; // a refused connection woke the selector
                    }
                    c.configureBlocking(true);
                } else {
                    c = server.accept();
                }
                try (SocketChannel conn = c) {
                    serve(conn.socket());
                }
                i++;
            }
        }
    }

    private static void async(InetSocketAddress at, int count) throws Exception {
        try (AsynchronousServerSocketChannel server = AsynchronousServerSocketChannel.open().bind(at)) {
            listening(((InetSocketAddress) server.getLocalAddress()).getPort());
            for (int i = 0; i < count; i++) {
                try (AsynchronousSocketChannel c = server.accept().get()) {
                    ByteBuffer in = ByteBuffer.allocate(256);
                    while (in.position() == 0 || in.get(in.position() - 1) != '\n') {
                        if (c.read(in).get() < 0) {
                            break;
                        }
                    }
                    String line = new String(in.array(), 0, in.position(), StandardCharsets.UTF_8).strip();
                    InetSocketAddress local = (InetSocketAddress) c.getLocalAddress();
                    InetSocketAddress remote = (InetSocketAddress) c.getRemoteAddress();
                    ByteBuffer out = ByteBuffer.wrap(("echo: " + line + "\n").getBytes(StandardCharsets.UTF_8));
                    while (out.hasRemaining()) {
                        c.write(out).get();
                    }
                    report(local.getPort(), remote, "n/a", line);
                }
            }
        }
    }

    private static void serve(Socket s) throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
        String line = in.readLine();
        s.getOutputStream().write(("echo: " + line + "\n").getBytes(StandardCharsets.UTF_8));
        s.getOutputStream().flush();
        report(s.getLocalPort(), (InetSocketAddress) s.getRemoteSocketAddress(),
                TaoConnections.peer(s).map(TaoName::text).orElse("none"), line);
    }

    private static void listening(int port) {
        System.out.println("listening on " + port);
        System.out.flush();
    }

    private static void report(int localPort, InetSocketAddress remote, String peer, String line) {
        System.out.println("conn local=" + localPort + " remote=" + remote.getAddress().getHostAddress() + ":"
                + remote.getPort() + " peer=" + peer + " line=" + line);
        System.out.flush();
    }
}
