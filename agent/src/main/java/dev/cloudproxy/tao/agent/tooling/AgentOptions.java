package dev.cloudproxy.tao.agent.tooling;

import dev.cloudproxy.tao.agent.rules.ChannelRules;
import dev.cloudproxy.tao.agent.rules.ChannelRulesException;
import java.time.Duration;

/**
 * The agent's options string, {@code key=value} pairs separated by {@code |}: {@code rules=} the
 * channel rules in their one-line form, {@code seal-every=} seconds between periodic seals of
 * {@code @TaoSealed} state (0: only at shutdown and on flush). The options are part of the
 * program's measurement, which is why everything that changes the agent's behaviour is here and
 * not in the environment.
 */
record AgentOptions(ChannelRules rules, Duration sealEvery) {
    static final int MAX_CHARS = ChannelRules.MAX_TEXT_CHARS + 256;
    static final Duration DEFAULT_SEAL_EVERY = Duration.ofSeconds(10);

    static AgentOptions parse(String options) throws ChannelRulesException {
        ChannelRules rules = ChannelRules.NONE;
        Duration sealEvery = DEFAULT_SEAL_EVERY;
        if (options == null || options.isEmpty()) {
            return new AgentOptions(rules, sealEvery);
        }
        if (options.length() > MAX_CHARS) {
            throw new IllegalArgumentException("agent options are longer than " + MAX_CHARS + " characters");
        }
        for (String pair : options.split("\\|")) {
            int eq = pair.indexOf('=');
            String key = eq < 0 ? pair : pair.substring(0, eq);
            String value = eq < 0 ? "" : pair.substring(eq + 1);
            switch (key) {
                case "rules" -> rules = ChannelRules.parse(value);
                case "seal-every" -> {
                    if (!value.matches("\\d{1,6}")) {
                        throw new IllegalArgumentException("seal-every must be a number of seconds");
                    }
                    sealEvery = Duration.ofSeconds(Long.parseLong(value));
                }
                default -> throw new IllegalArgumentException("unknown agent option '"
                        + key.replaceAll("[^\\x20-\\x7e]", "?") + "'");
            }
        }
        return new AgentOptions(rules, sealEvery);
    }
}
