package dev.cloudproxy.tao.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.ByteArrayOutputStream;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Hostile sizes and depths end in a typed error, never a stack overflow, out-of-memory or hang. */
class LimitsTest {
    private static final int HUGE = 200_000;

    @Test
    void deeplyNestedParentheses_areRejected() {
        String text = "(".repeat(HUGE) + "P()" + ")".repeat(HUGE);
        assertThat(assertThrows(AuthFormatException.class, () -> Form.parse(text)).getMessage())
                .contains("nest");
    }

    @Test
    void deeplyNestedTermParentheses_areRejected() {
        String text = "P(" + "(".repeat(HUGE) + "1" + ")".repeat(HUGE) + ")";
        assertThrows(AuthFormatException.class, () -> Form.parse(text));
    }

    @Test
    void longNotChain_isRejected() {
        assertThrows(AuthFormatException.class, () -> Form.parse("not ".repeat(HUGE) + "P()"));
    }

    @Test
    void longSaysChain_isRejected() {
        assertThrows(AuthFormatException.class, () -> Form.parse("key([aa]) says ".repeat(HUGE / 10) + "P()"));
    }

    @Test
    void longImpliesChain_isRejected() {
        assertThrows(AuthFormatException.class, () -> Form.parse("P() implies ".repeat(HUGE / 10) + "P()"));
    }

    @Test
    void deeplyNestedPrincipalKeys_areRejected() {
        String text = "key(".repeat(HUGE / 10) + "[aa]" + ")".repeat(HUGE / 10);
        assertThrows(AuthFormatException.class, () -> Term.parse(text));
    }

    @Test
    void nestingAtTheLimit_parses_andOneMore_doesNot() throws Exception {
        int depth = AuthLimits.MAX_DEPTH;
        String ok = "not ".repeat(depth - 1) + "true";
        assertThat(Form.parse(ok).toString()).isEqualTo(ok);
        assertThat(Form.decode(Form.parse(ok).encode())).isEqualTo(Form.parse(ok));
        assertThrows(AuthFormatException.class, () -> Form.parse("not " + ok));
    }

    @Test
    void parenthesizedNestingAtTheLimit_printsAndParsesBack() throws Exception {
        // The deepest element the limit allows, built so that printing needs a parenthesis per level.
        Form f = Pred.of("P");
        for (int i = 1; i < AuthLimits.MAX_DEPTH; i++) {
            f = i % 2 == 0 ? And.of(f, Pred.of("Q")) : Or.of(f, Pred.of("Q"));
        }
        assertThat(Depth.of(f)).isEqualTo(AuthLimits.MAX_DEPTH);
        assertThat(Form.parse(f.toString())).isEqualTo(f);
        assertThat(Form.decode(f.encode())).isEqualTo(f);
    }

    @Test
    void longExtensionChain_isNotNesting_andParses() throws Exception {
        String text = "key([aa])" + ".Program([bb])".repeat(10_000);
        Prin p = Prin.parse(text);
        assertThat(p.ext().size()).isEqualTo(10_000);
        assertThat(p.toString()).isEqualTo(text);
        assertThat(Prin.decode(p.encode())).isEqualTo(p);
    }

    @Test
    void oversizedText_isRejectedBeforeParsing() {
        String text = "P(\"" + "a".repeat(AuthLimits.MAX_TEXT_LENGTH) + "\")";
        assertThat(assertThrows(AuthFormatException.class, () -> Form.parse(text)).getMessage()).contains("longer than");
    }

    @Test
    void textAtTheLimit_alwaysEncodesWithinTheBinaryLimit() throws Exception {
        // Three UTF-8 bytes per character is the most text can grow by when encoded.
        String text = "P(\"" + "\u20ac".repeat(AuthLimits.MAX_TEXT_LENGTH - 5) + "\")";
        assertThat(text).hasSize(AuthLimits.MAX_TEXT_LENGTH);
        Form f = Form.parse(text);
        byte[] bin = f.encode();
        assertThat(bin.length).isGreaterThan(3 * (AuthLimits.MAX_TEXT_LENGTH - 5));
        assertThat(Form.decode(bin)).isEqualTo(f);
    }

    @Test
    void tooDeepError_namesTheColumnWhereTheLimitIsPassed() {
        // "not " * 200 + "P()": the not at index 72 is the first whose depth is 129.
        AuthFormatException e = assertThrows(AuthFormatException.class, () -> Form.parse("not ".repeat(200) + "P()"));
        assertThat(e.getMessage()).isEqualTo("input nests more than 128 levels deep at column " + (4 * 72 + 1));
    }

