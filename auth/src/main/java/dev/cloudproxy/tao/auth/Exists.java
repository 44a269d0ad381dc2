package dev.cloudproxy.tao.auth;

import java.util.Objects;

/** {@code exists X: F}, binding variable {@code X} in {@code F}. */
public record Exists(String var, Form body) implements Form {
    public Exists {
        Names.requireIdentifier(var, "quantified variable");
        Objects.requireNonNull(body, "body");
    }

    @Override
    public String toString() {
        return AuthText.print(this);
    }
}
