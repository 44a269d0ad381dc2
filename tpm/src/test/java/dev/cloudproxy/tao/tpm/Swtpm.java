package dev.cloudproxy.tao.tpm;

import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A swtpm TPM 2.0 simulator for one test class: started on two free loopback ports (data and
 * control) with a fresh state directory, and stopped (and its state deleted) by {@link #close},
 * also from a shutdown hook if the test JVM dies first.
 *
 * <p>swtpm must be installed: CI installs it ({@code .ci/run}); elsewhere the tests fail with a
 * message saying how, rather than skipping.
 */
final class Swtpm implements AutoCloseable {
    private static final long START_DEADLINE_MS = 15_000;
    private final Process process;
    private final Path stateDir;
    private final int port;
    private final int controlPort;
    private final Thread reaper;

    private Swtpm(Process process, Path stateDir, int port, int controlPort) {
        this.process = process;
        this.stateDir = stateDir;
        this.port = port;
        this.controlPort = controlPort;
        this.reaper = new Thread(process::destroyForcibly, "swtpm-reaper");
        Runtime.getRuntime().addShutdownHook(reaper);
    }

    static Swtpm start() throws IOException, InterruptedException {
        String swtpm = findOnPath("swtpm");
        if (swtpm == null) {
            throw new IllegalStateException("swtpm is not installed, and the TPM tests need it: "
                    + "install it (Debian/Ubuntu: apt-get install -y swtpm swtpm-tools tpm2-tools) and run again");
        }
        Path state = Files.createTempDirectory("swtpm-test");
        int[] ports = freePorts();
        ProcessBuilder pb = new ProcessBuilder(swtpm, "socket", "--tpm2",
                "--server", "type=tcp,port=" + ports[0] + ",bindaddr=127.0.0.1",
                "--ctrl", "type=tcp,port=" + ports[1] + ",bindaddr=127.0.0.1",
                "--tpmstate", "dir=" + state,
                "--flags", "not-need-init,startup-clear")
                .redirectErrorStream(true)
                .redirectOutput(state.resolve("swtpm.log").toFile());
        Swtpm s = new Swtpm(pb.start(), state, ports[0], ports[1]);
        try {
            s.awaitListening();
            return s;
        } catch (IOException | InterruptedException | RuntimeException e) {
            s.close();
            throw e;
        }
    }

    /** Polls the data port until swtpm accepts a connection, within a bounded time. */
    private void awaitListening() throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(START_DEADLINE_MS);
        while (true) {
            if (!process.isAlive()) {
                throw new IOException("swtpm exited at start (" + process.exitValue() + "): " + log());
            }
            try (Socket probe = new Socket()) {
                probe.connect(new InetSocketAddress("127.0.0.1", controlPort), 200);
                return; // the control port opens after the data port
            } catch (IOException notYet) {
                if (System.nanoTime() > deadline) {
                    throw new IOException("swtpm did not listen within " + START_DEADLINE_MS + " ms: " + log());
                }
                process.waitFor(20, TimeUnit.MILLISECONDS);
            }
        }
    }

    private String log() {
        try {
            return Files.readString(stateDir.resolve("swtpm.log")).strip();
        } catch (IOException e) {
            return "(no log)";
        }
    }

    private static int[] freePorts() throws IOException {
        try (ServerSocket a = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
                ServerSocket b = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return new int[] {a.getLocalPort(), b.getLocalPort()};
        }
    }

    private static String findOnPath(String name) {
        String path = System.getenv("PATH");
        for (String dir : (path == null ? "" : path).split(File.pathSeparator)) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, name);
            if (Files.isExecutable(p)) {
                return p.toString();
            }
        }
        return null;
    }

    int port() {
        return port;
    }

    TpmConnection connect() throws Exception {
        return TpmConnection.simulator("127.0.0.1", port);
    }

    /** Stops swtpm (TERM, then KILL after 5 s) and deletes its state. */
    @Override
    public void close() throws IOException, InterruptedException {
        try {
            process.destroy();
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(reaper);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs anyway
            }
            try (Stream<Path> files = Files.walk(stateDir)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

}
