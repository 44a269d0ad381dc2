package dev.cloudproxy.tao.seal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudproxy.tao.CoreTao;
import dev.cloudproxy.tao.Unsealed;
import dev.cloudproxy.tao.io.AtomicFiles;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A test fixture for the batched counter commits under {@code kill -9}: concurrent writers in a
 * child JVM, killed at a random point, and the check a restart must pass. Every Tao's test uses
 * the same three steps:
 * <ol>
 *   <li>the child calls {@link #writeUntilKilled}: each of its threads {@code i} writes its own
 *       state (label {@code t<i>}, file {@code STATES/t<i>}) with the writer protocol
 *       (rollback-protected seal, atomic file write, first unseal) and, once the write is
 *       committed, records the value in {@code STATES/t<i>.ack} (atomically: a killed process
 *       leaves the file written, unlike a line on a pipe, which {@link PrintStream} may drop) and
 *       prints a line (progress only);
 *   <li>the test runs it with {@link #killedAfter}, which kills it ({@code SIGKILL}) once the
 *       writers have printed a given number of commits and a few milliseconds more, so at any
 *       step of a batch;
 *   <li>after restarting the Tao, {@link #assertOldOrNew} opens each writer's file: it must open
 *       (never a lock-out) with the value last acknowledged or the next one (old or new), never older.
 * </ol>
 */
public final class KilledWriters {
    private final int threads;
    /** Each writer's value after the last restart (0: no file yet). */
    private final long[] current;
    private long start;
    private long[] acked;

    /** The writers of a test, {@code threads} of them, with no state yet. */
    public KilledWriters(int threads) {
        this.threads = threads;
        this.current = new long[threads];
    }

    /**
     * The child's main loop: {@code threads} writers on {@code tao}, values {@code start + 1,
     * start + 2, ...}, until the process is killed. Prints {@code ready} first; a writer that fails
     * prints its stack trace and halts the JVM with status 3.
     */
    public static void writeUntilKilled(CoreTao tao, Path states, int threads, long start) throws InterruptedException {
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.US_ASCII);
        out.println("ready");
        List<Thread> writers = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            int id = i;
            Thread w = new Thread(() -> {
                try {
                    for (long v = start + 1; ; v++) {
                        byte[] blob = tao.rollbackProtectedSeal("t" + id, Long.toString(v).getBytes(StandardCharsets.US_ASCII),
                                CoreTao.SEAL_POLICY_SELF);
                        AtomicFiles.writeOwnerOnly(states.resolve("t" + id), blob);
                        tao.rollbackProtectedUnseal(blob).close();
                        AtomicFiles.writeOwnerOnly(states.resolve("t" + id + ".ack"),
                                Long.toString(v).getBytes(StandardCharsets.US_ASCII));
                        out.println(id + " " + v);
                    }
                } catch (Exception e) {
                    e.printStackTrace();
                    Runtime.getRuntime().halt(3);
                }
            });
            w.start();
            writers.add(w);
        }
        for (Thread w : writers) {
            w.join();
        }
    }

    /**
     * Runs the child {@code command} (its standard error to {@code log}), which must call
     * {@link #writeUntilKilled} on {@code states} with this many threads and {@code start}; kills
     * it once its writers have printed {@code commits} commits in all and {@code thenMs} more have
     * passed, and records each writer's last acknowledged value.
     */
    public void killedAfter(List<String> command, Path states, Path log, long start, int commits, int thenMs)
            throws Exception {
        this.start = start;
        for (int t = 0; t < threads; t++) {
            Files.deleteIfExists(states.resolve("t" + t + ".ack"));
        }
        Process p = new ProcessBuilder(command).redirectError(log.toFile()).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.US_ASCII))) {
            AtomicInteger seen = new AtomicInteger();
            CountDownLatch enough = new CountDownLatch(1);
            Thread reader = new Thread(() -> {
                try {
                    for (String line; (line = out.readLine()) != null; ) {
                        if (!line.equals("ready") && seen.incrementAndGet() >= commits) {
                            enough.countDown();
                        }
                    }
                } catch (IOException closed) {
                    // the child was killed
                }
                enough.countDown();
            });
            reader.start();
            assertThat(enough.await(120, TimeUnit.SECONDS)).as("the writers commit").isTrue();
            assertThat(p.isAlive()).as("the writers run until killed (see " + log + ")").isTrue();
            Thread.sleep(thenMs);
            p.destroyForcibly();
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            reader.join(60_000);
        } finally {
            p.destroyForcibly();
        }
        acked = new long[threads];
        for (int t = 0; t < threads; t++) {
            Path ack = states.resolve("t" + t + ".ack");
            if (Files.exists(ack)) {
                acked[t] = Long.parseLong(Files.readString(ack, StandardCharsets.US_ASCII));
            }
        }
    }

    /**
     * After a restart: each writer's file in {@code states} opens on {@code tao} with the value it
     * last acknowledged, or the next one (if it acknowledged none this round: its value before the
     * round, or the round's first).
     */
    public void assertOldOrNew(CoreTao tao, Path states, String round) throws Exception {
        for (int t = 0; t < threads; t++) {
            String what = round + ", writer " + t;
            long old = acked[t] > 0 ? acked[t] : current[t];
            long next = acked[t] > 0 ? acked[t] + 1 : start + 1;
            Path file = states.resolve("t" + t);
            if (!Files.exists(file)) {
                assertThat(old).as(what + ": no file, yet a write was reported").isZero();
                continue;
            }
            try (Unsealed u = tao.rollbackProtectedUnseal(Files.readAllBytes(file))) {
                current[t] = Long.parseLong(new String(u.data(), StandardCharsets.US_ASCII));
            }
            assertThat(current[t]).as(what).isIn(old, next);
        }
    }
}
