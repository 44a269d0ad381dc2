package dev.cloudproxy.tao.guard;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The built-in Subprin(P, Parent, Ext) in each binding mode, through queries and rules. */
class SubprinTest {
    private final DatalogGuard guard = DatalogGuard.inMemory();

    @Test
    void allBound_checks() throws Exception {
        assertThat(guard.query("Subprin(key([aa]).A(1).B(2), key([aa]).A(1), ext.B(2))")).isTrue();
        assertThat(guard.query("Subprin(key([aa]).A(1).B(2), key([aa]), ext.A(1).B(2))")).isTrue();
        assertThat(guard.query("Subprin(key([aa]).A(1).B(2), key([aa]), ext.B(2))")).isFalse();
        assertThat(guard.query("Subprin(key([aa]).A(1), key([bb]), ext.A(1))")).isFalse();
        assertThat(guard.query("Subprin(key([aa]), key([aa]), ext.A(1))")).isFalse();
        assertThat(guard.query("Subprin(\"str\", key([aa]), ext.A(1))")).isFalse();
    }

    @Test
    void prinBound_splitsAtEveryPoint() throws Exception {
        guard.addRule("forall P: forall Parent: forall Ext: Name(P) and Subprin(P, Parent, Ext) implies Split(Parent, Ext)");
        guard.addRule("Name(key([aa]).A(1).B(2))");

        assertThat(guard.query("Split(key([aa]), ext.A(1).B(2))")).isTrue();
        assertThat(guard.query("Split(key([aa]).A(1), ext.B(2))")).isTrue();
        assertThat(guard.query("exists E: Split(key([aa]).A(1).B(2), E)")).isFalse();
        assertThat(guard.query("exists E: Split(key([aa]), E)")).isTrue();
    }

    @Test
    void prinAndParentBound_findsExt() throws Exception {
        assertThat(guard.query("exists E: Subprin(key([aa]).A(1).B(2), key([aa]).A(1), E)")).isTrue();
        assertThat(guard.query("exists E: Subprin(key([aa]).A(1).B(2), key([cc]), E)")).isFalse();
    }

    @Test
    void prinAndExtBound_findsParent() throws Exception {
        assertThat(guard.query("exists H: Subprin(key([aa]).A(1).B(2), H, ext.B(2))")).isTrue();
        assertThat(guard.query("exists H: Subprin(key([aa]).A(1).B(2), H, ext.A(1))")).isFalse();
    }

    @Test
    void extPatternWithVariable_bindsInside() throws Exception {
        guard.addRule("forall P: forall H: forall M: Name(P) and Subprin(P, H, ext.Program(M)) implies Measured(H, M)");
        guard.addRule("Name(key([aa]).Program([0102]))");

        assertThat(guard.query("Measured(key([aa]), [0102])")).isTrue();
    }

    @Test
    void parentAndExtBound_composes() throws Exception {
        guard.addRule("forall H: forall E: forall P: Host(H) and Prog(E) and Subprin(P, H, E) implies Member(P)");
        guard.addRule("Host(key([aa]))");
        guard.addRule("Prog(ext.A(1).B(2))");
        guard.addRule("Prog(\"not a tail\")");

        assertThat(guard.query("Member(key([aa]).A(1).B(2))")).isTrue();
        assertThat(guard.query("exists P: Member(P)")).isTrue();
        assertThat(guard.query("Member(key([aa]).A(1))")).isFalse();
    }

    @Test
    void beforeItsArgumentsAreBound_reorderedAfterThem() throws Exception {
        guard.addRule("forall P: forall H: forall E: Subprin(P, H, E) and Host(H) and Prog(E) implies Member(P)");
        guard.addRule("Host(key([aa]))");
        guard.addRule("Prog(ext.A(1))");

        assertThat(guard.query("Member(key([aa]).A(1))")).isTrue();
    }
}
