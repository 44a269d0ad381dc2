package dev.cloudproxy.tao.guard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cloudproxy.tao.auth.Form;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.keys.Signer;
import java.util.List;
import org.junit.jupiter.api.Test;

class FixedGuardTest {
    private static final Prin PROGRAM = Prin.key(new byte[32]);

    @Test
    void liberal_anyQuery_true() throws Exception {
        Guard guard = LiberalGuard.INSTANCE;

        assertThat(guard.isAuthorized(PROGRAM, "Execute", List.of())).isTrue();
        assertThat(guard.query("Anything(1)")).isTrue();
        assertThat(guard.query(Form.parse("false"))).isTrue();
    }

    @Test
    void conservative_anyQuery_false() throws Exception {
        Guard guard = ConservativeGuard.INSTANCE;

        assertThat(guard.isAuthorized(PROGRAM, "Execute", List.of())).isFalse();
        assertThat(guard.query("Anything(1)")).isFalse();
        assertThat(guard.query(Form.parse("true"))).isFalse();
    }

    @Test
    void subprincipal_fixedGuards_namedByKind() {
        assertThat(LiberalGuard.INSTANCE.subprincipal().toString()).isEqualTo(".LiberalGuard()");
        assertThat(ConservativeGuard.INSTANCE.subprincipal().toString()).isEqualTo(".ConservativeGuard()");
    }

    @Test
    void changes_fixedGuards_throw() {
        for (Guard guard : List.<Guard>of(LiberalGuard.INSTANCE, ConservativeGuard.INSTANCE)) {
            assertThrows(UnsupportedOperationException.class, () -> guard.addRule("P(1)"));
            assertThrows(UnsupportedOperationException.class, () -> guard.addRule(Form.parse("P(1)")));
            assertThrows(UnsupportedOperationException.class, () -> guard.retractRule("P(1)"));
            assertThrows(UnsupportedOperationException.class, () -> guard.authorize(PROGRAM, "Execute", List.of()));
            assertThrows(UnsupportedOperationException.class, () -> guard.retract(PROGRAM, "Execute", List.of()));
            assertThrows(UnsupportedOperationException.class, guard::clear);
            assertThat(guard.ruleCount()).isZero();
            assertThrows(IndexOutOfBoundsException.class, () -> guard.getRule(0));
        }
    }

    @Test
    void query_unparsableText_throwsGuardException() {
        GuardException e = assertThrows(GuardException.class, () -> LiberalGuard.INSTANCE.query("P(("));

        assertThat(e.getMessage()).startsWith("query does not parse").doesNotContain("\n");
    }

    @Test
    void save_fixedGuard_doesNothing() {
        try (Signer key = Signer.generate()) {
            LiberalGuard.INSTANCE.save(key);
        }
    }

    @Test
    void authorization_buildsAuthorizedFact() {
        assertThat(Guard.authorization(PROGRAM, "Read", List.of("a", "b")).toString())
                .isEqualTo("Authorized(" + PROGRAM + ", \"Read\", \"a\", \"b\")");
    }
}
