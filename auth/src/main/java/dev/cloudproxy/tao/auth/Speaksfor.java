package dev.cloudproxy.tao.auth;

import java.util.Objects;

/** {@code D speaksfor P}: whatever {@code D} says, {@code P} says. */
public record Speaksfor(Term delegate, Term delegator) implements Form {
    public Speaksfor {
        Objects.requireNonNull(delegate, "delegate");
        Objects.requireNonNull(delegator, "delegator");
    }

    @Override
    public String toString() {
        return AuthText.print(this);
    }
}
