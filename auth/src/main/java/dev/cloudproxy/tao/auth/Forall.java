package dev.cloudproxy.tao.auth;

import java.util.Objects;

/** {@code forall X: F}, binding variable {@code X} in {@code F}. */
public record Forall(String var, Form body) implements Form {
    public Forall {
        Names.requireIdentifier(var, "quantified variable");
        Objects.requireNonNull(body, "body");
    }

    @Override
    public String toString() {
        return AuthText.print(this);
    }
}
