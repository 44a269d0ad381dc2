package dev.cloudproxy.tao.agent.tooling;

import dev.cloudproxy.tao.agent.rules.ChannelRule;
import dev.cloudproxy.tao.agent.rules.ChannelRule.Action;
import dev.cloudproxy.tao.agent.rules.ChannelRules;
import dev.cloudproxy.tao.agent.rules.Selection;
import java.io.PrintStream;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Which {@code TAO} rules have selected a connect or bind. A {@code TAO} rule that never does
 * protects nothing, and usually means a mistake (another address or port than the server's or
 * the peer's), so at exit the agent reports each such rule once, on standard error: a rule that
 * silently never matches must not look like protection. Thread-safe.
 */
final class RuleUse {
    private final ChannelRules rules;
    private final Map<ChannelRule, LongAdder> used = new ConcurrentHashMap<>();
    private final AtomicBoolean reported = new AtomicBoolean();

    RuleUse(ChannelRules rules) {
        this.rules = rules;
    }

    /** The rules behind {@code selection} decided a connect or bind. */
    void record(Selection selection) {
        for (ChannelRule r : selection.rules()) {
            used.computeIfAbsent(r, k -> new LongAdder()).increment();
        }
    }

    /** For {@code -v} at exit: one line per rule, how many connects and binds it decided. */
    List<String> summary() {
        return rules.rules().stream().map(r -> {
            LongAdder n = used.get(r);
            return "tao-agent: rule '" + r + "' decided " + (n == null ? 0 : n.sum()) + " connects or binds";
        }).toList();
    }

    /** One line for each {@code TAO} rule that has not selected anything, in rule order. */
    List<String> unmatched() {
        return rules.rules().stream().filter(r -> r.action().isTao() && !used.containsKey(r))
                .map(r -> "tao-agent: rule '" + r + "' matched no connection or bind: the program did not "
                        + (r.direction() == ChannelRule.Direction.IN ? "listen on" : "connect to")
                        + " an address and port it selects, so it protected nothing (check them against the program's)")
                .toList();
    }

    /** Prints {@link #unmatched()} on {@code err}; only the first call prints. */
    void report(PrintStream err) {
        if (reported.compareAndSet(false, true)) {
            unmatched().forEach(err::println);
            err.flush();
        }
    }
}
