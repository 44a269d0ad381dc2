package dev.cloudproxy.tao.channel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloudproxy.tao.auth.Prin;
import java.util.List;
import org.junit.jupiter.api.Test;

class PeerPolicyTest {
    private static Prin prin(String text) throws Exception {
        return Prin.parse(text);
    }

    @Test
    void subprincipalsOf_acceptsTheNamesAndTheirExtensionsOnly() throws Exception {
        PeerPolicy p = PeerPolicy.subprincipalsOf(List.of(prin("key([01]).Jvm([02])"), prin("key([05])")));

        assertThat(p.accepts(prin("key([01]).Jvm([02])"))).isTrue();
        assertThat(p.accepts(prin("key([01]).Jvm([02]).PolicyKey([03])"))).isTrue();
        assertThat(p.accepts(prin("key([05]).Anything([09])"))).isTrue();
        assertThat(p.accepts(prin("key([01])"))).as("the host of a named program").isFalse();
        assertThat(p.accepts(prin("key([01]).Jvm([03])"))).as("a sibling").isFalse();
        assertThat(p.accepts(prin("key([0102]).Jvm([02])"))).as("a key whose text starts alike").isFalse();
        assertThat(p).hasToString("the names key([01]).Jvm([02]) or key([05]) and their extensions");
    }

    @Test
    void allOf_needsEveryPolicy_andNeitherFactoryTakesNothingForAnything() throws Exception {
        PeerPolicy both = PeerPolicy.allOf(List.of(PeerPolicy.subprincipalsOf(List.of(prin("key([01])"))),
                PeerPolicy.subprincipalsOf(List.of(prin("key([01]).Jvm([02])")))));

        assertThat(both.accepts(prin("key([01]).Jvm([02])"))).isTrue();
        assertThat(both.accepts(prin("key([01]).Jvm([03])"))).isFalse();
        assertThatThrownBy(() -> PeerPolicy.subprincipalsOf(List.of())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> PeerPolicy.allOf(List.of())).isInstanceOf(IllegalArgumentException.class);
    }
}
