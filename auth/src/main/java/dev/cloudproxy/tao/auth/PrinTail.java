package dev.cloudproxy.tao.auth;

import java.util.Objects;

/**
 * A principal with no root key: just extensions, printed {@code ext.Program([aa])}. Guard rules
 * use it to speak of "any principal extended by this", as in {@code Subprin(P, Host, ext.Program(H))}.
 */
public record PrinTail(SubPrin ext) implements Term {
    public PrinTail {
        Objects.requireNonNull(ext, "ext");
        if (ext.isEmpty()) {
            throw new IllegalArgumentException("a principal tail needs at least one extension");
        }
    }

    /** A tail of the given extensions. */
    public static PrinTail of(PrinExt... exts) {
        return new PrinTail(SubPrin.of(exts));
    }

    @Override
    public String toString() {
        return AuthText.print(this);
    }
}
