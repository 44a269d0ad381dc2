package dev.cloudproxy.tao.keys;

/**
 * Argon2id cost parameters for protecting a key set with a password: memory in KiB, passes over
 * that memory, and lanes.
 *
 * <p>{@link #DEFAULT} (64 MiB, 3 passes, 1 lane) is the second recommended option of RFC 9106
 * with one lane, since BouncyCastle computes lanes one after another. {@link #FLOOR} (19 MiB, 2
 * passes) is OWASP's minimum for Argon2id: key sets asking for less are refused when loaded, so a
 * file cannot be swapped for one with cheap parameters to make guessing easier later.
 * {@link #CEILING} bounds what a file can make a loader spend.
 */
public record Argon2Params(int memoryKiB, int iterations, int parallelism) {
    public static final Argon2Params DEFAULT = new Argon2Params(64 * 1024, 3, 1);
    public static final Argon2Params FLOOR = new Argon2Params(19 * 1024, 2, 1);
    public static final Argon2Params CEILING = new Argon2Params(1024 * 1024, 16, 16);

    /** Checks only what Argon2 itself requires; range policy is {@link #isAtLeast}/{@link #isAtMost}. */
    public Argon2Params {
        if (parallelism < 1 || parallelism > 255) {
            throw new IllegalArgumentException("Argon2 parallelism must be in [1, 255]");
        }
        if (iterations < 1) {
            throw new IllegalArgumentException("Argon2 needs at least one iteration");
        }
        if (memoryKiB < 8 * parallelism) {
            throw new IllegalArgumentException("Argon2 needs at least 8 KiB of memory per lane");
        }
    }

    /** Whether these parameters cost at least as much memory and time as {@code floor}. */
    public boolean isAtLeast(Argon2Params floor) {
        return memoryKiB >= floor.memoryKiB && iterations >= floor.iterations;
    }

    /** Whether no parameter exceeds {@code ceiling}'s. */
    public boolean isAtMost(Argon2Params ceiling) {
        return memoryKiB <= ceiling.memoryKiB && iterations <= ceiling.iterations
                && parallelism <= ceiling.parallelism;
    }

    @Override
    public String toString() {
        return "Argon2id(m=" + memoryKiB + " KiB, t=" + iterations + ", p=" + parallelism + ")";
    }
}
