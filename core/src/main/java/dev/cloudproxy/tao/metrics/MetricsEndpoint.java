package dev.cloudproxy.tao.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * An HTTP endpoint that serves a {@link Metrics} at {@code GET /metrics}, for a Prometheus
 * scraper. Opt-in and meant for a local address: it has no authentication (the numbers are public,
 * but who may read them is the operator's choice of address and firewall). Answers {@code 404} for
 * any other path and {@code 405} for any other method; one thread answers, so a slow scraper delays
 * only other scrapes, never the server whose numbers these are.
 */
public final class MetricsEndpoint implements AutoCloseable {
    /** The path served. */
    public static final String PATH = "/metrics";
    /** The media type of the Prometheus text format. */
    public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private final HttpServer server;
    private final ExecutorService executor;

    private MetricsEndpoint(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    /** Starts serving {@code metrics} on {@code address} (port 0 picks a free one). */
    public static MetricsEndpoint start(InetSocketAddress address, Metrics metrics) throws IOException {
        Objects.requireNonNull(metrics, "metrics");
        HttpServer server = HttpServer.create(address, 16);
        ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "tao-metrics " + address);
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/", exchange -> answer(exchange, metrics));
        server.start();
        return new MetricsEndpoint(server, executor);
    }

    private static void answer(HttpExchange exchange, Metrics metrics) throws IOException {
        try (exchange) {
            String method = exchange.getRequestMethod();
            if (!exchange.getRequestURI().getPath().equals(PATH)) {
                reply(exchange, 404, "not found: the metrics are at " + PATH + "\n", method);
                return;
            }
            if (!method.equals("GET") && !method.equals("HEAD")) {
                exchange.getResponseHeaders().set("Allow", "GET, HEAD");
                reply(exchange, 405, "method not allowed\n", method);
                return;
            }
            exchange.getResponseHeaders().set("Content-Type", CONTENT_TYPE);
            reply(exchange, 200, metrics.text(), method);
        }
    }

    private static void reply(HttpExchange exchange, int status, String body, String method) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        if (method.equals("HEAD")) {
            exchange.sendResponseHeaders(status, -1);
            return;
        }
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** Where it listens. */
    public InetSocketAddress address() {
        return server.getAddress();
    }

    /** Stops serving (a scrape in progress gets up to one second to finish). */
    @Override
    public void close() {
        server.stop(1);
        executor.shutdownNow();
    }
}
