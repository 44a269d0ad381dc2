package dev.cloudproxy.tao.guard;

import dev.cloudproxy.tao.TaoException;

/**
 * A guard refused a rule, a query or a policy file: the rule or query is malformed or outside the
 * supported subset, evaluating it would exceed the guard's bounds, or the file is not a well-formed
 * rule set signed by the policy key.
 *
 * <p>The guard's rules are unchanged when this is thrown. The message is one line and names what
 * was refused and why.
 */
public class GuardException extends TaoException {
    private static final long serialVersionUID = 1L;

    public GuardException(String message) {
        super(message);
    }

    public GuardException(String message, Throwable cause) {
        super(message, cause);
    }
}
