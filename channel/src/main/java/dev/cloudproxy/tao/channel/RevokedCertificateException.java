package dev.cloudproxy.tao.channel;

import dev.cloudproxy.tao.VerificationException;

/**
 * The domain's certificate revocation list revokes the certificate: the peer must not be trusted,
 * whatever else about it verifies. The message names the serial and the revocation time.
 */
public final class RevokedCertificateException extends VerificationException {
    private static final long serialVersionUID = 1L;

    public RevokedCertificateException(String message) {
        super(message);
    }
}
