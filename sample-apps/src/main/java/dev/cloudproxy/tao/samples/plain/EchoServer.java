package dev.cloudproxy.tao.samples.plain;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * {@code EchoServer [port] [count]}: listens on 127.0.0.1:port (0: any free port), prints
 * {@code listening on PORT}, and answers each line of each of {@code count} connections (default:
 * forever) with {@code echo: LINE}. No Tao code.
 */
public final class EchoServer {
    private EchoServer() {}

    public static void main(String[] args) throws IOException {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 0;
        long count = args.length > 1 ? Long.parseLong(args[1]) : Long.MAX_VALUE;
        try (ServerSocket server = new ServerSocket()) {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            System.out.println("listening on " + server.getLocalPort());
            System.out.flush();
            for (long i = 0; i < count; i++) {
                try (Socket s = server.accept();
                        BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
                        PrintWriter out = new PrintWriter(s.getOutputStream(), true, StandardCharsets.UTF_8)) {
                    s.setTcpNoDelay(true);
                    for (String line; (line = in.readLine()) != null; ) {
                        out.println("echo: " + line);
                    }
                }
            }
        }
    }
}