    @Test
    void tooDeepError_inPrincipalKeys_namesTheColumn() {
        // key(key(...key([aa])...)): key([aa]) is 2 deep, so the key( at index 72 (of 200) is the first at depth 129.
        String text = "key(".repeat(199) + "key([aa])" + ")".repeat(199);
        AuthFormatException e = assertThrows(AuthFormatException.class, () -> Term.parse(text));
        assertThat(e.getMessage()).isEqualTo("input nests more than 128 levels deep at column " + (4 * 72 + 1));
    }

    @Test
    void manyParentheses_reportParenthesesNotDepth() {
        AuthFormatException e = assertThrows(AuthFormatException.class,
                () -> Form.parse("(".repeat(1000) + "P()" + ")".repeat(1000)));
        assertThat(e.getMessage()).contains("parentheses");
    }

    @Test
    void oversizedBinary_isRejectedBeforeDecoding() {
        byte[] in = new byte[AuthLimits.MAX_BINARY_LENGTH + 1];
        assertThat(assertThrows(AuthFormatException.class, () -> AuthElement.decode(in)).getMessage()).contains("longer than");
    }

    @Test
    void deeplyNestedBinary_isRejected() {
        byte[] in = new byte[HUGE + 2];
        java.util.Arrays.fill(in, 0, HUGE, (byte) 9); // Not, Not, Not, ...
        in[HUGE] = 8;
        in[HUGE + 1] = 1;
        assertThat(assertThrows(AuthFormatException.class, () -> AuthElement.decode(in)).getMessage()).contains("nests");
    }

    @Test
    void hugeDeclaredCounts_doNotAllocate() {
        // An And claiming 2^62 conjuncts, and a string claiming 2^62 bytes.
        byte[] and = {10, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x40};
        assertThrows(AuthFormatException.class, () -> AuthElement.decode(and));
        byte[] str = {3, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x40};
        assertThrows(AuthFormatException.class, () -> AuthElement.decode(str));
    }

    @Test
    void nestedListsClaimingHugeCounts_doNotAllocateInProportionToTheClaims() throws Exception {
        // Found by review of the decoder: every list was presized to its claimed count, bounded only
        // by the bytes left in the whole input, so nesting multiplied it (4 MiB input, ~2 GiB heap).
        // A predicate whose argument is a principal with an extension whose argument is a principal,
        // 60 levels deep, each count claiming nearly the whole input.
        java.io.ByteArrayOutputStream prefix = new java.io.ByteArrayOutputStream();
        int total = AuthLimits.MAX_BINARY_LENGTH;
        prefix.write(new byte[] {7, 1, 'P'});
        writeVarint(prefix, total - 16);
        for (int i = 0; i < 60; i++) {
            prefix.write(new byte[] {1, 1, 'k', 5, 0, 17});
            writeVarint(prefix, total - prefix.size() - 8);
            prefix.write(new byte[] {18, 1, 'A'});
            writeVarint(prefix, total - prefix.size() - 8);
        }
        byte[] input = java.util.Arrays.copyOf(prefix.toByteArray(), total);
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadAllocatedBytes();
        assertThrows(AuthFormatException.class, () -> AuthElement.decode(input));
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertThat(allocated).as("bytes allocated while decoding").isLessThan(64L << 20);
    }

    private static void writeVarint(java.io.ByteArrayOutputStream out, long v) {
        while ((v & ~0x7fL) != 0) {
            out.write((int) ((v & 0x7f) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
    }

    @Test
    void wideButShallowInput_isFast() {
        // 100k conjuncts near the size limit: linear time, well under the timeout.
        String text = "P() and ".repeat(100_000) + "P()";
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            Form f = Form.parse(text);
            assertThat(((And) f).conjuncts()).hasSize(100_001);
            assertThat(Form.decode(f.encode())).isEqualTo(f);
        });
    }

    @Test
    void manyEmptyListsInBinary_decodeWithinLimits() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(10);
        // 100,000 conjuncts, each "true": varint 100000 = a0 8d 06
        out.write(0xa0);
        out.write(0x8d);
        out.write(0x06);
        for (int i = 0; i < 100_000; i++) {
            out.write(8);
            out.write(1);
        }
        assertThat(((And) Form.decode(out.toByteArray())).conjuncts()).hasSize(100_000);
    }
}
