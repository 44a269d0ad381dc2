package dev.cloudproxy.tao.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ElementTest {

    /** One example of every node type; the exhaustiveness test below keeps it complete. */
    static List<AuthElement> oneOfEach() {
        Prin k = Prin.key(new byte[] {1});
        return List.of(
                k.extend(PrinExt.of("A", new Int(1))),
                PrinTail.of(PrinExt.of("A")),
                new Str("s"), Bytes.ofHex("00"), new Int(-2), new TermVar("V"),
                Pred.of("P", new Str("x")), Const.TRUE, new Not(Const.FALSE),
                And.of(Const.TRUE, Const.FALSE), Or.of(Const.TRUE, Const.FALSE),
                new Implies(Const.TRUE, Const.FALSE), new Speaksfor(k, k), Says.during(k, 1, 2, Const.TRUE),
                new Forall("X", Pred.of("P", new TermVar("X"))), new Exists("X", Pred.of("P", new TermVar("X"))));
    }

    @Test
    void everyPermittedNodeType_isPrintedEncodedAndDecoded() throws Exception {
        Set<Class<?>> permitted = new HashSet<>();
        permitted.addAll(List.of(Term.class.getPermittedSubclasses()));
        permitted.addAll(List.of(Form.class.getPermittedSubclasses()));
        Set<Class<?>> covered = new HashSet<>();
        for (AuthElement e : oneOfEach()) {
            covered.add(e.getClass());
            assertThat(AuthElement.decode(e.encode())).isEqualTo(e);
            assertThat(AuthElement.parse(e.toString())).isEqualTo(e);
            assertThat(Depth.of(e)).isPositive();
        }
        assertThat(covered).isEqualTo(permitted);
    }

    @Test
    void everyNodeType_hasADistinctTag() throws Exception {
        Set<Byte> tags = new HashSet<>();
        for (AuthElement e : oneOfEach()) {
            tags.add(e.encode()[0]);
        }
        assertThat(tags).hasSize(oneOfEach().size());
    }

    @Test
    void bytes_areCopiedInAndOut_andCompareByContent() {
        byte[] raw = {1, 2, 3};
        Bytes b = new Bytes(raw);
        raw[0] = 9;
        assertThat(b.value()[0]).isEqualTo((byte) 1);
        b.value()[1] = 9;
        assertThat(b.value()[1]).isEqualTo((byte) 2);
        assertThat(b).isEqualTo(Bytes.ofHex("010203")).hasSameHashCodeAs(Bytes.ofHex("010203"));
        assertThat(b).isNotEqualTo(Bytes.ofHex("0102"));
    }

    @Test
    void lists_areImmutableCopies() {
        List<Form> parts = new ArrayList<>(List.of(Const.TRUE));
        And and = new And(parts);
        parts.add(Const.FALSE);
        assertThat(and.conjuncts()).hasSize(1);
        assertThrows(UnsupportedOperationException.class, () -> and.conjuncts().add(Const.FALSE));
    }

    @Test
    void constructors_rejectNamesTheTextFormCannotCarry() {
        assertThrows(IllegalArgumentException.class, () -> Pred.of("p"));
        assertThrows(IllegalArgumentException.class, () -> Pred.of(""));
        assertThrows(IllegalArgumentException.class, () -> Pred.of("P-1"));
        assertThrows(IllegalArgumentException.class, () -> new TermVar("x"));
        assertThrows(IllegalArgumentException.class, () -> PrinExt.of("program"));
        assertThrows(IllegalArgumentException.class, () -> new Forall("x", Const.TRUE));
        assertThrows(IllegalArgumentException.class, () -> new Prin("Key", new Int(1), SubPrin.EMPTY));
        assertThrows(IllegalArgumentException.class, () -> new Prin("says", new Int(1), SubPrin.EMPTY));
        assertThrows(IllegalArgumentException.class, () -> new Prin("ext", new Int(1), SubPrin.EMPTY));
        assertThrows(IllegalArgumentException.class, () -> new Prin("2pm", new Int(1), SubPrin.EMPTY));
        assertThrows(IllegalArgumentException.class, () -> new PrinTail(SubPrin.EMPTY));
        assertThrows(IllegalArgumentException.class, () -> new Str("\uD800"));
        assertThrows(NullPointerException.class, () -> new Not(null));
        assertThrows(NullPointerException.class, () -> new Pred("P", null));
    }

    @Test
    void errorsForBadNames_quoteAShortExcerptOnly() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Pred.of("p".repeat(1000)));
        assertThat(e.getMessage().length()).isLessThan(120);
    }
}
