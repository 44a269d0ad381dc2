package dev.cloudproxy.tao.kms;

/** An epoch cannot be retired: objects still depend on it, or a rewrap from it is unfinished. */
public class RetireRefusedException extends KeyManagementException {
    private static final long serialVersionUID = 1L;

    public RetireRefusedException(String message) {
        super(message);
    }

    public RetireRefusedException(String message, Throwable cause) {
        super(message, cause);
    }
}
