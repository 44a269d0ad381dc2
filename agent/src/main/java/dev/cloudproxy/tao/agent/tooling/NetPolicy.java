package dev.cloudproxy.tao.agent.tooling;

import dev.cloudproxy.tao.agent.bootstrap.NetHooks;
import dev.cloudproxy.tao.agent.rules.ChannelRule;
import dev.cloudproxy.tao.agent.rules.ChannelRule.Direction;
import dev.cloudproxy.tao.agent.rules.ChannelRules;
import dev.cloudproxy.tao.agent.rules.Selection;
import java.io.FileDescriptor;
import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * Applies the channel rules to each TCP connect and bind the hooks report ({@link
 * ChannelRules#select}: a bind of the wildcard address is decided by every rule that selects an
 * address it serves), and records which rules decided for {@link RuleUse}.
 */
final class NetPolicy implements NetHooks.Handler {
    private final ChannelRules rules;
    private final TaoChannels channels;
    private final RuleUse use;

    NetPolicy(ChannelRules rules, TaoChannels channels, RuleUse use) {
        this.rules = rules;
        this.channels = channels;
        this.use = use;
    }

    @Override
    public InetSocketAddress onConnect(InetAddress remote, int port) throws IOException {
        Selection selection = rules.select(Direction.OUT, remote, port);
        use.record(selection);
        ChannelRule rule = selection.rule().orElse(null);
        if (rule == null) {
            return null;
        }
        return switch (rule.action()) {
            case PLAIN -> null;
            case DENY -> throw new ConnectException("tao-agent: connection to " + TaoChannels.hostPort(remote, port)
                    + " denied by rule '" + rule + "'");
            case TAO, TAO_PSK -> channels.routeOutgoing(remote, port, rule);
        };
    }

    @Override
    public InetSocketAddress onBind(FileDescriptor fd, InetAddress local, int port) throws IOException {
        Selection selection = rules.select(Direction.IN, local, port);
        use.record(selection);
        ChannelRule rule = selection.rule().orElse(null);
        if (rule == null) {
            return null;
        }
        return switch (rule.action()) {
            case PLAIN -> null;
            case DENY -> throw new BindException("tao-agent: listening on " + TaoChannels.hostPort(local, port)
                    + " denied by rule '" + rule + "'" + (local != null && local.isAnyLocalAddress()
                            ? " (a bind of the wildcard address accepts connections on every address)" : ""));
            case TAO, TAO_PSK -> channels.routeIncoming(fd, local, port, selection);
        };
    }

    @Override
    public void onBound(FileDescriptor fd, boolean bound) {
        channels.incomingBound(fd, bound);
    }

    @Override
    public boolean onAccept(FileDescriptor listener, FileDescriptor accepted, InetSocketAddress[] remote) {
        return channels.accepted(listener, accepted, remote);
    }

    @Override
    public InetSocketAddress localAddress(FileDescriptor fd) {
        return channels.localAddress(fd);
    }

    @Override
    public void onClose(FileDescriptor fd) {
        channels.incomingClosed(fd);
    }
}
