package dev.cloudproxy.tao.channel;

import javax.net.ssl.SSLHandshakeException;

/**
 * A Tao channel was not established because a peer was refused after the TLS handshake: its
 * attestation did not verify, was not for its TLS key, did not chain to a trusted root, or the
 * peer policy refused its principal (or the peer refused us, and said so). Refusals during the TLS
 * handshake itself arrive as JSSE's own {@link SSLHandshakeException}; catching that type covers
 * both. The message names the check that failed and never holds secrets.
 */
public final class PeerRefusedException extends SSLHandshakeException {
    private static final long serialVersionUID = 1L;

    public PeerRefusedException(String reason) {
        super(reason);
    }

    public PeerRefusedException(String reason, Throwable cause) {
        super(reason);
        initCause(cause);
    }
}
