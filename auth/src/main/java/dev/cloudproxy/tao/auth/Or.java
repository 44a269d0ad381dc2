package dev.cloudproxy.tao.auth;

import java.util.List;
import java.util.Objects;

/**
 * {@code A or B or ...}. An empty disjunction means {@code false} and prints so; a disjunction of
 * one prints as its only element (both as CloudProxy does).
 */
public record Or(List<Form> disjuncts) implements Form {
    public Or {
        disjuncts = List.copyOf(Objects.requireNonNull(disjuncts, "disjuncts"));
    }

    public static Or of(Form... disjuncts) {
        return new Or(List.of(disjuncts));
    }

    @Override
    public String toString() {
        return AuthText.print(this);
    }
}
