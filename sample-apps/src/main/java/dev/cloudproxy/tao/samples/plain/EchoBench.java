package dev.cloudproxy.tao.samples.plain;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.Arrays;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/**
 * Connection setup and throughput of plain sockets, from the app's side. No Tao code: run under
 * the launcher with a {@code TAO} rule, the agent's relay carries its connections over Tao
 * channels, and this program measures what an unmodified app sees (benchmarks/scripts/relay-bench.sh).
 *
 * <pre>
 * EchoBench --serve PORT [TLS]
 *     listens on 127.0.0.1:PORT (0: a free port), prints "listening on PORT", serves until killed
 * EchoBench HOST PORT [--connections N] [--warmup W] [--bytes B] [--stream-warmup V] [--rounds R] [TLS]
 *     W + N sequential connections (connect, "ping", its answer, close), the last N timed
 *     (default 1000 + 200); then one connection that streams B bytes (default 16 MiB) to the
 *     server V + R times, the last R timed (default 5 + 5)
 * TLS: --tls-keystore P12 --tls-truststore P12 --tls-password PW
 *     the same over the JDK's own mutual TLS 1.3 (PKCS#12 key manager, PKIX trust manager)
 * </pre>
 *
 * <p>The protocol, one request line at a time: {@code sink N} makes the server read exactly N
 * bytes and answer {@code ok N}; any other line {@code L} is answered with {@code echo: L}.
 *
 * <p>The client prints two machine-readable lines (times in microseconds, rates in MiB/s):
 * <pre>
 * echo-bench setup connections=N warmup=W median_us=.. mean_us=.. p90_us=.. min_us=.. max_us=.. first_us=..
 * echo-bench setup-cold connections=N median_us=.. mean_us=.. p90_us=..
 * echo-bench throughput bytes=B warmup=V rounds=R median_mib_s=.. min_mib_s=.. max_mib_s=..
 * </pre>
 * {@code setup} is the last N connections, after the JIT compiler has seen W; {@code setup-cold}
 * the first N of the run, and {@code first_us} the very first one (class loading, interpreted
 * code): what a long-running app and a short-lived one see. It exits 1 with one line on standard error if a connection fails, 2 on a usage error.
 */
public final class EchoBench {
    private static final int MAX_LINE = 256;
    private static final int CHUNK = 64 * 1024;

    private final InetSocketAddress target;
    private final SSLContext tls;

    private EchoBench(InetSocketAddress target, SSLContext tls) {
        this.target = target;
        this.tls = tls;
    }

    public static void main(String[] args) {
        try {
            run(args);
        } catch (IllegalArgumentException e) {
            System.err.println("EchoBench: " + e.getMessage());
            System.err.println("usage: EchoBench --serve PORT [TLS] | EchoBench HOST PORT [--connections N]"
                    + " [--warmup W] [--bytes B] [--stream-warmup V] [--rounds R] [TLS]");
            System.err.println("  TLS: --tls-keystore P12 --tls-truststore P12 --tls-password PW");
            System.exit(2);
        } catch (IOException | GeneralSecurityException e) {
            System.err.println("EchoBench: " + e);
            System.exit(1);
        }
    }

