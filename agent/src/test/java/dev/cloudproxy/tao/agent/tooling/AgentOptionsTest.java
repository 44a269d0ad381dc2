package dev.cloudproxy.tao.agent.tooling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloudproxy.tao.agent.rules.ChannelRulesException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class AgentOptionsTest {
    @Test
    void parse_rulesAndInterval() throws Exception {
        AgentOptions o = AgentOptions.parse("seal-every=3|rules=out * 443 TAO;in * 80 DENY");

        assertThat(o.sealEvery()).isEqualTo(Duration.ofSeconds(3));
        assertThat(o.rules().toLine()).isEqualTo("out * 443 TAO;in * 80 DENY");
    }

    @Test
    void parse_emptyOrAbsent_isTheDefault() throws Exception {
        assertThat(AgentOptions.parse(null).rules().isEmpty()).isTrue();
        assertThat(AgentOptions.parse("").sealEvery()).isEqualTo(AgentOptions.DEFAULT_SEAL_EVERY);
    }

    @Test
    void parse_unknownOrBad_isRefused() {
        assertThatThrownBy(() -> AgentOptions.parse("verbose")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown agent option 'verbose'");
        assertThatThrownBy(() -> AgentOptions.parse("seal-every=-1")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> AgentOptions.parse("rules=out x 1 TAO")).isInstanceOf(ChannelRulesException.class);
        assertThatThrownBy(() -> AgentOptions.parse("x".repeat(AgentOptions.MAX_CHARS + 1)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void requireDomainForTao_taoRulesWithoutADomain_areRefusedNamingTheRule() throws Exception {
        AgentOptions noDomain = AgentOptions.parse("rules=out * 80 DENY;in 127.0.0.1 5000 TAO");

        assertThatThrownBy(noDomain::requireDomainForTao).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the rule 'in 127.0.0.1 5000 TAO' needs Tao channels, but the agent options name no domain "
                        + "(domain-service and policy-cert)");
        AgentOptions.parse("rules=out * 80 DENY").requireDomainForTao(); // no TAO rule: nothing needed
    }

    @Test
    void parse_crlOptions_defaultToSixtySecondsAndRefusingStaleLists() throws Exception {
        AgentOptions defaults = AgentOptions.parse("seal-every=3");
        AgentOptions set = AgentOptions.parse("crl-refresh=5|crl-stale=allow");

        assertThat(defaults.crlRefresh()).isEqualTo(Duration.ofSeconds(60));
        assertThat(defaults.crlAllowStale()).isFalse();
        assertThat(set.crlRefresh()).isEqualTo(Duration.ofSeconds(5));
        assertThat(set.crlAllowStale()).isTrue();
        assertThat(AgentOptions.parse("crl-stale=refuse").crlAllowStale()).isFalse();
    }

    @Test
    void parse_crlOptionsOutOfRange_areRefused() {
        for (String bad : new String[] {"crl-refresh=0", "crl-refresh=86401", "crl-refresh=-1", "crl-refresh=",
                "crl-refresh=1e3", "crl-stale=yes", "crl-stale="}) {
            assertThatThrownBy(() -> AgentOptions.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(bad.substring(0, bad.indexOf('=')));
        }
    }
}
