package dev.cloudproxy.tao.agent.rules;

import java.net.InetAddress;
import java.util.Objects;

/**
 * One rule: connections in {@code direction} whose address is in {@code network} and whose port is
 * in {@code [firstPort, lastPort]} get {@code action}.
 *
 * @param direction {@code OUT} for connects (matched on the remote address and port), {@code IN}
 *     for binds (the local address and port a server listens on)
 * @param network the addresses; {@link Network#ANY} for all
 * @param firstPort lowest port, 0..65535
 * @param lastPort highest port, firstPort..65535
 * @param action what happens to a matching connection
 */
public record ChannelRule(Direction direction, Network network, int firstPort, int lastPort, Action action) {
    /** Which way the connection goes, seen from the app. */
    public enum Direction { OUT, IN }

    /** What happens to a connection a rule selects. */
    public enum Action {
        /** Carried over a mutually authenticated Tao channel; fails if that is not possible. */
        TAO,
        /** Left as the app made it. */
        PLAIN,
        /** Refused: the connect or bind fails. */
        DENY
    }

    public ChannelRule {
        Objects.requireNonNull(direction, "direction");
        Objects.requireNonNull(network, "network");
        Objects.requireNonNull(action, "action");
        if (firstPort < 0 || lastPort > 65535 || firstPort > lastPort) {
            throw new IllegalArgumentException("bad port range " + firstPort + "-" + lastPort);
        }
    }

    /** Whether this rule selects a connection. */
    public boolean matches(Direction dir, InetAddress address, int port) {
        return direction == dir && port >= firstPort && port <= lastPort && network.contains(address);
    }

    /** The canonical text, which {@link ChannelRules#parse} reads back to an equal rule. */
    @Override
    public String toString() {
        String ports = firstPort == 0 && lastPort == 65535 ? "*"
                : firstPort == lastPort ? Integer.toString(firstPort) : firstPort + "-" + lastPort;
        return direction.name().toLowerCase(java.util.Locale.ROOT) + " " + network + " " + ports + " " + action;
    }
}
