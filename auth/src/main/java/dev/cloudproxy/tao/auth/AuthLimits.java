package dev.cloudproxy.tao.auth;

/**
 * Bounds on what the parser and decoder accept. Names, statements and rules in real use are far
 * below them; input beyond them is refused with an {@link AuthFormatException} before it can
 * exhaust the stack or the heap.
 */
public final class AuthLimits {
    /** Longest text input, in chars. */
    public static final int MAX_TEXT_LENGTH = 1 << 20;
    /**
     * Longest binary input, in bytes: above the 3 bytes per character that text within
     * {@link #MAX_TEXT_LENGTH} can grow to, so whatever parses also encodes and decodes.
     */
    public static final int MAX_BINARY_LENGTH = 4 << 20;
    /**
     * Deepest nesting of forms and terms: every operator, predicate and principal counts one
     * level; parentheses and a chain of extensions on one principal do not.
     */
    public static final int MAX_DEPTH = 128;

    private AuthLimits() {}
}
