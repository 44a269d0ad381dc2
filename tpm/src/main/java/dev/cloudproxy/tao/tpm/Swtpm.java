package dev.cloudproxy.tao.tpm;

import dev.cloudproxy.tao.io.AtomicFiles;
import java.io.File;
import java.io.FileNotFoundException;
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
 * A swtpm TPM 2.0 simulator run by this process: started on two free loopback ports (data and
 * control, adjacent as tpm2-tools expects) and stopped by {@link #close}, also from a shutdown
 * hook if this JVM ends first. {@link #start()} gives a fresh TPM whose state is deleted at close
 * (the tests); {@link #start(Path)} keeps its state in a directory, so a simulator started again
 * on it is the same TPM: same endorsement seed, NV indices and counters (PCRs start from zero, as
 * after a reboot). {@code tao demo --tpm2} uses that.
 *
 * <p>A simulator, not a root of trust: anyone who can read its state directory can be that TPM.
 *
 * <p>swtpm must be installed: CI installs it ({@code .ci/run}); elsewhere starting fails with a
 * message naming the packages, rather than skipping.
 */
public final class Swtpm implements AutoCloseable {
    private static final long START_DEADLINE_MS = 15_000;
    private final Process process;
    private final Path stateDir;
    private final int port;
    private final int controlPort;
    private final boolean deleteState;
    private final Thread reaper;

    private Swtpm(Process process, Path stateDir, boolean deleteState, int port, int controlPort) {
        this.process = process;
        this.stateDir = stateDir;
        this.deleteState = deleteState;
        this.port = port;
        this.controlPort = controlPort;
        this.reaper = new Thread(process::destroyForcibly, "swtpm-reaper");
        Runtime.getRuntime().addShutdownHook(reaper);
    }

    /** A fresh simulator whose state is deleted at {@link #close}. */
    public static Swtpm start() throws IOException, InterruptedException {
        String swtpm = executable();
        return start(swtpm, Files.createTempDirectory("swtpm-test"), true);
    }

    /**
     * A simulator on the state in {@code stateDir} (made, mode 0700, if missing), kept at
     * {@link #close}.
     *
     * @throws FileNotFoundException if swtpm is not installed (the message names the packages)
     */
    public static Swtpm start(Path stateDir) throws IOException, InterruptedException {
        String swtpm = executable();
        AtomicFiles.createPrivateDirectories(stateDir);
        return start(swtpm, stateDir.toAbsolutePath(), false);
    }

    private static String executable() throws FileNotFoundException {
        String swtpm = findOnPath("swtpm");
        if (swtpm == null) {
            throw new FileNotFoundException("swtpm (the TPM 2.0 simulator) is not installed: install it "
                    + "(Debian/Ubuntu: apt-get install -y swtpm swtpm-tools tpm2-tools) and run again");
        }
        return swtpm;
    }

    private static Swtpm start(String swtpm, Path state, boolean deleteState) throws IOException, InterruptedException {
        int[] ports = freePorts();
        ProcessBuilder pb = new ProcessBuilder(swtpm, "socket", "--tpm2",
                "--server", "type=tcp,port=" + ports[0] + ",bindaddr=127.0.0.1",
                "--ctrl", "type=tcp,port=" + ports[1] + ",bindaddr=127.0.0.1",
                "--tpmstate", "dir=" + state,
                "--flags", "not-need-init,startup-clear")
                .redirectErrorStream(true)
                .redirectOutput(state.resolve("swtpm.log").toFile());
        Swtpm s = new Swtpm(pb.start(), state, deleteState, ports[0], ports[1]);
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

    /**
     * Two free loopback ports, the second right after the first: tpm2-tools' swtpm TCTI expects
     * the control port at the data port + 1.
     */
    private static int[] freePorts() throws IOException {
        java.net.InetAddress lo = java.net.InetAddress.getLoopbackAddress();
        for (int attempt = 0; attempt < 50; attempt++) {
            try (ServerSocket a = new ServerSocket(0, 1, lo)) {
                int p = a.getLocalPort();
                if (p >= 65535) {
                    continue;
                }
                try (ServerSocket b = new ServerSocket(p + 1, 1, lo)) {
                    return new int[] {p, b.getLocalPort()};
                } catch (IOException taken) {
                    // try another pair
                }
            }
        }
        throw new IOException("no two adjacent free loopback ports");
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

    /** Runs a tpm2-tools command against this simulator (no Java client may be connected). */
    public String tpm2Tools(String tool, String... args) throws IOException, InterruptedException {
        String exe = findOnPath(tool);
        if (exe == null) {
            throw new IllegalStateException(tool + " is not installed: install tpm2-tools (apt-get install -y tpm2-tools)");
        }
        List<String> cmd = new java.util.ArrayList<>(List.of(exe, "-T", "swtpm:host=127.0.0.1,port=" + port));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException(tool + " did not finish");
        }
        if (p.exitValue() != 0) {
            throw new IOException(tool + " failed (" + p.exitValue() + "): " + out.strip());
        }
        return out;
    }

    public int port() {
        return port;
    }

    /** The spec of this simulator for {@link TpmParent}: {@code tpm:simulator:127.0.0.1:PORT}. */
    public String spec() {
        return TpmParent.simulatorSpec("127.0.0.1", port);
    }

    public TpmConnection connect() throws Exception {
        return TpmConnection.simulator("127.0.0.1", port);
    }

    /** Stops swtpm (TERM, then KILL after 5 s) and deletes its state if {@link #start()} made it. */
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
            if (!deleteState) {
                return;
            }
            try (Stream<Path> files = Files.walk(stateDir)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

}
