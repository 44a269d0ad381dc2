package dev.cloudproxy.tao.auth;

import java.util.Objects;

/** A string term, printed as a Go-style quoted string: {@code "hello\n"}. */
public record Str(String value) implements Term {
    public Str {
        Objects.requireNonNull(value, "value");
        if (!Quoting.isWellFormedUnicode(value)) {
            throw new IllegalArgumentException("string term contains an unpaired surrogate");
        }
    }

    @Override
    public String toString() {
        return AuthText.print(this);
    }
}
