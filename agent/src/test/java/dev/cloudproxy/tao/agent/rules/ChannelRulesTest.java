package dev.cloudproxy.tao.agent.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloudproxy.tao.agent.rules.ChannelRule.Action;
import dev.cloudproxy.tao.agent.rules.ChannelRule.Direction;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.channel.PeerPolicy;
import java.net.InetAddress;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ChannelRulesTest {
    private static InetAddress ip(String s) throws Exception {
        return InetAddress.getByName(s); // literals only
    }

    @Test
    void parse_linesAndComments_keepsOrderAndPrintsCanonically() throws Exception {
        ChannelRules r = ChannelRules.parse("""
                # direction address port action
                out   10.1.2.0/24   8443   tao   # trailing comment
                OUT 192.168.7.3 * deny

                in * 9000-9099 TAO
                out fd00::/8 443 PLAIN
                """);

        assertThat(r.rules()).hasSize(4);
        assertThat(r.toLine()).isEqualTo("out 10.1.2.0/24 8443 TAO;out 192.168.7.3 * DENY;in * 9000-9099 TAO;out fd00:0:0:0:0:0:0:0/8 443 PLAIN");
        assertThat(ChannelRules.parse(r.toLine()).rules()).isEqualTo(r.rules());
        assertThat(r.needsHooks()).isTrue();
    }

    @Test
    void decide_firstMatchWins_andNoMatchIsPlain() throws Exception {
        ChannelRules r = ChannelRules.parse("out 10.0.0.0/8 443 TAO; out 10.0.0.0/8 * DENY; in * 8080 DENY");

        assertThat(r.decide(Direction.OUT, ip("10.9.8.7"), 443)).isEqualTo(Action.TAO);
        assertThat(r.decide(Direction.OUT, ip("10.9.8.7"), 80)).isEqualTo(Action.DENY);
        assertThat(r.decide(Direction.OUT, ip("11.0.0.1"), 443)).isEqualTo(Action.PLAIN);
        assertThat(r.decide(Direction.IN, ip("10.9.8.7"), 443)).isEqualTo(Action.PLAIN);
        assertThat(r.decide(Direction.IN, ip("0.0.0.0"), 8080)).isEqualTo(Action.DENY);
        assertThat(r.match(Direction.OUT, ip("11.0.0.1"), 443)).isNull();
    }

    @Test
    void networks_ipv4AndIpv6_neverContainEachOther() throws Exception {
        ChannelRules r = ChannelRules.parse("out 0.0.0.0/0 * DENY; out ::/0 * TAO");

        assertThat(r.decide(Direction.OUT, ip("1.2.3.4"), 1)).isEqualTo(Action.DENY);
        assertThat(r.decide(Direction.OUT, ip("2001:db8::1"), 1)).isEqualTo(Action.TAO);
        assertThat(r.decide(Direction.OUT, ip("::ffff:1.2.3.4"), 1)).isEqualTo(Action.DENY); // the JDK maps it to IPv4
    }

    @Test
    void plainOnly_needsNoHooks() throws Exception {
        assertThat(ChannelRules.parse("out * * PLAIN").needsHooks()).isFalse();
        assertThat(ChannelRules.NONE.needsHooks()).isFalse();
        assertThat(ChannelRules.parse("  # nothing\n\n;;").isEmpty()).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "out * *", "out * * TAO extra", "sideways * * TAO", "out * * ALLOW",
        "out example.com 443 TAO", "out localhost 443 TAO", "out 10.0.0.1/33 1 TAO", "out 10.0.0.1/24 1 TAO",
        "out 256.1.1.1 1 TAO", "out 010.1.1.1 1 TAO", "out 1.2.3 1 TAO", "out 1.2.3.4/ 1 TAO", "out 1.2.3.4/x 1 TAO",
        "out ::1/129 1 TAO", "out fe80::1%eth0 1 TAO", "out ::: 1 TAO", "out 1:2:3:4:5:6:7:8:9 1 TAO",
        "out * 65536 TAO", "out * -1 TAO", "out * 10-5 TAO", "out * 1- TAO", "out * -5 TAO", "out * 0x50 TAO",
        "out * 99999999999999999999 TAO", "out * * TAO\u0000"})
    void parse_malformed_isATypedErrorNamingTheRule(String rule) {
        assertThatThrownBy(() -> ChannelRules.parse("out * 1 PLAIN\n" + rule))
                .isInstanceOf(ChannelRulesException.class)
                .hasMessageStartingWith("rule 2: ");
    }

    @Test
    void parse_oversized_isRefusedBeforeParsing() {
        assertThatThrownBy(() -> ChannelRules.parse("#".repeat(ChannelRules.MAX_TEXT_CHARS + 1)))
                .isInstanceOf(ChannelRulesException.class).hasMessageContaining("longer than");
        assertThatThrownBy(() -> ChannelRules.parse("out * * TAO;".repeat(ChannelRules.MAX_RULES + 1)))
                .isInstanceOf(ChannelRulesException.class).hasMessageContaining("more than 1024 rules");
        assertThatThrownBy(() -> ChannelRules.parse("out * * TAO " + " ".repeat(ChannelRules.MAX_LINE_CHARS)))
                .isInstanceOf(ChannelRulesException.class).hasMessageContaining("longer than " + ChannelRules.MAX_LINE_CHARS);
    }

    @Test
    void parse_randomInput_neverFailsOtherwise() {
        Random rnd = new Random(7);
        String alphabet = "outin*TAOPLAINDENY0123456789.:/-; \n#abcxyz%[]";
        for (int i = 0; i < 20_000; i++) {
            StringBuilder sb = new StringBuilder();
            for (int n = rnd.nextInt(60); n > 0; n--) {
                sb.append(alphabet.charAt(rnd.nextInt(alphabet.length())));
            }
            try {
                ChannelRules r = ChannelRules.parse(sb.toString());
                assertThat(ChannelRules.parse(r.toLine()).rules()).isEqualTo(r.rules());
            } catch (ChannelRulesException expected) {
                assertThat(expected.getMessage()).doesNotContain("\n");
            }
        }
    }

    @Test
    void errorMessages_quoteLittleAndNoControlCharacters() {
        assertThatThrownBy(() -> ChannelRules.parse("out * * \u001b[31m" + "A".repeat(300)))
                .isInstanceOf(ChannelRulesException.class)
                .satisfies(e -> assertThat(e.getMessage()).hasSizeLessThan(120).doesNotContain("\u001b"));
    }

    // A wildcard bind serves every address: a rule for any one of them must not be bypassed by it.

    @ParameterizedTest
    @ValueSource(strings = {"0.0.0.0", "::"})
    void select_aTaoRuleForOneAddress_takesAWildcardBindOfItsPort(String wildcard) throws Exception {
        ChannelRules r = ChannelRules.parse("in 127.0.0.1 5000 TAO");

        Selection s = r.select(Direction.IN, ip(wildcard), 5000);

        assertThat(s.action()).isEqualTo(Action.TAO);
        assertThat(s.rules()).containsExactlyElementsOf(r.rules());
        assertThat(r.decide(Direction.IN, ip(wildcard), 5001)).isEqualTo(Action.PLAIN);
        assertThat(r.decide(Direction.IN, ip("10.0.0.1"), 5000)).as("one other address").isEqualTo(Action.PLAIN);
        assertThat(r.decide(Direction.OUT, ip(wildcard), 5000)).as("only binds").isEqualTo(Action.PLAIN);
    }

    @Test
    void select_aWildcardBind_getsTheStrictestActionOfItsAddresses() throws Exception {
        // An earlier PLAIN rule for loopback must not leave the other addresses' TAO in plaintext.
        assertThat(ChannelRules.parse("in 127.0.0.1 5000 PLAIN; in * 5000 TAO").decide(Direction.IN, ip("::"), 5000))
                .isEqualTo(Action.TAO);
        Selection deny = ChannelRules.parse("in 127.0.0.1 5000 TAO; in * * DENY").select(Direction.IN, ip("0.0.0.0"), 5000);
        assertThat(deny.action()).isEqualTo(Action.DENY);
        assertThat(deny.rule().orElseThrow()).hasToString("in * * DENY");
        // An IPv6 rule counts for 0.0.0.0 too: the JDK binds it as the dual-stack ::.
        assertThat(ChannelRules.parse("in ::1 5000 TAO").decide(Direction.IN, ip("0.0.0.0"), 5000)).isEqualTo(Action.TAO);
    }

    @Test
    void select_aRuleHiddenByEarlierRules_doesNotCountForAWildcardBind() throws Exception {
        // Two halves of 10.0.0.0/24 hide the DENY for the whole block; everything is TAO or PLAIN.
        ChannelRules r = ChannelRules.parse("in 10.0.0.0/25 80 TAO; in 10.0.0.128/25 80 PLAIN; in 10.0.0.0/24 80 DENY");
        Selection s = r.select(Direction.IN, ip("0.0.0.0"), 80);
        assertThat(s.action()).isEqualTo(Action.TAO);
        assertThat(s.rules()).containsExactly(r.rules().get(0));

        ChannelRules everything = ChannelRules.parse("in 0.0.0.0/0 80 PLAIN; in ::/0 80 PLAIN; in 10.0.0.1 80 TAO");
        assertThat(everything.decide(Direction.IN, ip("::"), 80)).as("the TAO rule is hidden").isEqualTo(Action.PLAIN);
        ChannelRules gap = ChannelRules.parse("in 0.0.0.0/1 80 PLAIN; in 128.0.0.0/2 80 PLAIN; in * 80 TAO");
        assertThat(gap.decide(Direction.IN, ip("::"), 80)).as("192.0.0.0/2 and IPv6 remain").isEqualTo(Action.TAO);
    }

    @Test
    void parse_peerNames_roundTripAndArePolicies() throws Exception {
        ChannelRules r = ChannelRules.parse("in 127.0.0.1 5000 TAO peer=key([0a0b]).Jvm([0c]) peer=key([ff]).PCRs(\"17,18\",\"x\")");

        ChannelRule rule = r.rules().get(0);
        assertThat(rule.peers()).containsExactly(Prin.parse("key([0a0b]).Jvm([0c])"), Prin.parse("key([ff]).PCRs(\"17,18\", \"x\")"));
        assertThat(rule).hasToString("in 127.0.0.1 5000 TAO peer=key([0a0b]).Jvm([0c]) peer=key([ff]).PCRs(\"17,18\",\"x\")");
        assertThat(ChannelRules.parse(r.toLine()).rules()).isEqualTo(r.rules());
        PeerPolicy policy = r.select(Direction.IN, ip("127.0.0.1"), 5000).peerPolicy().orElseThrow();
        assertThat(policy.accepts(Prin.parse("key([0a0b]).Jvm([0c])"))).isTrue();
        assertThat(policy.accepts(Prin.parse("key([0a0b]).Jvm([0c]).PolicyKey([01])"))).as("an extension").isTrue();
        assertThat(policy.accepts(Prin.parse("key([0a0b]).Jvm([0d])"))).as("another program").isFalse();
        assertThat(policy.accepts(Prin.parse("key([0a0b])"))).as("its host").isFalse();
        assertThat(ChannelRules.parse("in * * TAO").select(Direction.IN, ip("::"), 1).peerPolicy()).isEmpty();
    }

    @Test
    void parse_peerNamesWhereTheyCannotBeEnforcedOrWritten_areRefused() {
        assertThatThrownBy(() -> ChannelRules.parse("out * 443 TAO peer=key([01])"))
                .isInstanceOf(ChannelRulesException.class).hasMessageContaining("only for 'in ... TAO' rules");
        assertThatThrownBy(() -> ChannelRules.parse("in * 80 PLAIN peer=key([01])"))
                .isInstanceOf(ChannelRulesException.class).hasMessageContaining("only for 'in ... TAO' rules");
        assertThatThrownBy(() -> ChannelRules.parse("in * 80 TAO peer=not a name"))
                .isInstanceOf(ChannelRulesException.class).hasMessageStartingWith("rule 1: ");
        assertThatThrownBy(() -> ChannelRules.parse("in * 80 TAO peer=key(\"a"))
                .isInstanceOf(ChannelRulesException.class).hasMessageContaining("peer= needs a Tao principal name");
        assertThatThrownBy(() -> new ChannelRule(Direction.IN, Network.ANY, 1, 1, Action.TAO,
                List.of(Prin.parse("key([01]).Ext(\"a b\")"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cannot be written in a rule");
    }

    private static final String NAME = "key([0102]).Program([03])";

    @Test
    void parse_taoPskRules_readBackToTheSameText() throws Exception {
        String text = "out 127.0.0.1 7000 TAO-PSK peer=" + NAME + ";in 127.0.0.1 7001 TAO-PSK peer=" + NAME
                + ";in * 7002 TAO-PSK";
        ChannelRules r = ChannelRules.parse(text);
        assertThat(r.rules()).extracting(ChannelRule::action).containsOnly(Action.TAO_PSK);
        assertThat(r.toLine()).isEqualTo(text);
        assertThat(ChannelRules.parse(r.toLine()).rules()).isEqualTo(r.rules());
        assertThat(r.needsPsk()).isTrue();
        assertThat(r.needsTao()).as("no domain service needed").isFalse();
        assertThat(r.decide(Direction.IN, ip("0.0.0.0"), 7002)).isEqualTo(Action.TAO_PSK);
    }

    @Test
    void parse_outgoingTaoPskWithoutExactlyOnePeer_refused() {
        assertThatThrownBy(() -> ChannelRules.parse("out 127.0.0.1 7000 TAO-PSK"))
                .isInstanceOf(ChannelRulesException.class).hasMessageContaining("exactly one peer=NAME");
        assertThatThrownBy(() -> ChannelRules.parse("out 127.0.0.1 7000 TAO-PSK peer=" + NAME + " peer=" + NAME))
                .isInstanceOf(ChannelRulesException.class).hasMessageContaining("exactly one peer=NAME");
    }

    @Test
    void parse_incomingTaoAndTaoPskSharingAPort_refused() {
        assertThatThrownBy(() -> ChannelRules.parse("in 127.0.0.1 7000-7010 TAO\nin 10.0.0.1 7005 TAO-PSK"))
                .isInstanceOf(ChannelRulesException.class).hasMessageContaining("share a port");
    }
}
