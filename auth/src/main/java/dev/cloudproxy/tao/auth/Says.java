package dev.cloudproxy.tao.auth;

import java.util.Objects;
import java.util.OptionalLong;

/**
 * {@code P [from T1] [until T2] says F}. Times are Unix seconds; an absent bound is open.
 */
public record Says(Term speaker, OptionalLong from, OptionalLong until, Form message) implements Form {
    public Says {
        Objects.requireNonNull(speaker, "speaker");
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(until, "until");
        Objects.requireNonNull(message, "message");
    }

    /** {@code speaker says message}, with no time bounds. */
    public static Says of(Term speaker, Form message) {
        return new Says(speaker, OptionalLong.empty(), OptionalLong.empty(), message);
    }

    /** {@code speaker from from until until says message}. */
    public static Says during(Term speaker, long from, long until, Form message) {
        return new Says(speaker, OptionalLong.of(from), OptionalLong.of(until), message);
    }

    @Override
    public String toString() {
        return AuthText.print(this);
    }
}
