package dev.cloudproxy.tao.kms;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/** A validity window in Unix seconds, inclusive at both ends. */
public record Validity(long notBefore, long notAfter) {
    /** A window with no practical bounds, for objects that expire only by rotation. */
    public static final Validity UNBOUNDED = new Validity(0, Long.MAX_VALUE);

    public Validity {
        if (notAfter < notBefore) {
            throw new IllegalArgumentException("validity window ends before it starts");
        }
    }

    /** From {@code start} for {@code length}. */
    public static Validity starting(Instant start, Duration length) {
        Objects.requireNonNull(start, "start");
        Objects.requireNonNull(length, "length");
        if (length.isNegative()) {
            throw new IllegalArgumentException("negative validity");
        }
        return new Validity(start.getEpochSecond(), start.plus(length).getEpochSecond());
    }
}
