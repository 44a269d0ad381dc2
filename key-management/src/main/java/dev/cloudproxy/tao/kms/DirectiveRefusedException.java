package dev.cloudproxy.tao.kms;

/**
 * A disclosure directive does not authorize the request: malformed, not signed by the domain's
 * policy key, outside its validity window, or for another principal, object, epoch or verb.
 */
public class DirectiveRefusedException extends KeyManagementException {
    private static final long serialVersionUID = 1L;

    public DirectiveRefusedException(String message) {
        super(message);
    }

    public DirectiveRefusedException(String message, Throwable cause) {
        super(message, cause);
    }
}
