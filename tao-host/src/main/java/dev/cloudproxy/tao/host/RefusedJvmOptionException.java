package dev.cloudproxy.tao.host;

/**
 * A JVM option that {@link JvmOptionPolicy} does not accept. The message is one line: the option
 * (printable characters only, shortened, without a property's value, which could be a secret) and
 * why it is refused.
 */
public final class RefusedJvmOptionException extends Exception {
    private static final long serialVersionUID = 1L;

    RefusedJvmOptionException(String option, String why) {
        super("JVM option " + JvmOptionPolicy.quote(option) + " is refused: " + why, null, false, false);
    }
}
