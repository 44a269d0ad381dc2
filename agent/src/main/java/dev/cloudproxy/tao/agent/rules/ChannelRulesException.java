package dev.cloudproxy.tao.agent.rules;

/** Rules text that cannot be used: says where (line) and why, quoting at most a little of the input. */
public final class ChannelRulesException extends Exception {
    private static final long serialVersionUID = 1L;

    public ChannelRulesException(String message) {
        super(message);
    }
}
