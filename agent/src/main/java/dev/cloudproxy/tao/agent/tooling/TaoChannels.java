package dev.cloudproxy.tao.agent.tooling;

import dev.cloudproxy.tao.agent.rules.ChannelRule;
import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Optional;

/**
 * The seam between the network hooks and Tao channels. A {@code TAO} connection is sent to an
 * in-agent relay that speaks TLS from a {@link TlsProvider} to the real peer; until a provider
 * exists (the channel module, and the program's certificate from the Tao paradigm), every
 * {@code TAO} connection fails: nothing selected for a Tao channel ever goes out in plaintext.
 *
 * <p>Outgoing connections go through {@link ChannelRelay}: redirected to a loopback listener,
 * which serves only sockets of this process, and carried over TLS to the destination. Incoming
 * {@code TAO} binds still fail even with a provider (docs/agent.md says how they would work).
 */
final class TaoChannels {
    private final Optional<TlsProvider> provider;
    private final ChannelRelay relay;

    private TaoChannels(Optional<TlsProvider> provider) {
        this.provider = provider;
        this.relay = provider.map(ChannelRelay::new).orElse(null);
    }

    /** Channels with no provider: every TAO connection fails closed. */
    static TaoChannels unavailable() {
        return new TaoChannels(Optional.empty());
    }

    /** Channels whose relay wraps connections in TLS from {@code provider}. */
    static TaoChannels over(TlsProvider provider) {
        return new TaoChannels(Optional.of(provider));
    }

    /** Where to connect for a TAO connection to {@code remote}:{@code port}. */
    InetSocketAddress routeOutgoing(InetAddress remote, int port, ChannelRule rule) throws IOException {
        if (provider.isEmpty()) {
            throw new ConnectException("tao-agent: the connection to " + hostPort(remote, port)
                    + " must be a Tao channel (rule '" + rule + "'), but this program has no Tao channel credentials"
                    + " (give the launcher --domain-service and --policy-cert); refused rather than sent in plaintext");
        }
        return relay.route(remote, port);
    }

    /** Checks a TAO bind; without a provider it fails. */
    void routeIncoming(InetAddress local, int port, ChannelRule rule) throws IOException {
        if (provider.isEmpty()) {
            throw new BindException("tao-agent: listening on " + hostPort(local, port)
                    + " must take Tao channels (rule '" + rule + "'), but this program has no Tao channel credentials;"
                    + " refused rather than served in plaintext");
        }
        throw new BindException("tao-agent: incoming Tao channels are not implemented yet; refused listening on "
                + hostPort(local, port) + " (rule '" + rule + "')");
    }

    /**
     * The verified peer of the app's connection from {@code localPort} to {@code remote}:{@code
     * remotePort} (what the app asked for), if the relay carries it; null otherwise.
     */
    String peer(int localPort, InetAddress remote, int remotePort) throws IOException {
        return relay == null ? null : relay.peer(localPort, new InetSocketAddress(remote, remotePort));
    }

    static String hostPort(InetAddress a, int port) {
        String h = a == null ? "*" : a.getHostAddress();
        return (h.indexOf(':') >= 0 ? "[" + h + "]" : h) + ":" + port;
    }
}
