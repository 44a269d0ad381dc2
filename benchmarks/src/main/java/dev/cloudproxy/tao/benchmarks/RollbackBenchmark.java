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
import org.openjdk.jmh.annotations.Warmup;

/**
 * Rollback-protected seal of 1 KiB on the soft root against its baseline, an ordinary seal of
 * 1 KiB: with the counter table in memory (the cost of the format and the counter), and with it on
 * disk as a soft root keeps it (each advance replaces the table file: write, fsync, rename, fsync
 * of the directory). The commit after writing state (open once) costs one more table write.
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
}
