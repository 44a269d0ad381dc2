package dev.cloudproxy.tao.auth;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A sequence of principal extensions, printed as {@code .A(...).B(...)}; it may be empty.
 * The subprincipal a guard adds to a host's name, or a host adds for a hosted program, is one.
 */
public record SubPrin(List<PrinExt> exts) {
    /** The empty sequence. */
    public static final SubPrin EMPTY = new SubPrin(List.of());

    public SubPrin {
        exts = List.copyOf(Objects.requireNonNull(exts, "exts"));
    }

    /** A sequence of the given extensions. */
    public static SubPrin of(PrinExt... exts) {
        return new SubPrin(List.of(exts));
    }

    /** Whether there are no extensions. */
    public boolean isEmpty() {
        return exts.isEmpty();
    }

    /** The number of extensions. */
    public int size() {
        return exts.size();
    }

    /** This sequence followed by {@code more}. */
    public SubPrin concat(SubPrin more) {
        if (more.isEmpty()) {
            return this;
        }
        List<PrinExt> all = new ArrayList<>(exts.size() + more.exts.size());
        all.addAll(exts);
        all.addAll(more.exts);
        return new SubPrin(all);
    }

    /** Whether this sequence is {@code other}'s first {@code size()} extensions (or equal to it). */
    public boolean isPrefixOf(SubPrin other) {
        return exts.size() <= other.exts.size() && exts.equals(other.exts.subList(0, exts.size()));
    }

    /** The extensions from index {@code from} on. */
    public SubPrin drop(int from) {
        return new SubPrin(exts.subList(from, exts.size()));
    }

    @Override
    public String toString() {
        return AuthText.print(this);
    }
}
