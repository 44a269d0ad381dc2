package dev.cloudproxy.tao.domainservice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class GroupCommitTest {
    private final ExecutorService pool = Executors.newCachedThreadPool();
    private final List<List<Integer>> flushed = Collections.synchronizedList(new ArrayList<>());

    @AfterEach
    void stop() {
        pool.shutdownNow();
    }

    @Test
    void commit_whileAFlushRuns_laterItemsShareTheNextFlush() throws Exception {
        CountDownLatch inFirst = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        GroupCommit<Integer> commits = new GroupCommit<>(batch -> {
            if (flushed.isEmpty()) {
                inFirst.countDown();
                await(release);
            }
            flushed.add(List.copyOf(batch));
            return Collections.nCopies(batch.size(), null);
        }, 64, "an item");
        Future<?> first = pool.submit(() -> commit(commits, 0));
        assertThat(inFirst.await(10, TimeUnit.SECONDS)).isTrue();
        List<Future<?>> later = new ArrayList<>();
        for (int i = 1; i <= 5; i++) {
            int item = i;
            later.add(pool.submit(() -> commit(commits, item)));
        }
        waitUntil(() -> commits.waiting() == 5);
        assertThat(first.isDone()).isFalse();

        release.countDown();
        first.get(10, TimeUnit.SECONDS);
        for (Future<?> f : later) {
            f.get(10, TimeUnit.SECONDS);
        }

        assertThat(flushed).hasSize(2);
        assertThat(flushed.get(0)).containsExactly(0);
        assertThat(flushed.get(1)).containsExactlyInAnyOrder(1, 2, 3, 4, 5);
        assertThat(commits.counts()).containsExactly(2, 6);
    }

    @Test
    void commit_moreQueuedThanOneBatchHolds_everyItemIsFlushedInBatchesOfTheLimit() throws Exception {
        GroupCommit<Integer> commits = new GroupCommit<>(batch -> {
            flushed.add(List.copyOf(batch));
            return Collections.nCopies(batch.size(), null);
        }, 3, "an item");
        List<Future<?>> all = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            int item = i;
            all.add(pool.submit(() -> commit(commits, item)));
        }
        for (Future<?> f : all) {
            f.get(10, TimeUnit.SECONDS);
        }

        assertThat(flushed).allSatisfy(b -> assertThat(b).hasSizeBetween(1, 3));
        assertThat(flushed.stream().flatMap(List::stream)).hasSize(40).doesNotHaveDuplicates();
    }

    @Test
    void commit_flushThrows_everyItemOfTheBatchGetsCommitFailedException() throws Exception {
        CountDownLatch inFirst = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        GroupCommit<Integer> commits = new GroupCommit<>(batch -> {
            if (batch.contains(0)) {
                inFirst.countDown();
                await(release);
                return Collections.singletonList((IOException) null);
            }
            throw new IOException("disk full");
        }, 64, "an item");
        Future<?> first = pool.submit(() -> commit(commits, 0));
        assertThat(inFirst.await(10, TimeUnit.SECONDS)).isTrue();
        List<Future<?>> failing = new ArrayList<>();
        for (int i = 1; i <= 4; i++) {
            int item = i;
            failing.add(pool.submit(() -> commit(commits, item)));
        }
        waitUntil(() -> commits.waiting() == 4);
        release.countDown();

        first.get(10, TimeUnit.SECONDS);
        for (Future<?> f : failing) {
            ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(10, TimeUnit.SECONDS));
            assertThat(e.getCause().getCause()).isInstanceOf(CommitFailedException.class)
                    .hasMessageContaining("could not record an item durably").hasMessageContaining("disk full");
        }
    }

    @Test
    void commit_flushRefusesOneItem_onlyThatOneFails() throws Exception {
        GroupCommit<Integer> commits = new GroupCommit<>(batch -> {
            List<IOException> out = new ArrayList<>();
            for (int i : batch) {
                out.add(i == 7 ? new DuplicateSerialException("seven again") : null);
            }
            return out;
        }, 64, "an item");

        commits.commit(6);
        assertThrows(DuplicateSerialException.class, () -> commits.commit(7));
        commits.commit(8);
    }

    private static Void commit(GroupCommit<Integer> commits, int item) {
        try {
            commits.commit(item);
            return null;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void waitUntil(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("timed out");
            }
            Thread.sleep(5);
        }
    }
}
