package dev.cloudproxy.tao.secrets;

import dev.cloudproxy.tao.kms.KeyManagementException;

/**
 * The secret service refused a request: not authorized ({@link #status()} {@code DENIED}), no
 * such object, unreadable, refused by the object rules (a retire something depends on, a name
 * that exists), or the service failed. The message is the service's reason, which is never
 * secret.
 */
public class SecretRefusedException extends KeyManagementException {
    private static final long serialVersionUID = 1L;

    private final SecretResponse.Status status;

    public SecretRefusedException(SecretResponse.Status status, String reason) {
        super(status + ": " + reason);
        if (status == SecretResponse.Status.OK) {
            throw new IllegalArgumentException("a success is not a refusal");
        }
        this.status = status;
    }

    /** Why, as the service classified it. */
    public SecretResponse.Status status() {
        return status;
    }
}
