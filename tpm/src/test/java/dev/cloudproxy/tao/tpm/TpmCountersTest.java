package dev.cloudproxy.tao.tpm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cloudproxy.tao.StaleStateException;
import dev.cloudproxy.tao.CoreTao;
import dev.cloudproxy.tao.TaoException;
import dev.cloudproxy.tao.Unsealed;
import dev.cloudproxy.tao.seal.KilledWriters;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A TPM Tao's counter table anchored in a TPM NV counter ({@link AnchoredCounterStore}), on
 * swtpm: older tables are refused at open, also after the NV index is undefined and defined
 * again; a write killed at each step opens as the old or the new state, and so do concurrent
 * writers killed while their commits are batched; one NV increment per commit, shared by the
 * changes of concurrent callers.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class TpmCountersTest {
    private static final List<Integer> PCRS = List.of(0, 7);
    private static final String LABEL = "balance";
    private Swtpm swtpm;
    @TempDir
    Path temp;

    @BeforeEach
    void startTpm() throws Exception {
        swtpm = Swtpm.start();
    }

    @AfterEach
    void stopTpm() throws Exception {
        swtpm.close();
    }

    private Path taoDir() {
        return temp.resolve("tao");
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path p : files.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
    }

    @Test
    void olderDirectoryRestored_whileTheNvCounterMovedOn_isRefusedAtOpen() throws Exception {
        byte[] v1;
        try (TpmConnection tpm = swtpm.connect(); TpmTao tao = TpmTao.create(tpm, taoDir(), PCRS)) {
            v1 = tao.rollbackProtectedSeal(LABEL, utf8("v1"), CoreTao.SEAL_POLICY_SELF);
            tao.rollbackProtectedUnseal(v1).close();
        }
        copyTree(taoDir(), temp.resolve("snapshot"));
        try (TpmConnection tpm = swtpm.connect(); TpmTao tao = TpmTao.open(tpm, taoDir())) {
            byte[] v2 = tao.rollbackProtectedSeal(LABEL, utf8("v2"), CoreTao.SEAL_POLICY_SELF);
            tao.rollbackProtectedUnseal(v2).close();
            assertThrows(StaleStateException.class, () -> tao.rollbackProtectedUnseal(v1));
        }
        copyTree(temp.resolve("snapshot"), taoDir());
        try (TpmConnection tpm = swtpm.connect()) {
            StaleStateException e = assertThrows(StaleStateException.class, () -> TpmTao.open(tpm, taoDir()));
            assertThat(e.getMessage()).startsWith("stale state: counter ");
            assertThat(e.counter()).isLessThan(e.expected());
        }
    }

    @Test
    void nvIndexUndefinedAndDefinedAgain_keepsEveryOlderTableRefused() throws Exception {
        Path table = taoDir().resolve(TpmTao.COUNTERS_FILE);
        int index;
        try (TpmConnection tpm = swtpm.connect(); TpmTao tao = TpmTao.create(tpm, taoDir(), PCRS)) {
            tao.rollbackProtectedSeal(LABEL, utf8("v1"), CoreTao.SEAL_POLICY_SELF);
            index = tao.counterIndex();
        }
        Files.copy(table, temp.resolve("old-table"));
        try (TpmConnection tpm = swtpm.connect(); TpmTao tao = TpmTao.open(tpm, taoDir())) {
            tao.rollbackProtectedSeal(LABEL, utf8("v2"), CoreTao.SEAL_POLICY_SELF);
        }
        try (TpmConnection tpm = swtpm.connect()) {
            NvCounter.open(tpm, index).undefine();
            TaoException missing = assertThrows(TaoException.class, () -> TpmTao.open(tpm, taoDir()));
            assertThat(missing.getMessage()).contains("that anchors the TPM Tao's counter table is not there");
            NvCounter.define(tpm, index);
            // The current table and the older one are both below the redefined counter.
            assertThrows(StaleStateException.class, () -> TpmTao.open(tpm, taoDir()));
            Files.copy(temp.resolve("old-table"), table, StandardCopyOption.REPLACE_EXISTING);
            assertThrows(StaleStateException.class, () -> TpmTao.open(tpm, taoDir()));
        }
    }

    @Test
    void taoMadeBeforeAnchoring_isAnchoredInANewNvCounterAtItsFirstOpen() throws Exception {
        int before;
        try (TpmConnection tpm = swtpm.connect(); TpmTao tao = TpmTao.create(tpm, taoDir(), PCRS)) {
            before = tao.counterIndex();
        }
        // The version 1 state had no NV index and its (here: never saved) table no anchor.
        Path stateFile = taoDir().resolve(TpmTao.STATE_FILE);
        byte[] v2 = Files.readAllBytes(stateFile);
        byte[] v1 = java.util.Arrays.copyOf(v2, v2.length - 4);
        v1[4] = 1;
        Files.write(stateFile, v1);
        Files.delete(taoDir().resolve(TpmTao.COUNTERS_FILE)); // a version 1 Tao that never used a counter
        try (TpmConnection tpm = swtpm.connect(); TpmTao tao = TpmTao.open(tpm, taoDir())) {
            assertThat(tao.counterIndex()).isNotZero();
            byte[] blob = tao.rollbackProtectedSeal(LABEL, utf8("v1"), CoreTao.SEAL_POLICY_SELF);
            tao.rollbackProtectedUnseal(blob).close();
            NvCounter.open(tpm, before).undefine();
        }
        assertThat(Files.readAllBytes(stateFile)[4]).isEqualTo((byte) 2);
        assertThat(taoDir().resolve("counters.tao")).doesNotExist();
        try (TpmConnection tpm = swtpm.connect(); TpmTao tao = TpmTao.open(tpm, taoDir())) {
            assertThat(tao.getCounter(LABEL)).isEqualTo(1);
        }
    }

    @Test
    void deletedTable_isRefusedAtOpen() throws Exception {
        try (TpmConnection tpm = swtpm.connect(); TpmTao tao = TpmTao.create(tpm, taoDir(), PCRS)) {
            tao.initCounter(LABEL);
        }
        Files.delete(taoDir().resolve(TpmTao.COUNTERS_FILE));
        try (TpmConnection tpm = swtpm.connect()) {
            assertThat(assertThrows(TaoException.class, () -> TpmTao.open(tpm, taoDir())).getMessage())
                    .contains("is missing");
        }
    }

    @Test
    void eachChangeOfTheTable_costsOneNvIncrement_andAnOrdinarySealNone() throws Exception {
        try (TpmConnection tpm = swtpm.connect(); TpmTao tao = TpmTao.create(tpm, taoDir(), PCRS)) {
            int index = tao.counterIndex();
            long nvBefore = NvCounter.open(tpm, index).read();
            int seals = 20;
            for (int i = 0; i < seals; i++) {
                byte[] blob = tao.rollbackProtectedSeal(LABEL, utf8("v" + i), CoreTao.SEAL_POLICY_SELF);
                try (Unsealed u = tao.rollbackProtectedUnseal(blob)) {
                    assertThat(u.data()).isEqualTo(utf8("v" + i));
                }
            }
            // A seal advances the counter and the first unseal commits: two changes, two increments
            // (the first seal creates the counter and advances it in one commit).
            assertThat(NvCounter.open(tpm, index).read() - nvBefore).isEqualTo(2L * seals);
            long commandsBefore = TpmConnection.commandsSent();
            tao.rollbackProtectedSeal(LABEL, utf8("once more"), CoreTao.SEAL_POLICY_SELF);
            assertThat(TpmConnection.commandsSent() - commandsBefore)
                    .as("TPM2_NV_Increment, TPM2_NV_Read").isEqualTo(2);
        }
    }

    @Test
    void writeKilledAtEachStep_inALoop_opensWithTheOldOrTheNewValue() throws Exception {
        Path state = temp.resolve("state");
        try (TpmConnection tpm = swtpm.connect(); TpmTao tao = TpmTao.create(tpm, taoDir(), PCRS)) {
            tao.initCounter(LABEL);
        }
        assertThat(writeCrashingAt(0, "v0")).isZero();
        String current = "v0";
        int n = 0;
        for (int round = 0; round < 2; round++) {
            for (int step = 1; step <= TpmCounterCrashMain.STEPS; step++) {
                String next = "v" + ++n;
                assertThat(writeCrashingAt(step, next)).as("step " + step).isEqualTo(TpmCounterCrashMain.HALTED);
                String read = reopenAndRead(state);
                assertThat(read).as("after a crash at step " + step).isIn(current, next);
                current = read;
            }
        }
        assertThat(writeCrashingAt(0, "last")).isZero();
        assertThat(reopenAndRead(state)).isEqualTo("last");
    }

    @Test
    void concurrentSeals_shareNvIncrements_andNeverLoseAnUpdate() throws Exception {
        int threads = 8;
        int perThread = 25;
        try (TpmConnection tpm = swtpm.connect(); TpmTao tao = TpmTao.create(tpm, taoDir(), PCRS)) {
            NvCounter nv = NvCounter.open(tpm, tao.counterIndex());
            long nvBefore = nv.read();
            List<byte[]> blobs = java.util.Collections.synchronizedList(new ArrayList<>());
            java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
            try {
                List<java.util.concurrent.Future<?>> done = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    done.add(pool.submit(() -> {
                        for (int i = 0; i < perThread; i++) {
                            blobs.add(tao.rollbackProtectedSeal(LABEL, utf8("v" + i), CoreTao.SEAL_POLICY_SELF));
                        }
                        return null;
                    }));
                }
                for (java.util.concurrent.Future<?> f : done) {
                    f.get();
                }
            } finally {
                pool.shutdown();
            }
            int seals = threads * perThread;
            long increments = nv.read() - nvBefore;
            System.out.println("NV increments for " + seals + " rollback-protected seals from " + threads + " threads: "
                    + increments);
            // Unbatched, every seal is one increment; batched, the callers that queue behind a
            // commit share the next. Not a timing: a bound any interleaving of 8 busy callers meets.
            assertThat(increments).isBetween(1L, (long) seals / 2);
            assertThat(tao.getCounter(LABEL)).isEqualTo(seals);
            java.util.Set<Long> values = new java.util.TreeSet<>();
            for (byte[] b : blobs) {
                try (Unsealed u = tao.rollbackProtectedUnseal(b)) {
                    values.add(u.counter().orElseThrow());
                } catch (StaleStateException e) {
                    values.add(e.counter());
                }
            }
            assertThat(values).hasSize(seals).first().isEqualTo(1L);
            assertThat(values).last().isEqualTo((long) seals);
        }
        try (TpmConnection tpm = swtpm.connect(); TpmTao tao = TpmTao.open(tpm, taoDir())) {
            assertThat(tao.getCounter(LABEL)).isEqualTo(threads * perThread);
        }
    }

    /**
     * The batched path under {@code kill -9}: four writers share the Tao's commits in a child JVM
     * ({@link TpmBatchCrashMain}), killed after a random number of commits, so at any step of a
     * batch (queued in memory, table written, NV incremented, blob sealed, file written, committed).
     * Every restart opens the Tao (never a lock-out), and each writer's file opens with the value it
     * last reported committed or the one after (old or new), never older.
     */
    @Test
    void batchedWritersKilledAtRandomPoints_inALoop_reopenWithTheOldOrTheNewValue() throws Exception {
        int threads = 4;
        Path states = temp.resolve("states");
        Files.createDirectories(states);
        try (TpmConnection tpm = swtpm.connect(); TpmTao tao = TpmTao.create(tpm, taoDir(), PCRS)) {
            tao.initCounter(LABEL);
        }
        long seed = new java.util.Random().nextLong();
        java.util.Random random = new java.util.Random(seed);
        KilledWriters writers = new KilledWriters(threads);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        for (int round = 1; round <= 6; round++) {
            long start = round * 1_000_000L;
            writers.killedAfter(List.of(java, "-Xshare:auto", "-cp", System.getProperty("java.class.path"),
                    TpmBatchCrashMain.class.getName(), Integer.toString(swtpm.port()), taoDir().toString(),
                    states.toString(), Integer.toString(threads), Long.toString(start)),
                    states, temp.resolve("child.log"), start, 1 + random.nextInt(30), random.nextInt(20));
            try (TpmConnection tpm = swtpm.connect(); TpmTao tao = TpmTao.open(tpm, taoDir())) {
                writers.assertOldOrNew(tao, states, "seed " + seed + ", round " + round);
            }
        }
    }

    private String reopenAndRead(Path state) throws Exception {
        try (TpmConnection tpm = swtpm.connect(); TpmTao tao = TpmTao.open(tpm, taoDir());
                Unsealed u = tao.rollbackProtectedUnseal(Files.readAllBytes(state))) {
            return new String(u.data(), StandardCharsets.UTF_8);
        }
    }

    private int writeCrashingAt(int step, String value) throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "-Xshare:auto", "-cp", System.getProperty("java.class.path"),
                TpmCounterCrashMain.class.getName(), Integer.toString(swtpm.port()), taoDir().toString(),
                temp.resolve("state").toString(), Integer.toString(step), value));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(temp.resolve("child.log").toFile())
                .start();
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                throw new AssertionError("the child did not finish");
            }
            return p.exitValue();
        } finally {
            p.destroyForcibly();
        }
    }
}
