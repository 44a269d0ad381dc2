package dev.cloudproxy.tao.agent.tooling;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudproxy.tao.agent.rules.ChannelRule.Direction;
import dev.cloudproxy.tao.agent.rules.ChannelRules;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class RuleUseTest {
    private static InetAddress ip(String s) throws Exception {
        return InetAddress.getByName(s); // literals only
    }

    @Test
    void report_taoRulesThatSelectedNothing_onceEach_andNothingElse() throws Exception {
        ChannelRules rules = ChannelRules.parse("in 127.0.0.1 5000 TAO; out 10.0.0.1 443 TAO; in * 6000 TAO; out * 25 DENY");
        RuleUse use = new RuleUse(rules);
        use.record(rules.select(Direction.OUT, ip("10.0.0.1"), 443));
        use.record(rules.select(Direction.IN, ip("127.0.0.1"), 5001)); // no rule
        use.record(rules.select(Direction.IN, ip("::"), 6000)); // the wildcard: in * 6000 TAO

        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream err = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        use.report(err);
        use.report(err);

        assertThat(bytes.toString(StandardCharsets.UTF_8)).isEqualTo("tao-agent: rule 'in 127.0.0.1 5000 TAO' matched no "
                + "connection or bind: the program did not listen on an address and port it selects, so it protected "
                + "nothing (check them against the program's)\n");
    }

    @Test
    void summary_eachRuleWithHowManyConnectsAndBindsItDecided() throws Exception {
        ChannelRules rules = ChannelRules.parse("out 10.0.0.1 443 TAO; out * 25 DENY");
        RuleUse use = new RuleUse(rules);
        use.record(rules.select(Direction.OUT, ip("10.0.0.1"), 443));
        use.record(rules.select(Direction.OUT, ip("10.0.0.1"), 443));

        assertThat(use.summary()).containsExactly("tao-agent: rule 'out 10.0.0.1 443 TAO' decided 2 connects or binds",
                "tao-agent: rule 'out * 25 DENY' decided 0 connects or binds");
    }

    @Test
    void report_aWildcardBind_countsForTheRuleOfOneAddress() throws Exception {
        ChannelRules rules = ChannelRules.parse("in 127.0.0.1 5000 TAO");
        RuleUse use = new RuleUse(rules);

        use.record(rules.select(Direction.IN, ip("0.0.0.0"), 5000));

        assertThat(use.unmatched()).isEmpty();
    }
}