    private static void run(String[] args) throws IOException, GeneralSecurityException {
        String keystore = null;
        String truststore = null;
        String password = null;
        int connections = 200;
        int warmup = 1000;
        int streamWarmup = 5;
        long bytes = 16L << 20;
        int rounds = 5;
        String[] positional = new String[2];
        int npos = 0;
        boolean serve = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--serve")) {
                serve = true;
                continue;
            }
            if (!a.startsWith("--")) {
                if (npos == positional.length) {
                    throw new IllegalArgumentException("unexpected argument " + a);
                }
                positional[npos++] = a;
                continue;
            }
            if (i + 1 == args.length) {
                throw new IllegalArgumentException(a + " needs a value");
            }
            String v = args[++i];
            switch (a) {
                case "--tls-keystore" -> keystore = v;
                case "--tls-truststore" -> truststore = v;
                case "--tls-password" -> password = v;
                case "--connections" -> connections = positive(a, v);
                case "--warmup" -> warmup = Math.max(0, number(a, v));
                case "--bytes" -> bytes = positive(a, v);
                case "--stream-warmup" -> streamWarmup = Math.max(0, number(a, v));
                case "--rounds" -> rounds = positive(a, v);
                default -> throw new IllegalArgumentException("unknown option " + a);
            }
        }
        if ((keystore == null) != (truststore == null) || (keystore == null) != (password == null)) {
            throw new IllegalArgumentException("--tls-keystore, --tls-truststore and --tls-password go together");
        }
        SSLContext tls = keystore == null ? null : jdkTls(Path.of(keystore), Path.of(truststore), password.toCharArray());
        if (serve) {
            if (npos != 1) {
                throw new IllegalArgumentException("--serve takes one PORT");
            }
            serve(port(positional[0]), tls);
        } else {
            if (npos != 2) {
                throw new IllegalArgumentException("the client takes HOST PORT");
            }
            EchoBench bench = new EchoBench(new InetSocketAddress(positional[0], port(positional[1])), tls);
            bench.setup(warmup, connections);
            bench.throughput(bytes, streamWarmup, rounds);
        }
    }

    private static int number(String option, String v) {
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " takes a number, not " + v);
        }
    }

    private static int positive(String option, String v) {
        int n = number(option, v);
        if (n <= 0) {
            throw new IllegalArgumentException(option + " must be positive");
        }
        return n;
    }

    private static int port(String v) {
        int p = number("PORT", v);
        if (p < 0 || p > 65535) {
            throw new IllegalArgumentException("no such port: " + v);
        }
        return p;
    }

    /** The JDK's own mutual TLS 1.3: SunJSSE, PKCS#12 key manager, PKIX trust manager. */
    private static SSLContext jdkTls(Path keystore, Path truststore, char[] password)
            throws IOException, GeneralSecurityException {
        KeyStore keys = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keystore)) {
            keys.load(in, password);
        }
        KeyStore trust = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(truststore)) {
            trust.load(in, password);
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, password);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ctx = SSLContext.getInstance("TLSv1.3");
        ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return ctx;
    }

    // ---- server

    private static void serve(int port, SSLContext tls) throws IOException {
        ExecutorService pool = Executors.newCachedThreadPool();
        try (ServerSocket server = tls == null ? new ServerSocket() : tls.getServerSocketFactory().createServerSocket()) {
            if (server instanceof SSLServerSocket s) {
                s.setNeedClientAuth(true);
                s.setEnabledProtocols(new String[] {"TLSv1.3"});
            }
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 50);
            System.out.println("listening on " + server.getLocalPort());
            System.out.flush();
            while (true) {
                Socket s = server.accept();
                pool.execute(() -> serveConnection(s));
            }
        }
    }

    /**
     * The server side of one connection (closed at the end): {@code sink N} reads N bytes and
     * answers {@code ok N}, any other line is answered {@code echo: LINE}. Public for RelayBench,
     * whose Tao-channel server speaks the same protocol.
     */
    public static void serveConnection(Socket socket) {
        byte[] buf = new byte[CHUNK];
        try (Socket s = socket) {
            s.setTcpNoDelay(true);
            InputStream in = new BufferedInputStream(s.getInputStream(), CHUNK);
            OutputStream out = s.getOutputStream();
            for (String line; (line = readLine(in)) != null; ) {
                String answer;
                if (line.startsWith("sink ")) {
                    long n = Long.parseLong(line.substring(5));
                    for (long left = n; left > 0; ) {
                        int r = in.read(buf, 0, (int) Math.min(buf.length, left));
                        if (r < 0) {
                            throw new EOFException("the stream ended " + left + " bytes early");
                        }
                        left -= r;
                    }
                    answer = "ok " + n;
                } else {
                    answer = "echo: " + line;
                }
                out.write((answer + "\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
            }
        } catch (IOException | RuntimeException e) {
            System.err.println("EchoBench: connection failed: " + e);
        }
    }

    /** One line without its '\n', or null at the end of the stream. */
    private static String readLine(InputStream in) throws IOException {
        byte[] line = new byte[MAX_LINE];
        int n = 0;
        for (int b; (b = in.read()) != '\n'; ) {
            if (b < 0) {
                if (n == 0) {
                    return null;
                }
                throw new EOFException("the stream ended inside a line");
            }
            if (n == line.length) {
                throw new IOException("a line longer than " + MAX_LINE + " bytes");
            }
            line[n++] = (byte) b;
        }
        return new String(line, 0, n, StandardCharsets.UTF_8);
    }

    // ---- client

    private Socket open() throws IOException {
        Socket s;
        if (tls == null) {
            s = new Socket();
        } else {
            SSLSocket ssl = (SSLSocket) tls.getSocketFactory().createSocket();
            ssl.setEnabledProtocols(new String[] {"TLSv1.3"});
            s = ssl;
        }
        s.setTcpNoDelay(true);
        s.connect(target);
        return s;
    }

    private static void expect(InputStream in, String expected) throws IOException {
        String got = readLine(in);
        if (!expected.equals(got)) {
            throw new IOException("expected '" + expected + "', got " + (got == null ? "the end of the stream" : "'" + got + "'"));
        }
    }

    /**
     * Connect, one line and its answer, close: {@code warmup + connections} times, in turn. Prints
     * the last {@code connections} (warm) and, separately, the first {@code connections} (cold: a
     * fresh JVM, as a short-lived app sees it).
     */
    private void setup(int warmup, int connections) throws IOException {
        byte[] ping = "ping\n".getBytes(StandardCharsets.UTF_8);
        long[] us = new long[warmup + connections];
        for (int i = 0; i < us.length; i++) {
            long t0 = System.nanoTime();
            try (Socket s = open()) {
                s.getOutputStream().write(ping);
                expect(s.getInputStream(), "echo: ping");
            }
            us[i] = (System.nanoTime() - t0) / 1000;
        }
        long first = us[0];
        long[] warm = Arrays.copyOfRange(us, warmup, us.length);
        long[] cold = Arrays.copyOfRange(us, 0, connections);
        Arrays.sort(warm);
        Arrays.sort(cold);
        System.out.printf(Locale.ROOT, "echo-bench setup connections=%d warmup=%d median_us=%.1f mean_us=%.1f"
                        + " p90_us=%d min_us=%d max_us=%d first_us=%d%n",
                connections, warmup, median(warm), mean(warm), p90(warm), warm[0], warm[warm.length - 1], first);
        System.out.printf(Locale.ROOT, "echo-bench setup-cold connections=%d median_us=%.1f mean_us=%.1f p90_us=%d%n",
                connections, median(cold), mean(cold), p90(cold));
        System.out.flush();
    }

    /**
     * On one open connection: {@code warmup + rounds} times "sink B", B bytes, "ok B"; the last
     * {@code rounds} are timed, each from the request line to its answer.
     */
    private void throughput(long bytes, int warmup, int rounds) throws IOException {
        byte[] chunk = new byte[CHUNK];
        new Random(42).nextBytes(chunk); // incompressible, though nothing on the way compresses
        double[] rates = new double[rounds];
        try (Socket s = open()) {
            OutputStream out = s.getOutputStream();
            InputStream in = new BufferedInputStream(s.getInputStream());
            out.write("ping\n".getBytes(StandardCharsets.UTF_8));
            expect(in, "echo: ping"); // the handshake is behind us
            for (int r = -warmup; r < rounds; r++) {
                long t0 = System.nanoTime();
                out.write(("sink " + bytes + "\n").getBytes(StandardCharsets.UTF_8));
                for (long left = bytes; left > 0; left -= CHUNK) {
                    out.write(chunk, 0, (int) Math.min(CHUNK, left));
                }
                out.flush();
                expect(in, "ok " + bytes);
                long t1 = System.nanoTime();
                if (r >= 0) {
                    rates[r] = bytes / (1024.0 * 1024.0) / ((t1 - t0) / 1e9);
                }
            }
        }
        Arrays.sort(rates);
        System.out.printf(Locale.ROOT, "echo-bench throughput bytes=%d warmup=%d rounds=%d median_mib_s=%.1f"
                        + " min_mib_s=%.1f max_mib_s=%.1f%n",
                bytes, warmup, rounds, median(rates), rates[0], rates[rates.length - 1]);
        System.out.flush();
    }

    private static double mean(long[] xs) {
        return Arrays.stream(xs).average().orElse(0);
    }

    private static long p90(long[] sorted) {
        return sorted[(int) Math.max(0, Math.ceil(0.9 * sorted.length) - 1)];
    }

    private static double median(long[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0;
    }

    private static double median(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0;
    }
}
