package dev.cloudproxy.tao.tpm;

import dev.cloudproxy.tao.CoreTao;
import dev.cloudproxy.tao.Unsealed;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
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
 * The TPM Tao's batched counter commits: one TPM Tao on swtpm shared by 8 threads, each sealing
 * under its own label, so the advances that queue behind a commit in flight share the next table
 * write and NV increment. Beside it, the same Tao's ordinary seal from 8 threads; the one-thread
 * rows are {@link TpmBenchmark}'s ({@code tpmSeal1KiB}, {@code tpmRollbackProtectedSeal1KiB}),
 * run in the same invocation. swtpm must be on the PATH.
 *
 * <pre>java -jar benchmarks/target/benchmarks.jar 'TpmBatchBenchmark|TpmBenchmark.(tpmSeal1KiB|tpmRollbackProtected.*)'</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@Threads(8)
public class TpmBatchBenchmark {
    private static final AtomicInteger NEXT_LABEL = new AtomicInteger();

    private Swtpm swtpm;
    private TpmConnection tpm;
    private TpmTao tao;
    private Path dir;
    private byte[] data;

    /** Each thread's own label: concurrent writers of distinct state, as a host's programs are. */
    @State(Scope.Thread)
    public static class OwnLabel {
        final String label = "bench-" + NEXT_LABEL.getAndIncrement();
    }

    @Setup
    public void setUp() throws Exception {
        swtpm = Swtpm.start();
        tpm = swtpm.connect();
        dir = Files.createTempDirectory("tpm-batch-bench");
        tao = TpmTao.create(tpm, dir.resolve("tao"), List.of(0, 7, TpmTao.HOST_PCR));
        data = new byte[1024];
    }

    @TearDown
    public void tearDown() throws Exception {
        try {
            tao.close();
            tpm.close();
        } finally {
            swtpm.close();
            dev.cloudproxy.tao.io.AtomicFiles.deleteTree(dir);
        }
    }

    @Benchmark
    public byte[] tpmSeal1KiB_8threads() throws Exception {
        return tao.seal(data, CoreTao.SEAL_POLICY_SELF);
    }

    @Benchmark
    public byte[] tpmRollbackProtectedSeal1KiB_8threads(OwnLabel own) throws Exception {
        return tao.rollbackProtectedSeal(own.label, data, CoreTao.SEAL_POLICY_SELF);
    }

    /** Seal, then the commit a writer makes once its file is written (open the new blob once). */
    @Benchmark
    public int tpmRollbackProtectedSealAndCommit1KiB_8threads(OwnLabel own) throws Exception {
        try (Unsealed u = tao.rollbackProtectedUnseal(tao.rollbackProtectedSeal(own.label, data, CoreTao.SEAL_POLICY_SELF))) {
            return u.data().length;
        }
    }
}
