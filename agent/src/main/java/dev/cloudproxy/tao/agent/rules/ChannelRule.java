package dev.cloudproxy.tao.agent.rules;

import dev.cloudproxy.tao.auth.AuthFormatException;
import dev.cloudproxy.tao.auth.Prin;
import java.net.InetAddress;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * One rule: connections in {@code direction} whose address is in {@code network} and whose port is
 * in {@code [firstPort, lastPort]} get {@code action}; an {@code in ... TAO} rule may also name the
 * programs that may connect ({@code peers}).
 *
 * @param direction {@code OUT} for connects (matched on the remote address and port), {@code IN}
 *     for binds (the local address and port a server listens on)
 * @param network the addresses; {@link Network#ANY} for all
 * @param firstPort lowest port, 0..65535
 * @param lastPort highest port, firstPort..65535
 * @param action what happens to a matching connection
 * @param peers for {@code in ... TAO} and {@code in ... TAO-PSK}: the Tao principals whose
 *     programs, or extensions of them, may connect (their verified name is one of these or extends
 *     one); empty: every program the domain certified ({@code TAO}) or every program the common
 *     ancestor gives a key for ({@code TAO-PSK}). For {@code out ... TAO-PSK}: exactly one, the
 *     full name of the program listening at the destination (the key is that pair's). Each must be
 *     writable in a rule (no white space, {@code ;}, {@code #} or {@code |} in its compact text),
 *     since the rules travel as text in the agent's options.
 */
public record ChannelRule(Direction direction, Network network, int firstPort, int lastPort, Action action,
        List<Prin> peers) {
    /** Which way the connection goes, seen from the app. */
    public enum Direction { OUT, IN }

    /** What happens to a connection a rule selects, from the least to the most restrictive. */
    public enum Action {
        /** Left as the app made it. */
        PLAIN,
        /** Carried over a mutually authenticated Tao channel; fails if that is not possible. */
        TAO,
        /**
         * Carried over a PSK Tao channel (the key from the two programs' common ancestor Tao, no
         * domain service); fails if that is not possible. Written {@code TAO-PSK}.
         */
        TAO_PSK,
        /** Refused: the connect or bind fails. */
        DENY;

        /** As written in rules: {@code PLAIN}, {@code TAO}, {@code TAO-PSK}, {@code DENY}. */
        @Override
        public String toString() {
            return name().replace('_', '-');
        }

        /** Whether connections get a Tao channel of either kind. */
        public boolean isTao() {
            return this == TAO || this == TAO_PSK;
        }
    }

    public ChannelRule {
        Objects.requireNonNull(direction, "direction");
        Objects.requireNonNull(network, "network");
        Objects.requireNonNull(action, "action");
        peers = List.copyOf(peers);
        if (firstPort < 0 || lastPort > 65535 || firstPort > lastPort) {
            throw new IllegalArgumentException("bad port range " + firstPort + "-" + lastPort);
        }
        if (direction == Direction.OUT && action == Action.TAO_PSK) {
            if (peers.size() != 1) {
                throw new IllegalArgumentException("an 'out ... TAO-PSK' rule needs exactly one peer=NAME: the full name "
                        + "of the program listening there (the pre-shared key is that pair's)");
            }
        } else if (!peers.isEmpty() && (direction != Direction.IN || !action.isTao())) {
            // Unenforced would be worse than refused: the user would believe the peers checked.
            throw new IllegalArgumentException("peer= is only for 'in ... TAO' rules and TAO-PSK rules (outgoing "
                    + "certificate channels do not check peer names yet)");
        }
        for (Prin p : peers) {
            checkWritable(p);
        }
    }

    /** A rule that accepts every peer the domain certified. */
    public ChannelRule(Direction direction, Network network, int firstPort, int lastPort, Action action) {
        this(direction, network, firstPort, lastPort, action, List.of());
    }

    /**
     * Whether this rule selects a connection to or bind of one address. A bind of the wildcard
     * address is not one address: {@link ChannelRules#select} decides it from every rule.
     */
    public boolean matches(Direction dir, InetAddress address, int port) {
        return direction == dir && matchesPort(port) && network.contains(address);
    }

    boolean matchesPort(int port) {
        return port >= firstPort && port <= lastPort;
    }

    /** The canonical text, which {@link ChannelRules#parse} reads back to an equal rule. */
    @Override
    public String toString() {
        String ports = firstPort == 0 && lastPort == 65535 ? "*"
                : firstPort == lastPort ? Integer.toString(firstPort) : firstPort + "-" + lastPort;
        StringBuilder sb = new StringBuilder(direction.name().toLowerCase(Locale.ROOT)).append(' ').append(network)
                .append(' ').append(ports).append(' ').append(action);
        peers.forEach(p -> sb.append(" peer=").append(compact(p)));
        return sb.toString();
    }

    /**
     * The principal's text without the space the printer puts after each comma between
     * arguments (outside string literals), so that it is one field of a rule.
     */
    static String compact(Prin p) {
        String text = p.toString();
        StringBuilder sb = new StringBuilder(text.length());
        boolean inString = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (inString) {
                if (c == '\\' && i + 1 < text.length()) {
                    sb.append(c).append(text.charAt(++i));
                    continue;
                }
                inString = c != '"';
            } else if (c == '"') {
                inString = true;
            } else if (c == ' ' && i > 0 && text.charAt(i - 1) == ',') {
                continue;
            }
            sb.append(c);
        }
        return sb.toString();
    }

    private static void checkWritable(Prin p) {
        String text = compact(p);
        boolean readsBack;
        try {
            readsBack = Prin.parse(text).equals(p);
        } catch (AuthFormatException e) {
            readsBack = false;
        }
        if (!readsBack || !text.matches("[^\\s;#|]+")) {
            throw new IllegalArgumentException("the peer name " + ChannelRules.quote(text) + " cannot be written in a "
                    + "rule (it holds white space, ';', '#' or '|' in a string)");
        }
    }
}
