package dev.cloudproxy.tao.auth;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A principal name: a type, a key term and a chain of extensions, printed
 * {@code key([hash]).Program([measurement])}.
 *
 * <p>The type is {@code key} for a principal named by the SHA-256 of its public key, {@code tpm}
 * and {@code tpm2} for TPM roots; any lowercase word that is not a keyword is accepted so that
 * every name the binary form can carry also parses from text. The key is usually {@link Bytes};
 * guard rules may put a {@link TermVar} there.
 *
 * <p>A principal speaks for nothing by its extensions alone: {@link #isExtensionOf} says only that
 * one name is built from another, which is the relation delegation checks rely on.
 */
public record Prin(String type, Term key, SubPrin ext) implements Term {
    public Prin {
        if (type == null || !Names.isPrinType(type)) {
            throw new IllegalArgumentException(
                    "principal type must match [a-z][a-z0-9]* and not be a keyword, got "
                            + Quoting.brief(type));
        }
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(ext, "ext");
    }

    /** {@code key([hash])}: the principal of a public key, named by its hash. */
    public static Prin key(byte[] keyHash) {
        return new Prin("key", new Bytes(keyHash), SubPrin.EMPTY);
    }

    /** Parses the text form of a principal such as {@code key([aa]).Program([bb])}. */
    public static Prin parse(String text) throws AuthFormatException {
        return AuthText.parsePrin(text);
    }

    /** Decodes the binary form of a principal. */
    public static Prin decode(byte[] bytes) throws AuthFormatException {
        if (AuthBinary.decodeTerm(bytes) instanceof Prin p) {
            return p;
        }
        throw AuthFormatException.atByte("expected a principal (tag 1)", 0);
    }

    /** This principal with {@code more} appended to its extensions. */
    public Prin extend(SubPrin more) {
        return more.isEmpty() ? this : new Prin(type, key, ext.concat(more));
    }

    /** This principal with the given extensions appended. */
    public Prin extend(PrinExt... more) {
        return extend(SubPrin.of(more));
    }

    /** The root principal: same type and key, no extensions. */
    public Prin root() {
        return ext.isEmpty() ? this : new Prin(type, key, SubPrin.EMPTY);
    }

    /** The principal without its last extension, or empty if it has none. */
    public Optional<Prin> parent() {
        if (ext.isEmpty()) {
            return Optional.empty();
        }
        List<PrinExt> exts = ext.exts();
        return Optional.of(new Prin(type, key, new SubPrin(exts.subList(0, exts.size() - 1))));
    }

    /** The last extension, or empty if there is none. */
    public Optional<PrinExt> lastExtension() {
        List<PrinExt> exts = ext.exts();
        return exts.isEmpty() ? Optional.empty() : Optional.of(exts.get(exts.size() - 1));
    }

    /**
     * Whether this principal is {@code ancestor} with one or more extensions appended: same type,
     * same key, and {@code ancestor}'s extensions are a proper prefix of this one's.
     */
    public boolean isExtensionOf(Prin ancestor) {
        return ext.size() > ancestor.ext.size() && isIdenticalOrExtensionOf(ancestor);
    }

    /** Whether this principal equals {@code ancestor} or is an extension of it. */
    public boolean isIdenticalOrExtensionOf(Prin ancestor) {
        return type.equals(ancestor.type) && key.equals(ancestor.key) && ancestor.ext.isPrefixOf(ext);
    }

    /**
     * The extensions this principal adds to {@code ancestor}.
     *
     * @throws IllegalArgumentException if this is not {@code ancestor} or an extension of it
     */
    public SubPrin extensionsBeyond(Prin ancestor) {
        if (!isIdenticalOrExtensionOf(ancestor)) {
            throw new IllegalArgumentException("not an extension of the given principal");
        }
        return ext.drop(ancestor.ext.size());
    }

    @Override
    public String toString() {
        return AuthText.print(this);
    }
}
