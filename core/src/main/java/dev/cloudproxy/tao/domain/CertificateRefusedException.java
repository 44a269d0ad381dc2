package dev.cloudproxy.tao.domain;

import dev.cloudproxy.tao.TaoException;

/**
 * The domain service read a request and refused it: the attestation did not verify, its chain does
 * not root in a key the domain trusts, or the guard does not authorize the program. The message is
 * the service's one-line reason, which never holds a secret. Sending the same request again gets
 * the same answer until the domain's policy changes.
 */
public final class CertificateRefusedException extends TaoException {
    private static final long serialVersionUID = 1L;

    private final String reason;

    public CertificateRefusedException(String reason) {
        super("the domain service refused: " + reason);
        this.reason = reason;
    }

    /** The service's reason, as it sent it. */
    public String reason() {
        return reason;
    }
}
