package dev.cloudproxy.tao.agent.tooling;

import dev.cloudproxy.tao.auth.Prin;
import java.io.IOException;
import javax.net.ssl.SSLContext;

/**
 * Where the agent's relay gets the TLS it wraps {@code TAO} connections in: the program's key and
 * certificate chain and the domain's policy certificate as trust anchor, from the channel module.
 * The relay verifies the peer against the policy certificate and never falls back to plaintext.
 */
public interface TlsProvider {
    /** A context for mutually authenticated Tao channels of this program. */
    SSLContext sslContext() throws IOException;

    /** The verified peer's name in a session of that context (default: the certificate subject). */
    default String peerName(javax.net.ssl.SSLSession session) throws IOException {
        return session.getPeerPrincipal().getName();
    }

    /**
     * The verified peer's Tao principal in a session of that context, for peer policies. A
     * provider that cannot name peers as principals fails, so a policy is never skipped.
     */
    default Prin peerPrincipal(javax.net.ssl.SSLSession session) throws IOException {
        throw new IOException("this TLS provider cannot name peers as Tao principals");
    }
}
