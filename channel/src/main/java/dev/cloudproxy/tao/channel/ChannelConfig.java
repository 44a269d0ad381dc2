package dev.cloudproxy.tao.channel;

import dev.cloudproxy.tao.auth.Prin;
import java.io.IOException;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/** What {@link TaoChannel} and {@link TaoListener} need from either mode. */
record ChannelConfig(SSLContext context, Duration handshakeTimeout, int maxMessageBytes, Authenticator authenticator) {

    /** Decides who the peer is once the TLS handshake is done, or refuses it. */
    @FunctionalInterface
    interface Authenticator {
        /**
         * @throws PeerRefusedException if the peer is refused (or refused us)
         */
        Prin authenticate(SSLSocket socket) throws IOException;
    }

    int handshakeTimeoutMillis() {
        return (int) Math.min(Integer.MAX_VALUE, Math.max(1, handshakeTimeout.toMillis()));
    }

    static Duration checkTimeout(Duration d, String what) {
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(what + " must be positive");
        }
        return d;
    }

    /** A session timeout: positive and at least one second (JSSE counts whole seconds). */
    static Duration checkSessionTimeout(Duration d) {
        checkTimeout(d, "the session timeout");
        if (d.toSeconds() < 1) {
            throw new IllegalArgumentException("the session timeout must be at least one second");
        }
        return d;
    }

    /** A bound on message size: positive. */
    static int checkMessageBound(int max) {
        if (max < 1) {
            throw new IllegalArgumentException("the message bound must be positive");
        }
        return max;
    }
}
