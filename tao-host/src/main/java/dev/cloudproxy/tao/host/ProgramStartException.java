package dev.cloudproxy.tao.host;

/**
 * A hosted program could not be measured or started: the file is missing or too large, the jar
 * does not measure, the guard refuses it, the process did not start. One line, no secret.
 */
public final class ProgramStartException extends Exception {
    private static final long serialVersionUID = 1L;

    private final boolean denied;

    public ProgramStartException(String message) {
        this(message, false);
    }

    private ProgramStartException(String message, boolean denied) {
        super(message, null, false, false);
        this.denied = denied;
    }

    /** The guard does not authorize the program to execute on this host. */
    public static ProgramStartException denied(String message) {
        return new ProgramStartException(message, true);
    }

    /** Whether this is the guard's refusal rather than a failure. */
    public boolean isDenied() {
        return denied;
    }
}
