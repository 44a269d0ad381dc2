package dev.cloudproxy.tao.guard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.cloudproxy.tao.auth.Form;
import dev.cloudproxy.tao.keys.Signer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Rule sets that would not end, or would exhaust memory, are refused within the default bounds. */
class HostileRulesTest {
    private static final Duration BOUND = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private static GuardException refused(DatalogGuard guard, String rule) {
        return assertTimeoutPreemptively(BOUND, () -> assertThrows(GuardException.class, () -> guard.addRule(rule)));
    }

    @Test
    void subprinRecursion_endlessLongerPrincipals_refusedAndGuardUnchanged() throws Exception {
        DatalogGuard guard = DatalogGuard.inMemory();
        guard.addRule("Member(key([aa]))");
        String before = guard.subprincipal().toString();

        GuardException e = refused(guard, "forall P: forall Q: Member(P) and Subprin(Q, P, ext.A()) implies Member(Q)");

        assertThat(e.getMessage()).startsWith("rule refused").contains("nodes").doesNotContain("\n");
        assertThat(guard.ruleCount()).isEqualTo(1);
        assertThat(guard.subprincipal().toString()).isEqualTo(before);
        assertThat(guard.query("Member(key([aa]).A())")).isFalse();
        assertThat(guard.query("Member(key([aa]))")).isTrue();
    }

    @Test
    void subprinRecursion_endlesslyDeeperPrincipals_refused() throws Exception {
        DatalogGuard guard = DatalogGuard.inMemory();
        guard.addRule("Member(key([aa]))");

        GuardException e = refused(guard, "forall P: forall Q: Member(P) and Subprin(Q, P, ext.A(P)) implies Member(Q)");

        assertThat(e.getMessage()).startsWith("rule refused");
        assertThat(guard.query("exists P: Member(P)")).isTrue();
    }

    @Test
    void crossProduct_tooManyFacts_refused() throws Exception {
        DatalogGuard guard = DatalogGuard.inMemory();
        for (int i = 0; i < 1000; i++) {
            guard.addRule("A(" + i + ")");
        }

        GuardException e = refused(guard, "forall X: forall Y: A(X) and A(Y) implies B(X, Y)");

        assertThat(e.getMessage()).contains("facts would be derived");
        assertThat(guard.query("B(1, 2)")).isFalse();
        assertThat(guard.ruleCount()).isEqualTo(1000);
    }

    @Test
    void deepRecursion_longChain_endsWithinBounds() throws Exception {
        // Smaller bounds than the defaults keep the test quick; the defaults are ten times these.
        DatalogGuard guard = DatalogGuard.inMemory(new DatalogEngine.Limits(20_000, 2_000_000, 4096));
        guard.addRule("forall X: forall Y: Edge(X, Y) implies Path(X, Y)");
        guard.addRule("forall X: forall Y: forall Z: Path(X, Y) and Path(Y, Z) implies Path(X, Z)");

        // Each edge is accepted until the closure passes a bound; then that edge is refused.
        GuardException e = assertTimeoutPreemptively(BOUND, () -> assertThrows(GuardException.class, () -> {
            for (int i = 0; i < 100_000; i++) {
                guard.addRule("Edge(" + i + ", " + (i + 1) + ")");
            }
        }));

        assertThat(e.getMessage()).startsWith("rule refused");
        assertThat(guard.query("Path(0, 100)")).isTrue();
    }

    @Test
    void query_hugeJoin_refusedBySteps() throws Exception {
        DatalogGuard guard = DatalogGuard.inMemory();
        for (int i = 0; i < 1000; i++) {
            guard.addRule("A(" + i + ")");
        }

        GuardException e = assertTimeoutPreemptively(BOUND, () -> assertThrows(GuardException.class,
                () -> guard.query("exists X: exists Y: exists Z: A(X) and A(Y) and A(Z) and B(X, Y, Z)")));

        assertThat(e.getMessage()).contains("steps");
    }

    @Test
    void load_signedFileBeyondBounds_refused() throws Exception {
        List<Form> rules = new ArrayList<>();
        rules.add(Form.parse("Member(key([aa]))"));
        rules.add(Form.parse("forall P: forall Q: Member(P) and Subprin(Q, P, ext.A()) implies Member(Q)"));
        Path file = dir.resolve("hostile.rules");
        try (Signer policy = Signer.generate()) {
            Files.write(file, SignedRuleFile.sign(SignedRuleFile.KIND_DATALOG, 5, rules, policy));

            GuardException e = assertTimeoutPreemptively(BOUND,
                    () -> assertThrows(GuardException.class, () -> DatalogGuard.load(file, policy.verifier())));

            assertThat(e.getMessage()).startsWith("rules refused");
        }
    }

    @Test
    void smallLimits_manyFacts_refused() throws Exception {
        DatalogGuard guard = DatalogGuard.inMemory(new DatalogEngine.Limits(10, 1_000_000, 256));
        guard.addRule("forall X: A(X) implies B(X)");
        for (int i = 0; i < 5; i++) {
            guard.addRule("A(" + i + ")");
        }

        assertThrows(GuardException.class, () -> guard.addRule("A(5)"));
        assertThat(guard.query("A(4)")).isTrue();
        assertThat(guard.query("A(5)")).isFalse();
        assertThat(guard.query("B(5)")).isFalse();
    }

    @Test
    void refusedRule_undoneIncludingIndexes_laterJoinsCorrect() throws Exception {
        DatalogGuard guard = DatalogGuard.inMemory(new DatalogEngine.Limits(60, 1_000_000, 256));
        guard.addRule("forall X: forall Y: Edge(X, Y) and Good(Y) implies Reach(X)");
        for (int i = 0; i < 10; i++) {
            guard.addRule("Edge(" + i + ", " + (i + 1) + ")");
        }
        guard.addRule("Good(5)");
        assertThat(guard.query("Reach(4)")).isTrue();

        // The closure passes the fact bound in a later round, after Edge facts were added to the
        // relation and to the index on Edge's second argument that the first rule uses.
        GuardException e = assertThrows(GuardException.class, () -> guard.addRule(
                "forall X: forall Y: forall Z: Edge(X, Y) and Edge(Y, Z) implies Edge(X, Z)"));
        assertThat(e.getMessage()).contains("facts would be derived");
        assertThat(guard.query("Edge(6, 8)")).isFalse();

        guard.addRule("Good(8)");
        guard.addRule("Edge(20, 8)");

        assertThat(guard.query("Reach(7)")).isTrue();
        assertThat(guard.query("Reach(20)")).isTrue();
        assertThat(guard.query("Reach(5)")).isFalse();
        assertThat(guard.query("Reach(6)")).isFalse();
        assertThat(guard.query("Reach(0)")).isFalse();
    }
}
