package dev.cloudproxy.tao.auth;

import java.util.List;
import java.util.Objects;

/**
 * One extension of a principal name, such as {@code Program([25fac9...])} in
 * {@code key([...]).Program([25fac9...])}.
 */
public record PrinExt(String name, List<Term> args) {
    public PrinExt {
        Names.requireIdentifier(name, "extension name");
        args = List.copyOf(Objects.requireNonNull(args, "args"));
    }

    /** An extension with the given arguments. */
    public static PrinExt of(String name, Term... args) {
        return new PrinExt(name, List.of(args));
    }

    @Override
    public String toString() {
        return AuthText.print(this);
    }
}
