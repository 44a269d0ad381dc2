package dev.cloudproxy.tao.agent.rules;

import dev.cloudproxy.tao.agent.rules.ChannelRule.Action;
import dev.cloudproxy.tao.channel.PeerPolicy;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What the rules decide for one connect or bind ({@link ChannelRules#select}): the action, and the
 * rules that led to it. For one address that is the first matching rule (none: {@code PLAIN}); for
 * a bind of the wildcard address it is every rule that selects one of the addresses the bind
 * serves and has the action chosen.
 *
 * @param action what happens to the connection or bind
 * @param rules the rules behind {@code action}, in rule order; empty when no rule matched
 */
public record Selection(Action action, List<ChannelRule> rules) {
    /** No rule matched: plain. */
    public static final Selection NO_RULE = new Selection(Action.PLAIN, List.of());

    public Selection {
        Objects.requireNonNull(action, "action");
        rules = List.copyOf(rules);
        for (ChannelRule r : rules) {
            if (r.action() != action) {
                throw new IllegalArgumentException("rule '" + r + "' does not have the action " + action);
            }
        }
        if (rules.isEmpty() && action != Action.PLAIN) {
            throw new IllegalArgumentException("only PLAIN can come from no rule");
        }
    }

    /** The first rule behind the action, for messages. */
    public Optional<ChannelRule> rule() {
        return rules.isEmpty() ? Optional.empty() : Optional.of(rules.get(0));
    }

    /**
     * Which verified peers may connect, for an incoming {@code TAO} selection: empty if no rule
     * behind it names peers (every program the domain certified); otherwise a peer must be
     * accepted by every rule that names some, so a listener several rules select is as strict as
     * the strictest of them.
     */
    public Optional<PeerPolicy> peerPolicy() {
        List<PeerPolicy> named = rules.stream().filter(r -> !r.peers().isEmpty())
                .map(r -> PeerPolicy.subprincipalsOf(r.peers())).toList();
        return named.isEmpty() ? Optional.empty() : Optional.of(PeerPolicy.allOf(named));
    }
}
