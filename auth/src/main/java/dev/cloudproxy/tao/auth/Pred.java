package dev.cloudproxy.tao.auth;

import java.util.List;
import java.util.Objects;

/** A predicate applied to terms: {@code TrustedHost(key([aa]))}, {@code Ready()}. */
public record Pred(String name, List<Term> args) implements Form {
    public Pred {
        Names.requireIdentifier(name, "predicate name");
        args = List.copyOf(Objects.requireNonNull(args, "args"));
    }

    /** A predicate with the given arguments. */
    public static Pred of(String name, Term... args) {
        return new Pred(name, List.of(args));
    }

    @Override
    public String toString() {
        return AuthText.print(this);
    }
}
