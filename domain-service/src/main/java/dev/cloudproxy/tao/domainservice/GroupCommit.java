package dev.cloudproxy.tao.domainservice;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Group commit: callers that want an item recorded durably at about the same time share one flush
 * (one {@code fsync}, one database commit) instead of paying for one each.
 *
 * <p>There is no flusher thread and no timer. A caller queues its item; if no flush is running,
 * it becomes the leader, takes every queued item (at most {@code maxBatch}) and flushes them;
 * items queued while a flush runs wait for it and go together in the next one. So under load a
 * batch is everything that arrived during one flush, and alone a caller flushes at once, with no
 * added latency.
 *
 * <p>Guarantees: {@link #commit} returns only after the flush that held its item returned
 * successfully for that item; it throws {@link CommitFailedException} (for every item of the
 * batch) if the flush threw, and the flush's per-item failure (such as a
 * {@link DuplicateSerialException}) if it refused that item alone. One flush runs at a time, so
 * a flush sees items in the order of their arrival and need not be thread-safe against itself.
 * Thread-safe.
 *
 * @param <T> what is recorded
 */
final class GroupCommit<T> {
    /** Writes a batch durably. */
    @FunctionalInterface
    interface Flush<T> {
        /**
         * Records {@code batch} durably, all of it or (when it throws) none of it.
         *
         * @return for each item in order, null if it was recorded, else why that item alone was
         *     not (and then nothing of it was recorded)
         * @throws IOException if the batch as a whole could not be recorded; then none of it was
         */
        List<IOException> flush(List<T> batch) throws IOException;
    }

    private static final class Pending<T> {
        final T item;
        boolean done;
        IOException failure;

        Pending(T item) {
            this.item = item;
        }
    }

    private final Flush<T> flush;
    private final int maxBatch;
    private final String what;
    // Guarded by this.
    private final ArrayDeque<Pending<T>> queue = new ArrayDeque<>();
    private boolean flushing;
    private long batches;
    private long items;

    /**
     * @param what names what is recorded, for messages ("the certificate and its audit record")
     */
    GroupCommit(Flush<T> flush, int maxBatch, String what) {
        this.flush = Objects.requireNonNull(flush, "flush");
        if (maxBatch < 1) {
            throw new IllegalArgumentException("maxBatch must be positive");
        }
        this.maxBatch = maxBatch;
        this.what = Objects.requireNonNull(what, "what");
    }

    /**
     * Records {@code item} durably together with whatever else is being committed now; returns
     * once it is durable.
     *
     * @throws CommitFailedException if its batch could not be recorded (nothing of it was)
     * @throws IOException the flush's failure for this item alone
     */
    void commit(T item) throws IOException {
        Pending<T> mine = new Pending<>(Objects.requireNonNull(item, "item"));
        boolean interrupted = false;
        try {
            synchronized (this) {
                queue.add(mine);
            }
            while (true) {
                List<Pending<T>> batch = new ArrayList<>();
                synchronized (this) {
                    while (!mine.done && flushing) {
                        try {
                            wait();
                        } catch (InterruptedException e) {
                            // The item is queued and will be flushed; leaving now would leave the
                            // caller unsure whether it was recorded, so wait for the answer.
                            interrupted = true;
                        }
                    }
                    if (mine.done) {
                        break;
                    }
                    flushing = true;
                    while (!queue.isEmpty() && batch.size() < maxBatch) {
                        batch.add(queue.poll());
                    }
                }
                // Our own item may be left for the next round when more than maxBatch were queued.
                lead(batch);
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        if (mine.failure != null) {
            throw mine.failure;
        }
    }

    /** Flushes {@code batch} (this thread holds the flushing flag) and wakes its waiters. */
    private void lead(List<Pending<T>> batch) {
        List<T> items = new ArrayList<>(batch.size());
        for (Pending<T> p : batch) {
            items.add(p.item);
        }
        List<IOException> outcome = null;
        Throwable failed = null;
        try {
            outcome = flush.flush(items);
            if (outcome.size() != batch.size()) {
                throw new IllegalStateException("a flush answered for " + outcome.size() + " of " + batch.size()
                        + " items");
            }
        } catch (IOException | RuntimeException | Error e) {
            failed = e;
        }
        synchronized (this) {
            for (int i = 0; i < batch.size(); i++) {
                Pending<T> p = batch.get(i);
                p.failure = failed != null ? new CommitFailedException("could not record " + what + " durably (with "
                        + (batch.size() - 1) + " others committed at the same time): " + failed.getMessage(), failed)
                        : outcome.get(i);
                p.done = true;
            }
            flushing = false;
            batches++;
            this.items += batch.size();
            notifyAll();
        }
        if (failed instanceof Error e) {
            throw e;
        }
    }

    /** Items waiting for a flush (tests). */
    synchronized int waiting() {
        return queue.size();
    }

    /** Flushes run so far and items they held (tests, metrics). */
    synchronized long[] counts() {
        return new long[] {batches, items};
    }
}
