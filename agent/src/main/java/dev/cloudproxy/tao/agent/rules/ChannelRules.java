package dev.cloudproxy.tao.agent.rules;

import dev.cloudproxy.tao.agent.rules.ChannelRule.Action;
import dev.cloudproxy.tao.agent.rules.ChannelRule.Direction;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import dev.cloudproxy.tao.auth.AuthFormatException;
import dev.cloudproxy.tao.auth.Prin;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * An ordered list of {@link ChannelRule}s; the first rule that matches a connection decides, and a
 * connection no rule matches is {@link Action#PLAIN}.
 *
 * <p>Text form, one rule per line (or separated by {@code ;}), {@code #} starts a comment:
 * <pre>
 * # direction  address            port        action
 * out          10.1.2.0/24        8443        TAO
 * out          192.168.7.3        *           DENY
 * in           *                  9000-9099   TAO
 * in           127.0.0.1          5000        TAO    peer=key([..]).Jvm([..])
 * out          127.0.0.1          7000        TAO-PSK peer=key([..]).Jvm([..])
 * in           127.0.0.1          7000        TAO-PSK peer=key([..]).Jvm([..])
 * </pre>
 * An {@code in ... TAO} or {@code in ... TAO-PSK} rule may end with {@code peer=NAME} fields: then
 * only programs whose verified Tao name is one of those names, or an extension of one, may
 * connect. An {@code out ... TAO-PSK} rule must name exactly one peer, the program listening there.
 * {@code TAO-PSK} carries connections over PSK channels (docs/channels.md), whose key comes from the
 * common ancestor Tao of the two programs, with no domain service. One listening port cannot take
 * both kinds, so {@code in} rules of the two kinds may not share a port.
 * Addresses are IP literals or CIDR blocks, never host names: the hook sees the address the JDK
 * resolved, and resolving names while parsing would make the rules depend on DNS. The parser
 * bounds its input ({@value #MAX_TEXT_CHARS} characters, {@value #MAX_RULES} rules,
 * {@value #MAX_LINE_CHARS} characters a line) and reports the first problem with its line number.
 */
public final class ChannelRules {
    public static final int MAX_TEXT_CHARS = 64 * 1024;
    public static final int MAX_RULES = 1024;
    public static final int MAX_LINE_CHARS = 4096; // room for a few peer names of a deep stack

    /** No rules: everything plain. */
    public static final ChannelRules NONE = new ChannelRules(List.of());

    private static final Pattern IPV4 = Pattern.compile("(?:\\d{1,3}\\.){3}\\d{1,3}");
    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");
    private static final Pattern PORT = Pattern.compile("\\d{1,5}");

    private final List<ChannelRule> rules;

    private ChannelRules(List<ChannelRule> rules) {
        this.rules = List.copyOf(rules);
    }

    public static ChannelRules of(List<ChannelRule> rules) {
        if (rules.size() > MAX_RULES) {
            throw new IllegalArgumentException("more than " + MAX_RULES + " rules");
        }
        checkIncomingKinds(rules);
        return new ChannelRules(rules);
    }

    /**
     * Refuses {@code in ... TAO} and {@code in ... TAO-PSK} rules that share a port: a bind of the
     * wildcard address would be selected by both, and one listening socket speaks one protocol.
     */
    private static void checkIncomingKinds(List<ChannelRule> rules) {
        for (ChannelRule a : rules) {
            for (ChannelRule b : rules) {
                if (a.direction() == Direction.IN && b.direction() == Direction.IN && a.action() == Action.TAO
                        && b.action() == Action.TAO_PSK && a.firstPort() <= b.lastPort() && b.firstPort() <= a.lastPort()) {
                    throw new IllegalArgumentException("the rules '" + a + "' and '" + b + "' share a port: one listening "
                            + "socket cannot take both certificate and PSK Tao channels");
                }
            }
        }
    }

    public List<ChannelRule> rules() {
        return rules;
    }

    public boolean isEmpty() {
        return rules.isEmpty();
    }

    /** Whether any rule can make a connection other than plain (only then is hooking worth it). */
    public boolean needsHooks() {
        return rules.stream().anyMatch(r -> r.action() != Action.PLAIN);
    }

    /** Whether any rule asks for certificate Tao channels (and so for a domain service). */
    public boolean needsTao() {
        return rules.stream().anyMatch(r -> r.action() == Action.TAO);
    }

    /** Whether any rule asks for PSK Tao channels (and so for the Tao's group keys). */
    public boolean needsPsk() {
        return rules.stream().anyMatch(r -> r.action() == Action.TAO_PSK);
    }

    /** The action for a connection or bind: {@link #select}'s. */
    public Action decide(Direction direction, InetAddress address, int port) {
        return select(direction, address, port).action();
    }

    /** The first rule behind {@link #select}'s decision, for messages; null if none. */
    public ChannelRule match(Direction direction, InetAddress address, int port) {
        return select(direction, address, port).rule().orElse(null);
    }

    /**
     * What the rules decide for a connect to, or a bind of, {@code address}:{@code port}.
     *
     * <p>For one address, the first rule that matches decides; none: {@code PLAIN}. A bind of the
     * wildcard address ({@code 0.0.0.0} or {@code ::}) is different: that one socket accepts
     * connections on every address of the machine, of both families (the JDK binds either as the
     * dual-stack {@code ::}), including addresses added while it listens. So every rule counts
     * that would decide for at least one address the bind serves (a rule that earlier rules hide
     * completely does not), and the most restrictive of their actions applies to the whole socket
     * ({@code DENY} over {@code TAO} over {@code PLAIN}, where addresses no rule selects count as
     * {@code PLAIN}). With {@code in 127.0.0.1 5000 TAO}, a server binding {@code *:5000} takes
     * only Tao channels, on every address: no address is left in plaintext.
     */
    public Selection select(Direction direction, InetAddress address, int port) {
        if (direction == Direction.IN && (address == null || address.isAnyLocalAddress())) {
            return selectWildcard(port);
        }
        for (ChannelRule r : rules) {
            if (r.matches(direction, address, port)) {
                return new Selection(r.action(), List.of(r));
            }
        }
        return Selection.NO_RULE;
    }

    private Selection selectWildcard(int port) {
        List<Network.Span> earlier = new ArrayList<>();
        Map<Action, List<ChannelRule>> reachable = new EnumMap<>(Action.class);
        for (ChannelRule r : rules) {
            if (r.direction() != Direction.IN || !r.matchesPort(port)) {
                continue;
            }
            Network.Span span = r.network().span();
            if (!span.coveredBy(earlier)) {
                reachable.computeIfAbsent(r.action(), a -> new ArrayList<>()).add(r);
            }
            earlier.add(span);
        }
        for (Action a : List.of(Action.DENY, Action.TAO, Action.TAO_PSK)) {
            if (reachable.containsKey(a)) {
                return new Selection(a, reachable.get(a));
            }
        }
        return new Selection(Action.PLAIN, reachable.getOrDefault(Action.PLAIN, List.of()));
    }

    /** This list followed by {@code more}. */
    public ChannelRules then(ChannelRules more) {
        List<ChannelRule> all = new ArrayList<>(rules);
        all.addAll(more.rules);
        return of(all);
    }

    /** The canonical one-line form ({@code ;} between rules), as the agent takes it in its options. */
    public String toLine() {
        StringBuilder sb = new StringBuilder();
        for (ChannelRule r : rules) {
            if (sb.length() > 0) {
                sb.append(';');
            }
            sb.append(r);
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return toLine();
    }

    /** Parses rules text (lines or {@code ;}-separated). */
    public static ChannelRules parse(String text) throws ChannelRulesException {
        if (text.length() > MAX_TEXT_CHARS) {
            throw new ChannelRulesException("rules text is longer than " + MAX_TEXT_CHARS + " characters");
        }
        List<ChannelRule> out = new ArrayList<>();
        String[] lines = text.split("\r?\n|;", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            int where = i + 1;
            if (line.length() > MAX_LINE_CHARS) {
                throw new ChannelRulesException("rule " + where + " is longer than " + MAX_LINE_CHARS + " characters");
            }
            int hash = line.indexOf('#');
            if (hash >= 0) {
                line = line.substring(0, hash);
            }
            line = line.strip();
            if (line.isEmpty()) {
                continue;
            }
            if (out.size() == MAX_RULES) {
                throw new ChannelRulesException("more than " + MAX_RULES + " rules");
            }
            out.add(parseRule(line, where));
        }
        try {
            return of(out);
        } catch (IllegalArgumentException e) {
            throw new ChannelRulesException(e.getMessage());
        }
    }

    private static ChannelRule parseRule(String line, int where) throws ChannelRulesException {
        String[] f = line.split("[ \t]+");
        if (f.length < 4) {
            throw error(where, "expected 'DIRECTION ADDRESS PORT ACTION [peer=NAME ...]', got " + f.length + " fields");
        }
        Direction direction = switch (f[0].toLowerCase(Locale.ROOT)) {
            case "out" -> Direction.OUT;
            case "in" -> Direction.IN;
            default -> throw error(where, "direction must be 'out' or 'in', not " + quote(f[0]));
        };
        Network network = network(f[1], where);
        int first;
        int last;
        if (f[2].equals("*")) {
            first = 0;
            last = 65535;
        } else {
            int dash = f[2].indexOf('-');
            first = port(dash < 0 ? f[2] : f[2].substring(0, dash), where);
            last = dash < 0 ? first : port(f[2].substring(dash + 1), where);
            if (first > last) {
                throw error(where, "port range " + quote(f[2]) + " is empty");
            }
        }
        Action action = switch (f[3].toUpperCase(Locale.ROOT)) {
            case "TAO" -> Action.TAO;
            case "TAO-PSK" -> Action.TAO_PSK;
            case "PLAIN" -> Action.PLAIN;
            case "DENY" -> Action.DENY;
            default -> throw error(where, "action must be TAO, TAO-PSK, PLAIN or DENY, not " + quote(f[3]));
        };
        List<Prin> peers = new ArrayList<>();
        for (int i = 4; i < f.length; i++) {
            if (!f[i].startsWith("peer=")) {
                throw error(where, "after the action only peer=NAME may follow, not " + quote(f[i]));
            }
            try {
                peers.add(Prin.parse(f[i].substring("peer=".length())));
            } catch (AuthFormatException e) {
                throw error(where, "peer= needs a Tao principal name such as key([..]).Jvm([..]), not "
                        + quote(f[i].substring("peer=".length())));
            }
        }
        try {
            return new ChannelRule(direction, network, first, last, action, peers);
        } catch (IllegalArgumentException e) {
            throw error(where, e.getMessage());
        }
    }

    private static Network network(String s, int where) throws ChannelRulesException {
        if (s.equals("*")) {
            return Network.ANY;
        }
        int slash = s.indexOf('/');
        String host = slash < 0 ? s : s.substring(0, slash);
        InetAddress address;
        if (IPV4.matcher(host).matches()) {
            // Built from its bytes: the resolver must never see rule text (it may do DNS).
            String[] octets = host.split("\\.");
            byte[] raw = new byte[4];
            for (int i = 0; i < 4; i++) {
                int v = Integer.parseInt(octets[i]);
                if (v > 255 || (octets[i].length() > 1 && octets[i].charAt(0) == '0')) {
                    throw error(where, "bad IPv4 address " + quote(host));
                }
                raw[i] = (byte) v;
            }
            try {
                address = InetAddress.getByAddress(raw);
            } catch (UnknownHostException e) {
                throw new AssertionError(e);
            }
        } else if (IPV6.matcher(host).matches() && host.length() <= 45) {
            address = literal(host, where);
        } else {
            throw error(where, "address must be *, an IP address or a CIDR block (no host names), not " + quote(s));
        }
        int bits = address.getAddress().length * 8;
        if (slash >= 0) {
            String len = s.substring(slash + 1);
            if (!len.matches("\\d{1,3}") || Integer.parseInt(len) > bits) {
                throw error(where, "bad prefix length in " + quote(s));
            }
            bits = Integer.parseInt(len);
        }
        try {
            return Network.of(address, bits);
        } catch (IllegalArgumentException e) {
            throw error(where, e.getMessage());
        }
    }

    /**
     * Only called on text with a colon: the JDK parses that as an IPv6 literal and throws if it is
     * not one, never resolving it as a name.
     */
    private static InetAddress literal(String host, int where) throws ChannelRulesException {
        try {
            return InetAddress.getByName(host);
        } catch (UnknownHostException e) {
            throw error(where, "bad IP address " + quote(host));
        }
    }

    private static int port(String s, int where) throws ChannelRulesException {
        if (!PORT.matcher(s).matches() || Integer.parseInt(s) > 65535) {
            throw error(where, "port must be *, N or N-M with 0 <= N <= 65535, not " + quote(s));
        }
        return Integer.parseInt(s);
    }

    private static ChannelRulesException error(int where, String why) {
        return new ChannelRulesException("rule " + where + ": " + why);
    }

    /** At most 40 printable characters of untrusted input. */
    static String quote(String s) {
        StringBuilder sb = new StringBuilder("'");
        s.codePoints().limit(40).forEach(cp -> sb.appendCodePoint(cp >= 0x20 && cp < 0x7f ? cp : '?'));
        if (s.length() > 40) {
            sb.append("...");
        }
        return sb.append('\'').toString();
    }
}
