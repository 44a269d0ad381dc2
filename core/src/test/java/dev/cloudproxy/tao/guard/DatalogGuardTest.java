package dev.cloudproxy.tao.guard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cloudproxy.tao.auth.Form;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.PrinExt;
import dev.cloudproxy.tao.auth.Bytes;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class DatalogGuardTest {
    static final String MEMBER_RULE = "forall P: forall Host: forall Hash: TrustedHost(Host)"
            + " and TrustedProgramHash(Hash) and Subprin(P, Host, Hash) implies MemberProgram(P)";
    static final String EXECUTE_RULE = "forall P: MemberProgram(P) implies Authorized(P, \"Execute\")";

    static final Prin HOST = Prin.key(bytes(0x11));
    static final Prin OTHER_HOST = Prin.key(bytes(0x22));
    static final PrinExt PROGRAM = PrinExt.of("Program", new Bytes(bytes(0xaa)));
    static final PrinExt OTHER_PROGRAM = PrinExt.of("Program", new Bytes(bytes(0xbb)));

    private DatalogGuard guard;

    static byte[] bytes(int fill) {
        byte[] b = new byte[32];
        java.util.Arrays.fill(b, (byte) fill);
        return b;
    }

    /** The template of the CloudProxy papers: one trusted host, one trusted program. */
    static void addTemplate(Guard guard) throws GuardException {
        guard.addRule(MEMBER_RULE);
        guard.addRule(EXECUTE_RULE);
        guard.addRule("TrustedHost(" + HOST + ")");
        guard.addRule("TrustedProgramHash(ext." + PROGRAM + ")");
    }

    @BeforeEach
    void setUp() throws Exception {
        guard = DatalogGuard.inMemory();
        addTemplate(guard);
    }

    @Test
    void template_trustedProgramOnTrustedHost_authorized() {
        assertThat(guard.isAuthorized(HOST.extend(PROGRAM), "Execute", List.of())).isTrue();
    }

    @Test
    void template_untrustedHash_notAuthorized() {
        assertThat(guard.isAuthorized(HOST.extend(OTHER_PROGRAM), "Execute", List.of())).isFalse();
    }

    @Test
    void template_untrustedHost_notAuthorized() {
        assertThat(guard.isAuthorized(OTHER_HOST.extend(PROGRAM), "Execute", List.of())).isFalse();
    }

    @Test
    void template_notASubprinOfTrustedHost_notAuthorized() {
        assertThat(guard.isAuthorized(HOST, "Execute", List.of())).isFalse();
        assertThat(guard.isAuthorized(HOST.extend(PrinExt.of("Other")).extend(PROGRAM), "Execute", List.of())).isFalse();
        assertThat(guard.isAuthorized(HOST.extend(PROGRAM).extend(PrinExt.of("Child")), "Execute", List.of())).isFalse();
        assertThat(guard.isAuthorized(HOST.extend(PROGRAM), "Execute", List.of("extra"))).isFalse();
        assertThat(guard.isAuthorized(HOST.extend(PROGRAM), "Write", List.of())).isFalse();
    }

    @Test
    void template_hostTrustedLater_authorizesIncrementally() throws Exception {
        assertThat(guard.isAuthorized(OTHER_HOST.extend(PROGRAM), "Execute", List.of())).isFalse();

        guard.addRule("TrustedHost(" + OTHER_HOST + ")");

        assertThat(guard.isAuthorized(OTHER_HOST.extend(PROGRAM), "Execute", List.of())).isTrue();
    }

    @Test
    void retractRule_hostFact_revokesDerivedAuthorization() throws Exception {
        assertThat(guard.retractRule("TrustedHost(" + HOST + ")")).isTrue();

        assertThat(guard.isAuthorized(HOST.extend(PROGRAM), "Execute", List.of())).isFalse();
        assertThat(guard.query("MemberProgram(" + HOST.extend(PROGRAM) + ")")).isFalse();
        assertThat(guard.ruleCount()).isEqualTo(3);
    }

    @Test
    void retractRule_rule_revokesDerivedFacts() throws Exception {
        assertThat(guard.retractRule(EXECUTE_RULE)).isTrue();

        assertThat(guard.isAuthorized(HOST.extend(PROGRAM), "Execute", List.of())).isFalse();
        assertThat(guard.query("MemberProgram(" + HOST.extend(PROGRAM) + ")")).isTrue();
        assertThat(guard.retractRule(EXECUTE_RULE)).isFalse();
    }

    @Test
    void authorize_directly_thenRetract() throws Exception {
        Prin p = OTHER_HOST.extend(OTHER_PROGRAM);
        guard.authorize(p, "Read", List.of("f"));

        assertThat(guard.isAuthorized(p, "Read", List.of("f"))).isTrue();
        assertThat(guard.retract(p, "Read", List.of("f"))).isTrue();
        assertThat(guard.isAuthorized(p, "Read", List.of("f"))).isFalse();
    }

    @Test
    void retract_factAlsoDerived_stillAuthorized() throws Exception {
        Prin p = HOST.extend(PROGRAM);
        guard.authorize(p, "Execute", List.of());
        guard.retract(p, "Execute", List.of());

        assertThat(guard.isAuthorized(p, "Execute", List.of())).isTrue();
    }

    @Test
    void clear_allRules_nothingAuthorized() {
        guard.clear();

        assertThat(guard.ruleCount()).isZero();
        assertThat(guard.isAuthorized(HOST.extend(PROGRAM), "Execute", List.of())).isFalse();
    }

    @Test
    void query_existsOverDerivedFacts() throws Exception {
        assertThat(guard.query("exists P: MemberProgram(P) and Subprin(P, " + HOST + ", ext." + PROGRAM + ")")).isTrue();
        assertThat(guard.query("exists P: MemberProgram(P) and Subprin(P, " + OTHER_HOST + ", ext." + PROGRAM + ")"))
                .isFalse();
        assertThat(guard.query("exists H: TrustedHost(H)")).isTrue();
        assertThat(guard.query("true")).isTrue();
        assertThat(guard.query("false")).isFalse();
    }

    @Test
    void query_freeVariable_refused() {
        GuardException e = assertThrows(GuardException.class, () -> guard.query("MemberProgram(P)"));

        assertThat(e.getMessage()).contains("variable P is not quantified");
    }

    @Test
    void says_factsAndRules_derive() throws Exception {
        DatalogGuard g = DatalogGuard.inMemory();
        g.addRule("forall H: forall P: TrustedHost(H) and (H says Ready(P)) implies Running(P)");
        g.addRule("forall P: Running(P) implies " + HOST + " says Seen(P)");
        g.addRule("TrustedHost(" + HOST + ")");
        g.addRule(HOST + " says Ready(\"web\")");
        g.addRule(OTHER_HOST + " says Ready(\"db\")");

        assertThat(g.query("Running(\"web\")")).isTrue();
        assertThat(g.query("Running(\"db\")")).isFalse();
        assertThat(g.query(HOST + " says Seen(\"web\")")).isTrue();
        assertThat(g.query(OTHER_HOST + " says Seen(\"web\")")).isFalse();
    }

    @Test
    void rules_variablesInsidePrincipals_match() throws Exception {
        DatalogGuard g = DatalogGuard.inMemory();
        g.addRule("forall K: forall H: Owner(K) and Good(H) implies Authorized(key(K).Program(H), \"Run\")");
        g.addRule("Owner([11])");
        g.addRule("Good([aa])");

        assertThat(g.isAuthorized(Prin.parse("key([11]).Program([aa])"), "Run", List.of())).isTrue();
        assertThat(g.isAuthorized(Prin.parse("key([11]).Program([bb])"), "Run", List.of())).isFalse();
    }

    @Test
    void recursion_transitiveClosure_derived() throws Exception {
        DatalogGuard g = DatalogGuard.inMemory();
        g.addRule("forall X: forall Y: Edge(X, Y) implies Path(X, Y)");
        g.addRule("forall X: forall Y: forall Z: Path(X, Y) and Edge(Y, Z) implies Path(X, Z)");
        for (int i = 0; i < 20; i++) {
            g.addRule("Edge(" + i + ", " + (i + 1) + ")");
        }

        assertThat(g.query("Path(0, 20)")).isTrue();
        assertThat(g.query("Path(20, 0)")).isFalse();
    }

    @Test
    void subprincipal_changesWithRules() throws Exception {
        String before = guard.subprincipal().toString();
        assertThat(before).matches("\\.DatalogGuard\\(\\[[0-9a-f]{64}\\]\\)");

        guard.addRule("TrustedHost(" + OTHER_HOST + ")");

        assertThat(guard.subprincipal().toString()).isNotEqualTo(before);
    }

    @Test
    void getRule_returnsRulesInOrder() throws Exception {
        assertThat(guard.getRule(0)).isEqualTo(Form.parse(MEMBER_RULE));
        assertThat(guard.getRule(3)).isEqualTo(Form.parse("TrustedProgramHash(ext." + PROGRAM + ")"));
        assertThrows(IndexOutOfBoundsException.class, () -> guard.getRule(4));
    }
}
