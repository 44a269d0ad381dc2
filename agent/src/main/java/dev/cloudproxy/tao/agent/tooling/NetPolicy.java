package dev.cloudproxy.tao.agent.tooling;

import dev.cloudproxy.tao.agent.bootstrap.NetHooks;
import dev.cloudproxy.tao.agent.rules.ChannelRule;
import dev.cloudproxy.tao.agent.rules.ChannelRule.Direction;
import dev.cloudproxy.tao.agent.rules.ChannelRules;
import java.io.FileDescriptor;
import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/** Applies the channel rules to each TCP connect and bind the hooks report. */
final class NetPolicy implements NetHooks.Handler {
    private final ChannelRules rules;
    private final TaoChannels channels;

    NetPolicy(ChannelRules rules, TaoChannels channels) {
        this.rules = rules;
        this.channels = channels;
    }

    @Override
    public InetSocketAddress onConnect(InetAddress remote, int port) throws IOException {
        ChannelRule rule = rules.match(Direction.OUT, remote, port);
        if (rule == null) {
            return null;
        }
        return switch (rule.action()) {
            case PLAIN -> null;
            case DENY -> throw new ConnectException("tao-agent: connection to " + TaoChannels.hostPort(remote, port)
                    + " denied by rule '" + rule + "'");
            case TAO -> channels.routeOutgoing(remote, port, rule);
        };
    }

    @Override
    public InetSocketAddress onBind(FileDescriptor fd, InetAddress local, int port) throws IOException {
        ChannelRule rule = rules.match(Direction.IN, local, port);
        if (rule == null) {
            return null;
        }
        return switch (rule.action()) {
            case PLAIN -> null;
            case DENY -> throw new BindException("tao-agent: listening on " + TaoChannels.hostPort(local, port)
                    + " denied by rule '" + rule + "'");
            case TAO -> channels.routeIncoming(fd, local, port, rule);
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
