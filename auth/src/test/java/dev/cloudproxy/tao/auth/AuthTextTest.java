package dev.cloudproxy.tao.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class AuthTextTest {
    private static final Prin A = Prin.key(new byte[] {0x0a});
    private static final Prin B = Prin.key(new byte[] {0x0b});
    private static final Pred P = Pred.of("P");
    private static final Pred Q = Pred.of("Q");
    private static final Pred R = Pred.of("R");

    /** Canonical texts: each parses and prints back to itself, and survives the binary form. */
    @ParameterizedTest
    @ValueSource(strings = {
        "true", "false", "P()", "P(1)", "P(-1)", "P(0)",
        "P(9223372036854775807)", "P(-9223372036854775808)",
        "P(\"\")", "P(\"a\\\"b\\\\c\")", "P(\"tab\\there\\nnewline\\r\\a\\b\\f\\v\")",
        "P(\"\\x00\\x1f\\x7f\")", "P(\"h\u00e9llo w\u00f6rld \u65e5\u672c \uD83D\uDE00\")", "P(\"\\u00ad\\u200b\\U000e0001\")",
        "P([])", "P([00ff10])", "P(X)", "P(X, Y, \"z\", 1, [aa])",
        "Subprin(P, Host, Hash)",
        "key([4b657930])", "tpm([aabb]).PCRs(\"17,18\", \"00,11\")",
        "tpm2([aabb]).PCRs(\"17,18\", \"00,11\").LinuxHost([cc]).Program([dd]).Jvm([ee])",
        "key([aa]).A().B(1).C(\"x\", [bb], key([cc]).D()).E(ext.F(1))",
        "ext.Program([aa])", "ext.A().B(C)", "key(K)", "key(\"name\")", "key(1)", "key(key([aa]))",
        "not P()", "not not P()", "not (P() and Q())", "not (P() or Q())",
        "P() and Q()", "P() and Q() and R()", "P() or Q() or R()", "P() and Q() or R()",
        "P() and (Q() or R())", "(P() or Q()) and R()",
        "P() implies Q()", "P() implies Q() implies R()", "(P() implies Q()) implies R()",
        "P() and Q() implies R() or P()", "(P() implies Q()) and R()",
        "key([aa]) says P()", "key([aa]) from 1 says P()", "key([aa]) until 2 says P()",
        "key([aa]) from -5 until 9223372036854775807 says P()",
        "key([aa]) says P() and Q()", "(key([aa]) says P()) and Q()", "Q() and key([aa]) says P()",
        "key([aa]) says key([bb]) says P()", "(key([aa]) says P()) implies Q()",
        "P() implies key([aa]) says Q()",
        "key([aa]) speaksfor key([bb])", "(key([aa]) speaksfor key([bb])) and P()",
        "P() and key([aa]) speaksfor key([bb])", "X speaksfor Y",
        "forall X: P(X)", "exists X: P(X)", "forall X: exists Y: P(X, Y)",
        "(forall X: P(X)) and Q()", "Q() and forall X: P(X)", "(forall X: P(X)) implies Q()",
        "forall P: forall Host: forall Hash: TrustedHost(Host) and TrustedProgramHash(Hash) and Subprin(P, Host, Hash) implies MemberProgram(P)",
        "key([aa]) from 1 until 2 says key([bb]) speaksfor key([aa]).Program([cc])",
        "not (key([aa]) says P()) and Q()", "not key([aa]) says P()",
        "P() and (key([aa]) says Q()) or R()",
        "P() or key([aa]) says Q() and R()",
        "\"str\" says P()", "[aa] says P()", "1 speaksfor 2", "ext.A() says P()",
    })
    void canonicalText_parsesAndPrintsBackUnchanged(String text) throws Exception {
        AuthElement e = AuthElement.parse(text);
        assertThat(e.toString()).isEqualTo(text);
        assertThat(AuthElement.decode(e.encode())).isEqualTo(e);
    }

    /** Other spellings of the same element print in canonical form. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "  P( 1 ,2 )  | P(1, 2)",
        "((P(1)))| P(1)",
        "P(((1)), (\"a\"))| P(1, \"a\")",
        "P([AABB])| P([aabb])",
        "P([aa bb\tcc])| P([aabbcc])",
        "P({qrs=})| P([aabb])",
        "P({qrs})| P([aabb])",
        "P({})| P([])",
        "P(007)| P(7)",
        "P(-0)| P(0)",
        "P(\"\\u00e9\\101\\x42\")| P(\"\u00e9AB\")",
        "P(\"\\xc3\\xa9\")| P(\"\u00e9\")",
        "key([aa]) until 2 from 1 says P()| key([aa]) from 1 until 2 says P()",
        "key([aa]) from (1) until ((2)) says P()| key([aa]) from 1 until 2 says P()",
        "key([aa]) speaksfor (key([bb]))| key([aa]) speaksfor key([bb])",
        "(P() and Q()) and R()| P() and Q() and R()",
        "(P() or Q()) or R()| P() or Q() or R()",
        "P() and (Q() and R())| P() and Q() and R()",
        "key([aa]) says (P() and Q())| key([aa]) says P() and Q()",
        "P() implies (Q() implies R())| P() implies Q() implies R()",
        "forall X: (P(X))| forall X: P(X)",
        "not(P())| not P()",
    })
    void nonCanonicalText_printsCanonically(String input, String canonical) throws Exception {
        assertThat(AuthElement.parse(input).toString()).isEqualTo(canonical);
    }

    @Test
    void supplementaryCharacters_whoseLowBitsLookLikeSurrogates_parse() throws Exception {
        // Found by AuthBinaryFuzzTest: U+1D800 decoded but its text did not parse (a (char) cast
        // took every code point with low 16 bits in D800-DFFF for a lone surrogate).
        for (int cp : new int[] {0x1D800, 0x1DAAF, 0x1DF00, 0x2D800, 0x2DFFF, 0x10FFFF, 0x1D7FF}) {
            Str s = new Str(new String(Character.toChars(cp)));
            assertThat(Term.parse(s.toString())).as("U+%X", cp).isEqualTo(s);
            assertThat(Term.decode(s.encode())).isEqualTo(s);
        }
        assertThat(Term.decode(java.util.HexFormat.of().parseHex("0304f09da080")).toString())
                .isEqualTo("\"" + new String(Character.toChars(0x1D800)) + "\"");
    }

    @Test
    void parse_acceptsAnyUnicodeWhitespaceBetweenTokens() throws Exception {
        assertThat(Form.parse("P()\nand\r\nQ()\u00a0and\u2003R()\t").toString()).isEqualTo("P() and Q() and R()");
    }

    @Test
    void parse_flattensLeftParenthesizedConjunction_likeCloudProxy() throws Exception {
        assertThat(Form.parse("(P() and Q()) and R()")).isEqualTo(And.of(P, Q, R));
        // ... but not a parenthesized conjunction on the right, which stays nested.
        assertThat(Form.parse("R() and (P() and Q())")).isEqualTo(And.of(R, And.of(P, Q)));
    }

    @Test
    void parse_impliesIsRightAssociative() throws Exception {
        assertThat(Form.parse("P() implies Q() implies R()")).isEqualTo(new Implies(P, new Implies(Q, R)));
    }

    @Test
    void parse_saysTakesEverythingToItsRight() throws Exception {
        assertThat(Form.parse("key([0a]) says P() and Q() implies R()"))
                .isEqualTo(Says.of(A, new Implies(And.of(P, Q), R)));
        assertThat(Form.parse("P() and key([0a]) says Q() or R()"))
                .isEqualTo(And.of(P, Says.of(A, Or.of(Q, R))));
    }

    @Test
    void parse_precedence_notBindsTighterThanAndThanOrThanImplies() throws Exception {
        assertThat(Form.parse("not P() and Q() or R() implies P()")).isEqualTo(
                new Implies(Or.of(And.of(new Not(P), Q), R), P));
    }

    @Test
    void parse_distinguishesPredicateFromVariableByAdjacentParen() throws Exception {
        assertThat(Form.parse("X speaksfor Y")).isEqualTo(new Speaksfor(new TermVar("X"), new TermVar("Y")));
        assertThat(Form.parse("X()")).isEqualTo(Pred.of("X"));
    }

    /**
     * Forms whose text CloudProxy printed ambiguously (it placed parentheses by looking only at
     * the immediate parent). Each must print so that it parses back to itself.
     */
    @Test
    void print_rightExtendingFormsNotAtTheEnd_areParenthesized() throws Exception {
        List<Form> forms = List.of(
                Or.of(And.of(P, Says.of(A, Q)), R),
                And.of(new Not(Says.of(A, P)), Q),
                Or.of(new Implies(P, Says.of(A, Q)), R),
                And.of(new Implies(P, new Forall("X", Q)), R),
                new Implies(And.of(P, Says.of(A, Q)), R),
                And.of(Or.of(P, new Exists("X", Q)), R),
                And.of(Says.of(A, And.of(P, Says.of(B, Q))), R),
                new Not(new Not(Says.of(A, P))),
                And.of(And.of(Says.of(A, P)), Q),
                Or.of(Or.of(), And.of(Says.of(A, P)), Q));
        for (Form f : forms) {
            String text = f.toString();
            assertThat(Form.parse(text).toString()).as(text).isEqualTo(text);
            assertThat(Normal.of(Form.parse(text))).as(text).isEqualTo(Normal.of(f));
        }
        assertThat(Or.of(And.of(P, Says.of(A, Q)), R).toString()).isEqualTo("P() and (key([0a]) says Q()) or R()");
        assertThat(And.of(new Not(Says.of(A, P)), Q).toString()).isEqualTo("not (key([0a]) says P()) and Q()");
    }

    @Test
    void print_degenerateJunctions_likeCloudProxy() {
        assertThat(And.of().toString()).isEqualTo("true");
        assertThat(Or.of().toString()).isEqualTo("false");
        assertThat(And.of(P).toString()).isEqualTo("P()");
        assertThat(Or.of(And.of(P, Q)).toString()).isEqualTo("P() and Q()");
        assertThat(And.of(Or.of(P, Q)).toString()).isEqualTo("P() or Q()");
        assertThat(And.of(Or.of(P, Q), R).toString()).isEqualTo("(P() or Q()) and R()");
        assertThat(new Not(And.of()).toString()).isEqualTo("not true");
    }

    @Test
    void print_says_withTimes() {
        assertThat(new Says(A, OptionalLong.of(5), OptionalLong.empty(), P).toString()).isEqualTo("key([0a]) from 5 says P()");
        assertThat(new Says(A, OptionalLong.empty(), OptionalLong.of(7), P).toString()).isEqualTo("key([0a]) until 7 says P()");
    }

    @Test
    void print_strings_likeGoQuoting() {
        assertThat(new Str("\u0000\u0007\u001b\u007f\u0085\u00a0 ~").toString()).isEqualTo("\"\\x00\\a\\x1b\\x7f\\u0085\\u00a0 ~\"");
        assertThat(new Str("\u2028\uFEFF").toString()).isEqualTo("\"\\u2028\\ufeff\"");
        assertThat(new Str("\uDB40\uDC01").toString()).isEqualTo("\"\\U000e0001\"");
    }

    @Test
    void parsePrin_rejectsOtherTerms() {
        AuthFormatException e = org.junit.jupiter.api.Assertions.assertThrows(
                AuthFormatException.class, () -> Prin.parse("ext.A()"));
        assertThat(e.getMessage()).contains("expected a principal");
    }

    @Test
    void parseElement_readsTermsAsWellAsForms() throws Exception {
        assertThat(AuthElement.parse("key([aa]).Program([bb])")).isInstanceOf(Prin.class);
        assertThat(AuthElement.parse("X")).isEqualTo(new TermVar("X"));
        assertThat(AuthElement.parse("\"s\"")).isEqualTo(new Str("s"));
        assertThat(AuthElement.parse("X()")).isInstanceOf(Pred.class);
    }
}
