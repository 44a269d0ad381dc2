package dev.cloudproxy.tao.benchmarks;

import dev.cloudproxy.tao.CoreTao;
import dev.cloudproxy.tao.TaoException;
import dev.cloudproxy.tao.Unsealed;
import dev.cloudproxy.tao.io.AtomicFiles;
import dev.cloudproxy.tao.keys.Argon2Params;
import dev.cloudproxy.tao.soft.SoftTao;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Rollback-protected seal of 1 KiB on the soft root against its baseline, an ordinary seal of
 * 1 KiB: with the counter table in memory (the cost of the format and the counter), and with it on
 * disk as a soft root keeps it (each advance replaces the table file: write, fsync, rename, fsync
 * of the directory). The commit after writing state (open once) costs one more table write. The
 * {@code _8threads} rows share one soft root between 8 threads, each sealing under its own label:
 * the advances that queue behind a table write in flight share the next one (group commit).
 *
 * <pre>java -jar benchmarks/target/benchmarks.jar RollbackBenchmark</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class RollbackBenchmark {
    private static final AtomicInteger NEXT_LABEL = new AtomicInteger();

    /** One soft root on disk shared by the threads of the {@code _8threads} rows. */
    @State(Scope.Benchmark)
    public static class SharedRoot {
        SoftTao tao;
        Path dir;
        final byte[] data = new byte[1024];

        @Setup(Level.Trial)
        public void setUp() throws Exception {
            dir = Files.createTempDirectory("rollback-bench-shared");
            tao = SoftTao.create(dir.resolve("tao"), "bench".toCharArray(), Argon2Params.FLOOR);
        }

        @TearDown(Level.Trial)
        public void tearDown() throws IOException {
            tao.close();
            AtomicFiles.deleteTree(dir);
        }
    }

    /** Each thread's own label: concurrent writers of distinct state. */
    @State(Scope.Thread)
    public static class OwnLabel {
        final String label = "bench-" + NEXT_LABEL.getAndIncrement();
    }

    private SoftTao inMemory;
    private SoftTao onDisk;
    private Path dir;
    private byte[] data;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        inMemory = SoftTao.ephemeral();
        dir = Files.createTempDirectory("rollback-bench");
        onDisk = SoftTao.create(dir.resolve("tao"), "bench".toCharArray(), Argon2Params.FLOOR);
        data = new byte[1024];
        new SecureRandom().nextBytes(data);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        inMemory.close();
        onDisk.close();
        AtomicFiles.deleteTree(dir);
    }

    @Benchmark
    public byte[] baselineSeal1KiB() {
        return inMemory.seal(data, CoreTao.SEAL_POLICY_SELF);
    }

    @Benchmark
    public byte[] rollbackProtectedSeal1KiB_tableInMemory() throws IOException, TaoException {
        return inMemory.rollbackProtectedSeal("bench", data, CoreTao.SEAL_POLICY_SELF);
    }

    @Benchmark
    public byte[] rollbackProtectedSeal1KiB_tableOnDisk() throws IOException, TaoException {
        return onDisk.rollbackProtectedSeal("bench", data, CoreTao.SEAL_POLICY_SELF);
    }

    /** Seal, then the commit a writer makes once its file is written (open the new blob once). */
    @Benchmark
    public Unsealed rollbackProtectedSealAndCommit1KiB_tableOnDisk() throws IOException, TaoException {
        try (Unsealed u = onDisk.rollbackProtectedUnseal(onDisk.rollbackProtectedSeal("bench", data, CoreTao.SEAL_POLICY_SELF))) {
            return u;
        }
    }

    @Benchmark
    @Threads(8)
    public byte[] baselineSeal1KiB_8threads(SharedRoot root) {
        return root.tao.seal(root.data, CoreTao.SEAL_POLICY_SELF);
    }

    @Benchmark
    @Threads(8)
    public byte[] rollbackProtectedSeal1KiB_tableOnDisk_8threads(SharedRoot root, OwnLabel own)
            throws IOException, TaoException {
        return root.tao.rollbackProtectedSeal(own.label, root.data, CoreTao.SEAL_POLICY_SELF);
    }
}
