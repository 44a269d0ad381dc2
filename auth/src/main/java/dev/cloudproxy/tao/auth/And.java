package dev.cloudproxy.tao.auth;

import java.util.List;
import java.util.Objects;

/**
 * {@code A and B and ...}. An empty conjunction means {@code true} and prints so; a conjunction of
 * one prints as its only element (both as CloudProxy does).
 */
public record And(List<Form> conjuncts) implements Form {
    public And {
        conjuncts = List.copyOf(Objects.requireNonNull(conjuncts, "conjuncts"));
    }

    public static And of(Form... conjuncts) {
        return new And(List.of(conjuncts));
    }

    @Override
    public String toString() {
        return AuthText.print(this);
    }
}
