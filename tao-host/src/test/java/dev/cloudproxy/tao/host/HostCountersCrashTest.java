package dev.cloudproxy.tao.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cloudproxy.tao.StaleStateException;
import dev.cloudproxy.tao.CoreTao;
import dev.cloudproxy.tao.Unsealed;
import dev.cloudproxy.tao.io.AtomicFiles;
import dev.cloudproxy.tao.keys.Keys;
import dev.cloudproxy.tao.seal.KilledWriters;
import dev.cloudproxy.tao.soft.SoftTao;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A stacked host's counter table, kept with its parent's rollback-protected seal
 * ({@link HostCounters}): a write killed at each of its steps ({@link CounterCrashMain} halts its
 * JVM, like {@code kill -9}) leaves, on restart, the old value or the new one, never a lock-out;
 * so do concurrent writers killed while their changes share saves; an older copy of the table,
 * or none, is refused.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class HostCountersCrashTest {
    @TempDir
    Path temp;

    @BeforeEach
    void makeParentAndHost() throws Exception {
        SoftTao.create(temp.resolve("parent"), TestHosts.PASSWORD.clone(), TestHosts.CHEAP).close();
        try (Keys keys = Keys.generate(); SoftTao parent = openParent()) {
            keys.save(temp.resolve("keys"), TestHosts.PASSWORD.clone(), TestHosts.CHEAP);
            AtomicFiles.createPrivateDirectories(temp.resolve("host"));
            HostCounters.initStacked(new HostDirectory(temp.resolve("host")), keys, parent);
        }
    }

    private SoftTao openParent() throws Exception {
        return SoftTao.open(temp.resolve("parent"), TestHosts.PASSWORD.clone());
    }

    private int writeCrashingAt(int step, String value) throws IOException, InterruptedException {
        return TestHosts.runToExit(CounterCrashMain.class, false, temp.toString(), Integer.toString(step), value);
    }

    /** The program's state after a restart of parent, host and program; throws if it does not open. */
    private String restartAndRead() throws Exception {
        try (SoftTao parent = openParent(); Keys keys = Keys.load(temp.resolve("keys"), TestHosts.PASSWORD.clone())) {
            CoreTao tao = CounterCrashMain.programTao(temp, parent, keys, ProcessHandle.current().pid());
            try (Unsealed u = tao.rollbackProtectedUnseal(Files.readAllBytes(temp.resolve("state")))) {
                return new String(u.data(), StandardCharsets.UTF_8);
            }
        }
    }

    @Test
    void writeKilledAtEachStep_inALoop_restartsWithTheOldOrTheNewValue() throws Exception {
        assertThat(writeCrashingAt(0, "v0")).isZero();
        String current = "v0";
        int n = 0;
        for (int round = 0; round < 2; round++) {
            for (int step = 1; step <= CounterCrashMain.STEPS; step++) {
                String next = "v" + ++n;
                assertThat(writeCrashingAt(step, next)).as("step " + step).isEqualTo(CounterCrashMain.HALTED);
                String read = restartAndRead();
                assertThat(read).as("after a crash at step " + step).isIn(current, next);
                current = read;
            }
        }
        // And the program carries on writing after all those crashes.
        assertThat(writeCrashingAt(0, "last")).isZero();
        assertThat(restartAndRead()).isEqualTo("last");
    }

    /**
     * The batched path: four writers of one program share the host's table saves (each save a
     * parent seal and commit) in a child JVM ({@link HostBatchCrashMain}) killed ({@code SIGKILL})
     * after a random number of commits; every restart of parent, host and program opens each
     * writer's file with the value it last reported or the next one.
     */
    @Test
    void batchedWritersKilledAtRandomPoints_inALoop_restartWithTheOldOrTheNewValue() throws Exception {
        int threads = 4;
        Files.createDirectories(temp.resolve("states"));
        long seed = new java.util.Random().nextLong();
        java.util.Random random = new java.util.Random(seed);
        KilledWriters writers = new KilledWriters(threads);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        for (int round = 1; round <= 5; round++) {
            long start = round * 1_000_000L;
            writers.killedAfter(List.of(java, "-Xshare:auto", "-cp", System.getProperty("java.class.path"),
                    HostBatchCrashMain.class.getName(), temp.toString(), Integer.toString(threads), Long.toString(start)),
                    temp.resolve("states"), temp.resolve("child.log"), start, 1 + random.nextInt(30), random.nextInt(20));
            try (SoftTao parent = openParent(); Keys keys = Keys.load(temp.resolve("keys"), TestHosts.PASSWORD.clone())) {
                CoreTao tao = CounterCrashMain.programTao(temp, parent, keys, ProcessHandle.current().pid());
                writers.assertOldOrNew(tao, temp.resolve("states"), "seed " + seed + ", round " + round);
            }
        }
    }

    @Test
    void hostDirectoryRestoredFromAnOlderCopy_isRefusedAtStart() throws Exception {
        assertThat(writeCrashingAt(0, "v1")).isZero();
        Path table = temp.resolve("host").resolve(HostDirectory.COUNTERS);
        Path old = temp.resolve("old-table");
        Path oldState = temp.resolve("old-state");
        Files.copy(table, old);
        Files.copy(temp.resolve("state"), oldState);
        assertThat(writeCrashingAt(0, "v2")).isZero();
        Files.copy(old, table, StandardCopyOption.REPLACE_EXISTING);
        Files.copy(oldState, temp.resolve("state"), StandardCopyOption.REPLACE_EXISTING);

        StaleStateException e = assertThrows(StaleStateException.class, this::restartAndRead);
        assertThat(e.getMessage()).startsWith("stale state: counter ");
    }

    @Test
    void programStateFileFromAnOlderWrite_isStale() throws Exception {
        assertThat(writeCrashingAt(0, "v1")).isZero();
        Path oldState = temp.resolve("old-state");
        Files.copy(temp.resolve("state"), oldState);
        assertThat(writeCrashingAt(0, "v2")).isZero();
        Files.copy(oldState, temp.resolve("state"), StandardCopyOption.REPLACE_EXISTING);

        StaleStateException e = assertThrows(StaleStateException.class, this::restartAndRead);
        assertThat(e).hasMessage("stale state: counter 1, expected 2");
    }

    @Test
    void deletedCounterTable_isRefusedAtStart() throws Exception {
        assertThat(writeCrashingAt(0, "v1")).isZero();
        Files.delete(temp.resolve("host").resolve(HostDirectory.COUNTERS));
        HostException e = assertThrows(HostException.class, this::restartAndRead);
        assertThat(e.getMessage()).contains("is missing");
    }
}
