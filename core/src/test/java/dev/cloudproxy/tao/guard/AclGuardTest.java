package dev.cloudproxy.tao.guard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cloudproxy.tao.auth.Form;
import dev.cloudproxy.tao.auth.Prin;
import java.util.List;
import org.junit.jupiter.api.Test;

class AclGuardTest {
    private static final Prin PROGRAM = Prin.key(new byte[] {1, 2, 3});

    @Test
    void query_differentSpacingAndParentheses_matches() throws Exception {
        AclGuard guard = AclGuard.inMemory();
        guard.addRule("key([aa]) says Ready(\"x\", [0102])");

        assertThat(guard.query("( key( [aa] )  says (Ready( \"x\" ,[01 02])) )")).isTrue();
        assertThat(guard.query("key([AA]) says Ready(\"x\", {AQI=})")).isTrue();
    }

    @Test
    void query_differentByteString_doesNotMatch() throws Exception {
        AclGuard guard = AclGuard.inMemory();
        guard.addRule("Ready([0102])");

        assertThat(guard.query("Ready([0103])")).isFalse();
        assertThat(guard.query("Ready(\"0102\")")).isFalse();
    }

    @Test
    void query_ruleIsNotEvaluated_onlyMatchedAsStatement() throws Exception {
        AclGuard guard = AclGuard.inMemory();
        guard.addRule("forall X: Trusted(X) implies Ok(X)");
        guard.addRule("Trusted(1)");

        assertThat(guard.query("Ok(1)")).isFalse();
        assertThat(guard.query("forall X: (Trusted(X)) implies Ok(X)")).isTrue();
    }

    @Test
    void authorize_thenRetract_changesAnswer() throws Exception {
        AclGuard guard = AclGuard.inMemory();

        guard.authorize(PROGRAM, "Read", List.of("file"));
        assertThat(guard.isAuthorized(PROGRAM, "Read", List.of("file"))).isTrue();
        assertThat(guard.isAuthorized(PROGRAM, "Read", List.of("other"))).isFalse();
        assertThat(guard.isAuthorized(PROGRAM, "Write", List.of("file"))).isFalse();
        assertThat(guard.query("Authorized(" + PROGRAM + ", \"Read\", \"file\")")).isTrue();

        assertThat(guard.retract(PROGRAM, "Read", List.of("file"))).isTrue();
        assertThat(guard.retract(PROGRAM, "Read", List.of("file"))).isFalse();
        assertThat(guard.isAuthorized(PROGRAM, "Read", List.of("file"))).isFalse();
    }

    @Test
    void rules_addedTwice_keptOnceInOrder() throws Exception {
        AclGuard guard = AclGuard.inMemory();
        guard.addRule("A()");
        guard.addRule("B()");
        guard.addRule(" A( ) ");

        assertThat(guard.ruleCount()).isEqualTo(2);
        assertThat(guard.getRule(0)).isEqualTo(Form.parse("A()"));
        assertThat(guard.getRule(1)).isEqualTo(Form.parse("B()"));
        assertThat(guard.retractRule("(A())")).isTrue();
        assertThat(guard.ruleCount()).isEqualTo(1);
        guard.clear();
        assertThat(guard.ruleCount()).isZero();
    }

    @Test
    void subprincipal_dependsOnRules() throws Exception {
        AclGuard a = AclGuard.inMemory();
        AclGuard b = AclGuard.inMemory();
        a.addRule("A()");
        b.addRule("A( )");
        String before = a.subprincipal().toString();

        assertThat(b.subprincipal()).isEqualTo(a.subprincipal());
        assertThat(before).matches("\\.ACLGuard\\(\\[[0-9a-f]{64}\\]\\)");
        a.addRule("B()");
        assertThat(a.subprincipal().toString()).isNotEqualTo(before);
    }

    @Test
    void addRule_unparsable_throwsOneLineGuardException() {
        GuardException e = assertThrows(GuardException.class, () -> AclGuard.inMemory().addRule("A(\n"));

        assertThat(e.getMessage()).startsWith("rule does not parse").doesNotContain("\n");
    }

    @Test
    void save_inMemoryGuard_throwsIllegalState() {
        try (var key = dev.cloudproxy.tao.keys.Signer.generate()) {
            assertThrows(IllegalStateException.class, () -> AclGuard.inMemory().save(key));
        }
    }
}
