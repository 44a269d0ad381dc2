package dev.cloudproxy.tao.cli;

/**
 * Input a command cannot process: malformed text or hex, an over-long line, unreadable standard
 * input. {@link TaoCli} prints the message on one line after the command's name and exits 1,
 * without a stack trace, because the problem is in the input and the message says where.
 */
public final class InputException extends Exception {
    private static final long serialVersionUID = 1L;

    /** An error whose message says what is wrong with the input and where. */
    public InputException(String message) {
        super(message);
    }

    /** The same error, located further: {@code "line 3: " + message}. */
    public InputException prefixed(String where) {
        return new InputException(where + ": " + getMessage());
    }
}
