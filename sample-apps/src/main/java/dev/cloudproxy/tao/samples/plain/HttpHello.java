package dev.cloudproxy.tao.samples.plain;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;

/**
 * {@code HttpHello serve [port]}: an HTTP server on 127.0.0.1 that answers every request with
 * {@code hello}; {@code HttpHello get URL}: prints the body of a GET, exits 1 if it fails. The
 * JDK's {@code com.sun.net.httpserver} and {@code java.net.http.HttpClient}; no Tao code.
 */
public final class HttpHello {
    private HttpHello() {}

    public static void main(String[] args) throws Exception {
        if (args.length >= 1 && args[0].equals("serve")) {
            int port = args.length > 1 ? Integer.parseInt(args[1]) : 0;
            HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
            server.createContext("/", exchange -> {
                byte[] body = "hello\n".getBytes(StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(200, body.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            });
            server.start();
            System.out.println("listening on " + server.getAddress().getPort());
            System.out.flush();
        } else if (args.length == 2 && args[0].equals("get")) {
            try {
                HttpResponse<String> r = HttpClient.newHttpClient().send(
                        HttpRequest.newBuilder(URI.create(args[1])).build(), HttpResponse.BodyHandlers.ofString());
                System.out.print(r.body());
            } catch (IOException e) {
                System.err.println("HttpHello: " + e);
                System.exit(1);
            }
        } else {
            System.err.println("usage: HttpHello serve [port] | HttpHello get URL");
            System.exit(2);
        }
    }
}
