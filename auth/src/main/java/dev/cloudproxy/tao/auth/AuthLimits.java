package dev.cloudproxy.tao.auth;

/**
 * Bounds on what the parser and decoder accept. Names, statements and rules in real use are far
 * below them; input beyond them is refused with an {@link AuthFormatException} before it can
 * exhaust the stack or the heap.
 */
public final class AuthLimits {
    /** Longest text input, in chars. */
    public static final int MAX_TEXT_LENGTH = 1 << 20;
    /** Longest binary input, in bytes. */
    public static final int MAX_BINARY_LENGTH = 1 << 20;
    /**
     * Deepest nesting of forms and terms (each operator, parenthesis, principal argument counts
     * one level). A chain of extensions on one principal is not nesting.
     */
    public static final int MAX_DEPTH = 128;

    private AuthLimits() {}
}
