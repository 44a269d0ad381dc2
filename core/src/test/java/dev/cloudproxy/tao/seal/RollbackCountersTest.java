package dev.cloudproxy.tao.seal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cloudproxy.tao.StaleStateException;
import dev.cloudproxy.tao.TaoException;
import dev.cloudproxy.tao.auth.Bytes;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.PrinExt;
import dev.cloudproxy.tao.auth.SubPrin;
import dev.cloudproxy.tao.keys.Crypter;
import dev.cloudproxy.tao.soft.SoftTao;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The counter table on its own: persistence, failure atomicity, group commit, bounds and a strict
 * format.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RollbackCountersTest {
    private static final Prin HOST = SoftTao.ephemeral().getTaoName();
    private static final Prin A = program(1);
    private static final Prin B = program(2);

    private static Prin program(int id) {
        return HOST.extend(SubPrin.of(PrinExt.of("Program", new Bytes(new byte[] {(byte) id}))));
    }

    @TempDir
    Path temp;

    /** A store that keeps the last table, and fails on demand. */
    private static final class MemoryStore implements RollbackCounters.Store {
        byte[] table;
        boolean failing;

        @Override
        public byte[] load() {
            return table == null ? null : table.clone();
        }

        @Override
        public void save(byte[] t) throws IOException {
            if (failing) {
                throw new IOException("disk full");
            }
            table = t.clone();
        }
    }

    @Test
    void savedTable_reopens_withTheSameValuesPerOwnerAndLabel() throws Exception {
        MemoryStore store = new MemoryStore();
        RollbackCounters c = RollbackCounters.open(store);
        c.advance(A, "x");
        c.advance(A, "x");
        c.check(A, "x", 2);
        c.advance(A, "x");
        c.init(B, "x");
        RollbackCounters again = RollbackCounters.open(store);
        assertThat(again.get(A, "x")).isEqualTo(3);
        assertThat(again.get(B, "x")).isZero();
        again.check(A, "x", 2); // committed
        assertThrows(StaleStateException.class, () -> again.check(A, "x", 1));
    }

    @Test
    void failedSave_leavesTheTableAsItWas() throws Exception {
        MemoryStore store = new MemoryStore();
        RollbackCounters c = RollbackCounters.open(store);
        c.advance(A, "x");
        store.failing = true;
        assertThrows(IOException.class, () -> c.advance(A, "x"));
        assertThrows(IOException.class, () -> c.check(A, "x", 1));
        assertThrows(IOException.class, () -> c.init(A, "new"));
        assertThat(c.get(A, "x")).isEqualTo(1);
        assertThrows(TaoException.class, () -> c.get(A, "new"));
        store.failing = false;
        c.check(A, "x", 1);
    }

    @Test
    void oneOwner_cannotHoldMoreThanItsShareOfCounters() throws Exception {
        RollbackCounters c = RollbackCounters.inMemory();
        for (int i = 0; i < RollbackCounters.MAX_COUNTERS_PER_OWNER; i++) {
            c.init(A, "l" + i);
        }
        TaoException e = assertThrows(TaoException.class, () -> c.init(A, "one-more"));
        assertThat(e).hasMessageContaining("at most");
        assertThat(c.init(B, "l0")).isZero();
    }

    @Test
    void malformedTables_areRefusedWithATypedError() throws Exception {
        MemoryStore store = new MemoryStore();
        RollbackCounters c = RollbackCounters.open(store);
        c.advance(A, "x");
        byte[] good = store.table;
        for (int len = 0; len < good.length; len++) {
            store.table = Arrays.copyOf(good, len);
            assertThrows(TaoException.class, () -> RollbackCounters.open(store), "length " + len);
        }
        store.table = Arrays.copyOf(good, good.length + 1);
        assertThrows(TaoException.class, () -> RollbackCounters.open(store));
        byte[] hugeCount = good.clone();
        hugeCount[5] = 0x7f;
        store.table = hugeCount;
        assertThrows(TaoException.class, () -> RollbackCounters.open(store));
    }

    @Test
    void encryptedFile_ofAnotherKey_orAltered_isRefused() throws Exception {
        Path file = temp.resolve("counters.tao");
        try (Crypter k1 = Crypter.generate(); Crypter k2 = Crypter.generate()) {
            RollbackCounters.open(RollbackCounters.encryptedFile(file, k1, A)).advance(A, "x");
            assertThrows(TaoException.class, () -> RollbackCounters.open(RollbackCounters.encryptedFile(file, k2, A)));
            assertThrows(TaoException.class, () -> RollbackCounters.open(RollbackCounters.encryptedFile(file, k1, B)));
            byte[] b = Files.readAllBytes(file);
            b[b.length - 1] ^= 1;
            Files.write(file, b);
            assertThrows(TaoException.class, () -> RollbackCounters.open(RollbackCounters.encryptedFile(file, k1, A)));
        }
    }

    /**
     * A store whose first save waits until the test opens its gate, so that other callers pile up
     * behind it; it counts saves and keeps the last table.
     */
    private static final class GatedStore implements RollbackCounters.Store {
        final CountDownLatch inFirstSave = new CountDownLatch(1);
        final CountDownLatch gate = new CountDownLatch(1);
        private byte[] table;
        private int saves;
        private boolean failAfterFirst;

        @Override
        public synchronized byte[] load() {
            return table == null ? null : table.clone();
        }

        @Override
        public void save(byte[] t) throws IOException {
            boolean first;
            synchronized (this) {
                first = saves++ == 0;
            }
            if (first) {
                inFirstSave.countDown();
                try {
                    gate.await();
                } catch (InterruptedException e) {
                    throw new IOException(e);
                }
            } else if (failAfterFirst()) {
                throw new IOException("disk full");
            }
            synchronized (this) {
                table = t.clone();
            }
        }

        synchronized int saves() {
            return saves;
        }

        synchronized boolean failAfterFirst() {
            return failAfterFirst;
        }

        synchronized void failAfterFirst(boolean fail) {
            failAfterFirst = fail;
        }

        /** The value the saved table holds for (A, "x"): what a restart would find. */
        long savedValue() throws Exception {
            return RollbackCounters.open(this).get(A, "x");
        }
    }

    /** Starts one advance that holds the store's first save, then {@code more} that queue behind it. */
    private static List<Future<Long>> advancesQueuedBehindASave(ExecutorService pool, RollbackCounters c,
            GatedStore store, int more) throws Exception {
        List<Future<Long>> out = new ArrayList<>();
        List<Thread> queued = java.util.Collections.synchronizedList(new ArrayList<>());
        out.add(pool.submit(() -> c.advance(A, "x")));
        assertThat(store.inFirstSave.await(30, TimeUnit.SECONDS)).isTrue();
        for (int i = 0; i < more; i++) {
            out.add(pool.submit(() -> {
                queued.add(Thread.currentThread());
                long v = c.advance(A, "x");
                assertThat(store.savedValue()).as("saved when answered").isGreaterThanOrEqualTo(v);
                return v;
            }));
        }
        // Each queued caller has made its change and waits for the save in flight.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (queued.size() < more || queued.stream().anyMatch(t -> t.getState() != Thread.State.WAITING)) {
            assertThat(System.nanoTime()).as("callers queued").isLessThan(deadline);
            Thread.sleep(5);
        }
        return out;
    }

    @Test
    void advancesWhileASaveIsInFlight_shareTheNextSave_eachGetsItsOwnValue_andReturnsOnlyOnceSaved()
            throws Exception {
        GatedStore store = new GatedStore();
        RollbackCounters c = RollbackCounters.open(store);
        int more = 7;
        ExecutorService pool = Executors.newFixedThreadPool(more + 1);
        try {
            List<Future<Long>> advances = advancesQueuedBehindASave(pool, c, store, more);
            // Not saved yet, so not reported: the counter's creation is in the save in flight.
            assertThrows(TaoException.class, () -> c.get(A, "x"));
            store.gate.countDown();
            Set<Long> values = new TreeSet<>();
            for (Future<Long> f : advances) {
                values.add(f.get(30, TimeUnit.SECONDS));
            }
            assertThat(values).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L);
            assertThat(store.saves()).as("the first save, then one for the seven that queued").isEqualTo(2);
            assertThat(store.savedValue()).isEqualTo(8);
            assertThat(c.get(A, "x")).isEqualTo(8);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void failedBatchedSave_failsEveryCallerItCarried_andLeavesTheTableAsLastSaved() throws Exception {
        GatedStore store = new GatedStore();
        RollbackCounters c = RollbackCounters.open(store);
        int more = 3;
        ExecutorService pool = Executors.newFixedThreadPool(more + 1);
        try {
            List<Future<Long>> advances = advancesQueuedBehindASave(pool, c, store, more);
            store.failAfterFirst(true);
            store.gate.countDown();
            assertThat(advances.get(0).get(30, TimeUnit.SECONDS)).isEqualTo(1);
            for (Future<Long> f : advances.subList(1, advances.size())) {
                java.util.concurrent.ExecutionException e = assertThrows(java.util.concurrent.ExecutionException.class,
                        () -> f.get(30, TimeUnit.SECONDS));
                assertThat(e.getCause()).isInstanceOf(IOException.class).hasMessageContaining("disk full");
            }
            assertThat(c.get(A, "x")).isEqualTo(1);
            store.failAfterFirst(false);
            assertThat(c.advance(A, "x")).as("the discarded values are given again").isEqualTo(2);
            assertThat(store.savedValue()).isEqualTo(2);
        } finally {
            pool.shutdownNow();
        }
    }
}
