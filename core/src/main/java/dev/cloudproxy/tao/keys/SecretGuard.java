package dev.cloudproxy.tao.keys;

import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The life cycle shared by the secret holders: many concurrent users, then one final wipe.
 *
 * <p>Operations hold the read lock for as long as they touch key bytes, and destruction takes the
 * write lock, so a key is never zeroed under a running operation (which could otherwise, say,
 * encrypt under an all-zero key). Using a destroyed key is misuse and throws
 * {@link IllegalStateException}.
 */
final class SecretGuard {
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final String holder;
    private volatile boolean destroyed;

    SecretGuard(String holder) {
        this.holder = holder;
    }

    /** Enters an operation; pair with {@link #release()} in a {@code finally}. */
    void acquire() {
        lock.readLock().lock();
        if (destroyed) {
            lock.readLock().unlock();
            throw new IllegalStateException(holder + " has been closed");
        }
    }

    void release() {
        lock.readLock().unlock();
    }

    /** A copy of {@code secret}, taken while no wipe can run; the caller must zero it when done. */
    byte[] copy(byte[] secret) {
        acquire();
        try {
            return secret.clone();
        } finally {
            release();
        }
    }

    /** Runs {@code wipe} once, after every running operation has finished. */
    void destroy(Runnable wipe) {
        lock.writeLock().lock();
        try {
            if (!destroyed) {
                destroyed = true;
                wipe.run();
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    boolean isDestroyed() {
        return destroyed;
    }
}
