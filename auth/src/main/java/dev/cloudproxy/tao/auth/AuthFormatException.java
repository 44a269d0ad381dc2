package dev.cloudproxy.tao.auth;

/**
 * Input that is not a well-formed element of the auth language, in text or binary form, or that
 * exceeds the limits in {@link AuthLimits}.
 *
 * <p>The message is one line: what is wrong, then where (a column for text, a byte offset for
 * binary input). It quotes at most a few characters of the input.
 */
public final class AuthFormatException extends Exception {
    private static final long serialVersionUID = 1L;

    /** Where in the input the problem is. */
    public enum Unit {
        /** A character offset into text input. */
        CHARACTER,
        /** A byte offset into binary input. */
        BYTE
    }

    private final String reason;
    private final int offset;
    private final Unit unit;
    private final String where;

    AuthFormatException(String reason, int offset, Unit unit, String where) {
        super(reason + " " + where);
        this.reason = reason;
        this.offset = offset;
        this.unit = unit;
        this.where = where;
    }

    static AuthFormatException atChar(String reason, String input, int offset) {
        int line = 1;
        int lineStart = 0;
        for (int i = 0; i < offset && i < input.length(); i++) {
            if (input.charAt(i) == '\n') {
                line++;
                lineStart = i + 1;
            }
        }
        int column = input.codePointCount(lineStart, Math.min(offset, input.length())) + 1;
        String where = line == 1 ? "at column " + column : "at line " + line + ", column " + column;
        return new AuthFormatException(reason, offset, Unit.CHARACTER, where);
    }

    static AuthFormatException atByte(String reason, int offset) {
        return new AuthFormatException(reason, offset, Unit.BYTE, "at byte offset " + offset);
    }

    /** What is wrong, without the position. */
    public String reason() {
        return reason;
    }

    /** The zero-based offset of the problem, in {@link #unit()}s. */
    public int offset() {
        return offset;
    }

    /** Whether {@link #offset()} counts characters of text or bytes of binary input. */
    public Unit unit() {
        return unit;
    }
}
