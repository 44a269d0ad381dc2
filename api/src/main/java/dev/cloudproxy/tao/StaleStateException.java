package dev.cloudproxy.tao;

/**
 * A rollback-protected blob opened, but it is not the program's current state for its label: an
 * older copy was put back (or, if its counter is higher than the host's, the host's own counter
 * table was wound back). Thrown by {@link Tao#rollbackProtectedUnseal} only after the blob
 * authenticated, so it never says anything about a blob that was altered or sealed for someone
 * else (those give {@link UnsealException}).
 *
 * <p>The message is {@code "stale state: counter N, expected M"}: counter values are not secret
 * (they are in the blob's clear header).
 */
public final class StaleStateException extends TaoException {
    private static final long serialVersionUID = 1L;

    private final long counter;
    private final long expected;

    /**
     * @param counter the counter value the blob was sealed with
     * @param expected the label's current counter value at the Tao
     */
    public StaleStateException(long counter, long expected) {
        super("stale state: counter " + counter + ", expected " + expected);
        this.counter = counter;
        this.expected = expected;
    }

    /** The counter value the stale blob was sealed with. */
    public long counter() {
        return counter;
    }

    /** The label's current counter value at the Tao. */
    public long expected() {
        return expected;
    }
}
