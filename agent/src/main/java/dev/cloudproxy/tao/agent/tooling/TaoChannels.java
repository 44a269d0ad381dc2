package dev.cloudproxy.tao.agent.tooling;

import dev.cloudproxy.tao.agent.bootstrap.NetHooks;
import dev.cloudproxy.tao.agent.rules.ChannelRule;
import dev.cloudproxy.tao.agent.rules.Selection;
import dev.cloudproxy.tao.channel.PskChannels;
import java.io.FileDescriptor;
import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The seam between the network hooks and Tao channels. A {@code TAO} connection is sent to an
 * in-agent relay that speaks TLS from a {@link TlsProvider} to the real peer; until a provider
 * exists (the channel module, and the program's certificate from the Tao paradigm), every
 * {@code TAO} connection fails: nothing selected for a Tao channel ever goes out in plaintext. A
 * {@code TAO-PSK} connection goes through the same relays over a PSK channel
 * ({@link PskChannels}, keys from the common ancestor Tao); without one it fails the same way.
 *
 * <p>Outgoing connections go through {@link ChannelRelay}: redirected to a loopback listener,
 * which serves only sockets of this process, and carried over TLS to the destination. Incoming
 * ones go through {@link IncomingRelay}: the relay listens where the app asked and speaks TLS with
 * each client; the app's socket moves to a loopback port that accepts only the relay's connections.
 */
final class TaoChannels {
    private static final String NO_GROUP_KEYS = "this program has no source of group keys for PSK channels (its Tao "
            + "does not give group keys to the agent yet)";

    private final Optional<TlsProvider> provider;
    private final Optional<PskChannels> psk;
    private final ChannelRelay relay;
    private final IncomingRelay incoming;

    private TaoChannels(Optional<TlsProvider> provider, Optional<PskChannels> psk, AgentLines lines) {
        this.provider = provider;
        this.psk = psk;
        if (provider.isEmpty() && psk.isEmpty()) {
            this.relay = null;
            this.incoming = null;
        } else {
            Carrier certificates = provider.map(Carrier::tls).orElse(null);
            this.relay = new ChannelRelay(certificates, lines);
            this.incoming = new IncomingRelay(certificates, lines);
        }
    }

    /** Channels with no provider: every TAO and TAO-PSK connection fails closed. */
    static TaoChannels unavailable() {
        return new TaoChannels(Optional.empty(), Optional.empty(), AgentLines.STDERR);
    }

    /** Channels whose relay wraps connections in TLS from {@code provider}. */
    static TaoChannels over(TlsProvider provider) {
        return over(provider, AgentLines.STDERR);
    }

    /** As {@link #over(TlsProvider)}, the relays printing on {@code lines}. */
    static TaoChannels over(TlsProvider provider, AgentLines lines) {
        return new TaoChannels(Optional.of(provider), Optional.empty(), lines);
    }

    /**
     * Channels for {@code TAO} rules over {@code provider} (if present) and for {@code TAO-PSK}
     * rules over {@code psk} (if present), the relays printing on {@code lines}. What is absent
     * fails closed.
     */
    static TaoChannels of(Optional<TlsProvider> provider, Optional<PskChannels> psk, AgentLines lines) {
        return new TaoChannels(provider, psk, lines);
    }

    /** Where to connect for a TAO or TAO-PSK connection to {@code remote}:{@code port}. */
    InetSocketAddress routeOutgoing(InetAddress remote, int port, ChannelRule rule) throws IOException {
        if (rule.action() == ChannelRule.Action.TAO_PSK) {
            if (psk.isEmpty()) {
                throw new ConnectException("tao-agent: the connection to " + hostPort(remote, port)
                        + " must be a PSK Tao channel (rule '" + rule + "'), but " + NO_GROUP_KEYS
                        + "; refused rather than sent in plaintext");
            }
            return relay.route(remote, port, Carrier.psk(psk.get()), Optional.of(rule.peers().get(0)));
        }
        if (provider.isEmpty()) {
            throw new ConnectException("tao-agent: the connection to " + hostPort(remote, port)
                    + " must be a Tao channel (rule '" + rule + "'), but this program has no Tao channel credentials"
                    + " (give the launcher --domain-service and --policy-cert); refused rather than sent in plaintext");
        }
        return relay.route(remote, port);
    }

    /**
     * Where the app's socket {@code app} should bind for a TAO bind to {@code local}:{@code port}
     * (the relay listens there instead); without a provider it fails.
     */
    InetSocketAddress routeIncoming(FileDescriptor app, InetAddress local, int port, Selection selection)
            throws IOException {
        ChannelRule rule = selection.rule().orElseThrow();
        String why = selection.rules().stream().map(ChannelRule::toString).collect(Collectors.joining("' and '"));
        if (selection.action() == ChannelRule.Action.TAO_PSK) {
            if (psk.isEmpty()) {
                throw new BindException("tao-agent: listening on " + hostPort(local, port)
                        + " must take PSK Tao channels (rule '" + rule + "'), but " + NO_GROUP_KEYS
                        + "; refused rather than served in plaintext");
            }
            // The rule's peers are enforced by the PSK handshake itself and again by the relay.
            PskChannels listener = selection.peerPolicy()
                    .map(p -> psk.get().withPeerPolicy(p)).orElse(psk.get());
            return incoming.prepare(app, local, port, selection.peerPolicy(), why, Carrier.psk(listener));
        }
        if (provider.isEmpty()) {
            throw new BindException("tao-agent: listening on " + hostPort(local, port)
                    + " must take Tao channels (rule '" + rule + "'), but this program has no Tao channel credentials"
                    + " (give the launcher --domain-service and --policy-cert); refused rather than served in plaintext");
        }
        return incoming.prepare(app, local, port, selection.peerPolicy(), why);
    }

    /** A bind {@link #routeIncoming} redirected has ended. */
    void incomingBound(FileDescriptor app, boolean bound) {
        if (incoming == null || !incoming.relays(app)) {
            return;
        }
        InetSocketAddress real = null;
        if (bound) {
            try {
                real = NetHooks.realLocalAddress(app);
            } catch (IOException e) {
                real = null; // cannot tell where the app is: do not serve it
            }
        }
        incoming.bound(app, real);
    }

    /** Whether the app may accept {@code accepted} on {@code listener}; may show it another remote address. */
    boolean accepted(FileDescriptor listener, FileDescriptor accepted, InetSocketAddress[] remote) {
        if (incoming == null) {
            return true;
        }
        InetSocketAddress shown = incoming.accepted(listener, accepted, remote[0]);
        if (shown == null) {
            return false;
        }
        remote[0] = shown;
        return true;
    }

    /** The app is closing its server socket {@code fd}. */
    void incomingClosed(FileDescriptor fd) {
        if (incoming != null) {
            incoming.appClosed(fd);
        }
    }

    /** What the app is shown as the local address of {@code fd}; null for the real one. */
    InetSocketAddress localAddress(FileDescriptor fd) {
        return incoming == null ? null : incoming.localAddress(fd);
    }

    /**
     * The verified peer of the app's connection from {@code localPort} to {@code remote}:{@code
     * remotePort} (what the app asked for), if the relay carries it; null otherwise.
     */
    String peer(int localPort, InetAddress remote, int remotePort) throws IOException {
        if (relay == null) {
            return null;
        }
        InetSocketAddress other = new InetSocketAddress(remote, remotePort);
        String in = incoming.peer(localPort, other);
        return in != null ? in : relay.peer(localPort, other);
    }

    static String hostPort(InetAddress a, int port) {
        String h = a == null ? "*" : a.getHostAddress();
        return (h.indexOf(':') >= 0 ? "[" + h + "]" : h) + ":" + port;
    }
}
