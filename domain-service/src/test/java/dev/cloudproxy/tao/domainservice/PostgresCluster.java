package dev.cloudproxy.tao.domainservice;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * A throwaway PostgreSQL cluster from the Debian package's binaries, for tests: {@code initdb}
 * into a fresh temporary directory, {@code postgres} on 127.0.0.1 and a free port (password
 * authentication, user {@value #USER}), stopped and deleted when the test JVM exits. One per test
 * JVM ({@link #shared()}); each test takes a fresh database ({@link #newDatabase()}).
 *
 * <p>{@code initdb} and {@code postgres} refuse to run as root, so under root they run as
 * {@code nobody} (through {@code setpriv}) in a directory that user owns; as an ordinary user they
 * run directly. Without the binaries the test fails, naming the package: these tests never skip.
 */
final class PostgresCluster {
    static final String USER = "tao";
    static final char[] PASSWORD = "throwaway test cluster".toCharArray();
    private static final int NOBODY = 65534;
    private static PostgresCluster shared;

    private final Path dir;
    private final Path bin;
    private final int port;
    private final Process postgres;
    private final AtomicInteger databases = new AtomicInteger();

    private PostgresCluster(Path dir, Path bin, int port, Process postgres) {
        this.dir = dir;
        this.bin = bin;
        this.port = port;
        this.postgres = postgres;
    }

    /** The cluster of this JVM, started at the first call. */
    static synchronized PostgresCluster shared() throws Exception {
        if (shared == null) {
            shared = start();
            PostgresCluster c = shared;
            Runtime.getRuntime().addShutdownHook(new Thread(c::stop, "postgres-cluster-stop"));
        }
        return shared;
    }

    int port() {
        return port;
    }

    /** A new, empty database owned by {@value #USER}. */
    PostgresLocation newDatabase() throws SQLException {
        String name = "tao_test_" + databases.incrementAndGet();
        try (Connection c = connect("postgres"); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        }
        return new PostgresLocation("127.0.0.1", port, name, USER, "disable");
    }

    /** A connection as {@value #USER} to {@code database} (autocommit), for tests that look at tables. */
    Connection connect(String database) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", USER);
        p.setProperty("password", new String(PASSWORD));
        p.setProperty("sslmode", "disable");
        return new org.postgresql.Driver().connect("jdbc:postgresql://127.0.0.1:" + port + "/" + database, p);
    }

    private static Path binaries() {
        Path root = Path.of("/usr/lib/postgresql");
        if (Files.isDirectory(root)) {
            try (Stream<Path> versions = Files.list(root)) {
                List<Path> found = versions.map(v -> v.resolve("bin"))
                        .filter(b -> Files.isExecutable(b.resolve("initdb")) && Files.isExecutable(b.resolve("postgres")))
                        .sorted(Comparator.comparing(b -> versionOf(b.getParent().getFileName().toString())))
                        .toList();
                if (!found.isEmpty()) {
                    return found.get(found.size() - 1);
                }
            } catch (IOException e) {
                throw new AssertionError("cannot list " + root + ": " + e.getMessage(), e);
            }
        }
        throw new AssertionError("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb), and the domain"
                + " store tests run against it: install it (Debian/Ubuntu: apt-get install -y postgresql) and run again");
    }

    private static int versionOf(String name) {
        try {
            return Integer.parseInt(name);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static boolean root() {
        return "root".equals(System.getProperty("user.name"));
    }

    /** {@code command} as the user the cluster runs as. */
    private static List<String> asClusterUser(List<String> command) {
        List<String> out = new ArrayList<>();
        if (root()) {
            out.addAll(List.of("setpriv", "--reuid=" + NOBODY, "--regid=" + NOBODY, "--clear-groups"));
        }
        out.addAll(command);
        return out;
    }

    private static PostgresCluster start() throws Exception {
        Path bin = binaries();
        // Its own directory under /tmp (not a test's @TempDir, which nobody could not enter).
        Path dir = Files.createTempDirectory("tao-pg-");
        Path data = dir.resolve("data");
        Path sockets = dir.resolve("sockets");
        Files.createDirectories(sockets);
        Path pwfile = dir.resolve("pwfile");
        Files.writeString(pwfile, new String(PASSWORD) + "\n", StandardCharsets.UTF_8);
        if (root()) {
            for (Path p : List.of(dir, sockets, pwfile)) {
                Files.setAttribute(p, "unix:uid", NOBODY);
                Files.setAttribute(p, "unix:gid", NOBODY);
            }
        }
        run(asClusterUser(List.of(bin.resolve("initdb").toString(), "-D", data.toString(), "-U", USER,
                "--pwfile=" + pwfile, "--auth=scram-sha-256", "--encoding=UTF8", "--locale=C", "--no-sync")),
                dir.resolve("initdb.log"));
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Process postgres = new ProcessBuilder(asClusterUser(List.of(bin.resolve("postgres").toString(), "-D",
                data.toString(), "-k", sockets.toString(), "-p", Integer.toString(port),
                "-c", "listen_addresses=127.0.0.1", "-c", "max_connections=100", "-c", "shared_buffers=32MB")))
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("postgres.log").toFile())
                .start();
        PostgresCluster cluster = new PostgresCluster(dir, bin, port, postgres);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            try {
                cluster.connect("postgres").close();
                return cluster;
            } catch (SQLException e) {
                if (!postgres.isAlive() || System.nanoTime() > deadline) {
                    cluster.stop();
                    throw new AssertionError("the test PostgreSQL did not start: " + e.getMessage() + "; its log: "
                            + Files.readString(dir.resolve("postgres.log")), e);
                }
                Thread.sleep(100);
            }
        }
    }

    private static void run(List<String> command, Path log) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(command.get(command.size() - 1) + " hung");
        }
        if (p.exitValue() != 0) {
            throw new AssertionError(String.join(" ", command) + " failed (" + p.exitValue() + "): "
                    + Files.readString(log));
        }
    }

    /** Stops the server at once (no clean shutdown needed: the data is thrown away) and deletes the files. */
    void stop() {
        postgres.destroyForcibly();
        try {
            postgres.waitFor(10, TimeUnit.SECONDS);
            // Backends notice the postmaster's death and exit; give them a moment before deleting.
            Thread.sleep(200);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // Best effort: it is under the temporary directory.
        }
    }

    @Override
    public String toString() {
        return "PostgresCluster[" + bin + ", 127.0.0.1:" + port + ", " + dir + "]";
    }
}
