package dev.cloudproxy.tao.agent.tooling;

import com.sun.jna.LastErrorException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * What the agent does to the process before anything else: no core dumps, no ptrace, no reading
 * of its memory through /proc by other processes of the same user, and no tracer already attached.
 */
final class Hardening {
    private static final int PR_SET_DUMPABLE = 4;
    private static final int PR_GET_DUMPABLE = 3;
    private static final int MAX_STATUS_BYTES = 64 * 1024;

    private Hardening() {}

    /**
     * {@code prctl(PR_SET_DUMPABLE, 0)}: blocks ptrace, {@code /proc/<pid>/mem} and {@code environ}
     * for other processes of the same user (root excepted) and core dumps. {@code execve} resets it,
     * so the JVM must set it itself: here, first thing in premain.
     *
     * <p>JNA unpacks its native stub into {@code workDir} (private to this run), never into a shared
     * temporary directory, and never loads a system copy: the stub is the one in the measured jar.
     */
    static void makeNonDumpable(Path workDir) throws IOException {
        Path jnaDir = workDir.resolve("jna");
        if (!Files.isDirectory(jnaDir)) {
            Files.createDirectory(jnaDir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        String oldTmp = System.setProperty("jna.tmpdir", jnaDir.toString());
        String oldNosys = System.setProperty("jna.nosys", "true");
        try {
            LibC.load();
        } finally {
            restore("jna.tmpdir", oldTmp);
            restore("jna.nosys", oldNosys);
        }
        try {
            LibC.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
            if (LibC.prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0) {
                throw new IOException("the process is still dumpable after prctl(PR_SET_DUMPABLE, 0)");
            }
        } catch (LastErrorException e) {
            throw new IOException("prctl(PR_SET_DUMPABLE, 0) failed with errno " + e.getErrorCode());
        }
    }

    private static void restore(String key, String old) {
        if (old == null) {
            System.clearProperty(key);
        } else {
            System.setProperty(key, old);
        }
    }

    /** Refuses to go on if a debugger or tracer is attached (TracerPid in /proc/self/status). */
    static void checkNotTraced() throws IOException {
        checkNotTraced(Files.readAllBytes(Path.of("/proc/self/status")));
    }

    static void checkNotTraced(byte[] status) throws IOException {
        if (status.length > MAX_STATUS_BYTES) {
            throw new IOException("/proc/self/status is unexpectedly long");
        }
        for (String line : new String(status, StandardCharsets.US_ASCII).split("\n")) {
            if (line.startsWith("TracerPid:")) {
                String pid = line.substring("TracerPid:".length()).strip();
                if (!pid.equals("0")) {
                    throw new IOException("the process is being traced (TracerPid " + pid.replaceAll("[^0-9]", "?")
                            + "); a traced program's secrets are not its own");
                }
                return;
            }
        }
        throw new IOException("/proc/self/status has no TracerPid line; cannot tell whether the process is traced");
    }
}
