package dev.cloudproxy.tao.guard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cloudproxy.tao.auth.And;
import dev.cloudproxy.tao.auth.Bytes;
import dev.cloudproxy.tao.auth.Const;
import dev.cloudproxy.tao.auth.Exists;
import dev.cloudproxy.tao.auth.Forall;
import dev.cloudproxy.tao.auth.Form;
import dev.cloudproxy.tao.auth.Implies;
import dev.cloudproxy.tao.auth.Int;
import dev.cloudproxy.tao.auth.Not;
import dev.cloudproxy.tao.auth.Or;
import dev.cloudproxy.tao.auth.Pred;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.Says;
import dev.cloudproxy.tao.auth.Speaksfor;
import dev.cloudproxy.tao.auth.Str;
import dev.cloudproxy.tao.auth.Term;
import dev.cloudproxy.tao.auth.TermVar;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class RejectedRulesTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "forall P: Trusted(P)                                         | variable P in the conclusion",
        "forall P: forall Q: A(P) implies B(P, Q)                     | variable Q in the conclusion",
        "forall P: forall H: forall E: Subprin(P, H, E) implies A(P)   | unsafe Subprin",
        "forall P: forall H: forall E: A(H) and Subprin(P, H, E) implies B(P) | unsafe Subprin: no condition binds",
        "A(X) implies B(X)                                             | variable X is not quantified",
        "forall X: A(X) or B(X) implies C(X)                           | 'or'",
        "forall X: not A(X) and B(X) implies C(X)                      | negation",
        "forall X: (A(X) implies B(X)) implies C(X)                    | 'implies'",
        "forall X: A(X) implies B(X) implies C(X)                      | conclusion of a rule",
        "forall X: A(X) implies B(X) or C(X)                           | conclusion of a rule",
        "forall X: A(X) implies (exists Y: B(X, Y))                    | conclusion of a rule",
        "forall X: (forall Y: A(X, Y)) implies B(X)                    | 'forall'",
        "forall X: (key([aa]) speaksfor X) implies B(X)                | 'speaksfor'",
        "forall X: A(X) implies Subprin(X, X, X)                       | Subprin is built in",
        "forall X: A(X) and Subprin(X, X) implies B(X)                 | Subprin takes 3 arguments",
        "forall X: (key([aa]) from 1 until 2 says A(X)) implies B(X)   | time bounds",
        "forall X: forall X: A(X) implies B(X)                         | quantifies X twice",
        "Subprin(key([aa]).A(), key([aa]), ext.A())                    | Subprin is built in",
        "A() or B()                                                    | conclusion of a rule",
        "false implies A()                                             | constant",
    })
    void addRule_unsupportedOrUnsafe_refusedWithReason(String rule, String reason) {
        DatalogGuard guard = DatalogGuard.inMemory();

        GuardException e = assertThrows(GuardException.class, () -> guard.addRule(rule));

        assertThat(e.getMessage()).contains(reason).doesNotContain("\n");
        assertThat(guard.ruleCount()).isZero();
    }

    @Test
    void addRule_bodyTooLong_refused() {
        String body = Stream.generate(() -> "A(X)").limit(Datalog.MAX_BODY + 1).collect(Collectors.joining(" and "));

        GuardException e = assertThrows(GuardException.class,
                () -> DatalogGuard.inMemory().addRule("forall X: " + body + " implies B(X)"));

        assertThat(e.getMessage()).contains("more than " + Datalog.MAX_BODY + " conditions");
    }

    @Test
    void addRule_builtInCodeDeeperThanLimit_refusedWithoutStackOverflow() {
        Form deep = Pred.of("A");
        for (int i = 0; i < 100_000; i++) {
            deep = new Not(deep);
        }
        Form rule = deep;

        GuardException e = assertThrows(GuardException.class, () -> DatalogGuard.inMemory().addRule(rule));

        assertThat(e.getMessage()).contains("nested deeper");
    }

    @Test
    void shape_everyFormKind_named() {
        Prin p = Prin.key(new byte[] {1});
        List<Form> forms = List.of(Pred.of("A"), Const.TRUE, new Not(Pred.of("A")), And.of(Pred.of("A")),
                new Or(List.of(Pred.of("A"))), new Implies(Pred.of("A"), Pred.of("B")), new Speaksfor(p, p),
                Says.of(p, Const.TRUE), new Forall("X", Pred.of("A")), new Exists("X", Pred.of("A")));
        Set<Class<?>> kinds = Set.of(Form.class.getPermittedSubclasses());

        assertThat(forms.stream().map(Object::getClass).collect(Collectors.toSet())).isEqualTo(kinds);
        for (Form f : forms) {
            assertThat(Datalog.shape(f)).isNotBlank();
            assertThat(Sizes.exceeds(f, 128, 1000)).isFalse();
            assertThat(Sizes.exceeds(new Says(new Str("s"), OptionalLong.empty(),
                    OptionalLong.empty(), f), 1, 1000)).isTrue();
        }
    }

    @Test
    void query_unsupportedShape_refused() {
        DatalogGuard guard = DatalogGuard.inMemory();

        assertThrows(GuardException.class, () -> guard.query("A() or B()"));
        assertThrows(GuardException.class, () -> guard.query("not A()"));
        assertThrows(GuardException.class, () -> guard.query("forall X: A(X)"));
        assertThrows(GuardException.class, () -> guard.query("exists P: exists H: Subprin(P, H, ext.A())"));
    }

    @Test
    void isGround_everyTermKind_decided() throws Exception {
        List<Term> terms = List.of(Prin.parse("key([aa]).A(X)"), Term.parse("ext.A(1)"),
                new Str("s"), new Bytes(new byte[] {1}), new Int(-1),
                new TermVar("X"));
        Set<Class<?>> kinds = Set.of(Term.class.getPermittedSubclasses());

        assertThat(terms.stream().map(Object::getClass).collect(Collectors.toSet())).isEqualTo(kinds);
        assertThat(terms.stream().map(Datalog::isGround).toList()).containsExactly(false, true, true, true, true, false);
        for (var t : terms) {
            assertThat(Sizes.exceeds(t, 128, 1000)).isFalse();
        }
    }
}
