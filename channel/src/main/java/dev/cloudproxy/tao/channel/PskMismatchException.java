package dev.cloudproxy.tao.channel;

import javax.net.ssl.SSLHandshakeException;

/**
 * A PSK channel was not established because the two sides do not hold the same pre-shared key:
 * the peer is not who it claims to be, or the two programs asked different Taos (or a Tao whose
 * deriving key changed). The TLS handshake failed on the key itself (the server could not verify
 * the client's PSK binder, or the client could not read the server's first encrypted message).
 * Both sides get this type. The message never holds key material.
 */
public final class PskMismatchException extends SSLHandshakeException {
    private static final long serialVersionUID = 1L;

    public PskMismatchException(String reason, Throwable cause) {
        super(reason);
        initCause(cause);
    }
}
