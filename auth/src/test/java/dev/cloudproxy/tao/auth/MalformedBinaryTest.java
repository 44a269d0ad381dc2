package dev.cloudproxy.tao.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MalformedBinaryTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "''                 | unexpected end of input        | 0",
        "0e01               | unexpected end of input        | 2",
        "00                 | unknown tag 0                  | 0",
        "13                 | unknown tag 19                 | 0",
        "11                 | expected a term, found tag 17  | 0",
        "0802               | boolean must be 0 or 1         | 1",
        "080101             | 1 trailing byte(s)             | 2",
        "0880               | truncated varint               | 1",
        "088000             | non-minimal varint             | 1",
        "880001             | non-minimal varint             | 0",
        "0701500000         | 1 trailing byte(s)             | 4",
        "070150ff           | truncated varint               | 3",
        "0701500a           | argument count 10 runs past the end | 3",
        "07ffffffff0f50     | length 4294967295 runs past the end | 1",
        "0701700100         | predicate name \"p\" is not a name | 1",
        "070150010480       | truncated varint              | 5",
        "070150010304c3284142 | string is not valid UTF-8    | 5",
        "070150010601780a   | variable \"x\" is not a name    | 5",
        "0701500101045361796b04001100 | principal type \"Sayk\" is not a lowercase word | 5",
        "0701500101047361797304001100 | principal type \"says\" is not a lowercase word | 5",
        "0701500102110000   | a principal tail needs at least one extension | 4",
        "07015001010374706d040011011201610000 | extension name \"a\" is not a name | 14",
        "07015001010374706d040012 | expected extensions (tag 17) | 11",
        "07015001010374706d04001101110000 | expected an extension (tag 18) | 13",
        "0e0501ffffffffffffffffff7f0000000801 | varint overflows 64 bits | 3",
        "0e0501ffffffffffffffffff02 | varint overflows 64 bits | 3",
    })
    void malformed_givesTypedErrorWithByteOffset(String hex, String reason, int offset) {
        byte[] in = HexFormat.of().parseHex(hex);
        AuthFormatException e = assertThrows(AuthFormatException.class, () -> AuthElement.decode(in));
        assertThat(e.getMessage()).contains(reason).doesNotContain("\n");
        assertThat(e.offset()).isEqualTo(offset);
        assertThat(e.unit()).isEqualTo(AuthFormatException.Unit.BYTE);
        assertThat(e.getMessage()).endsWith("at byte offset " + offset);
    }

    @Test
    void maximalVarint_decodes() throws Exception {
        // -1 as a 10-byte varint, the largest that fits.
        byte[] in = HexFormat.of().parseHex("0701500105ffffffffffffffffff01");
        assertThat(Form.decode(in)).isEqualTo(Pred.of("P", new Int(-1)));
        assertThat(Form.decode(in).encode()).isEqualTo(in);
    }

    @Test
    void everyTruncation_ofEveryVector_isRejected() throws Exception {
        for (TestVectors.Vector v : TestVectors.authBinary()) {
            byte[] full = HexFormat.of().parseHex(v.hex());
            for (int len = 0; len < full.length; len++) {
                byte[] cut = Arrays.copyOf(full, len);
                assertThrows(AuthFormatException.class, () -> AuthElement.decode(cut), v.text() + " cut to " + len);
            }
        }
    }

    @Test
    void trailingGarbage_afterEveryVector_isRejected() throws Exception {
        for (TestVectors.Vector v : TestVectors.authBinary()) {
            byte[] full = HexFormat.of().parseHex(v.hex());
            byte[] longer = Arrays.copyOf(full, full.length + 1);
            AuthFormatException e = assertThrows(AuthFormatException.class, () -> AuthElement.decode(longer));
            assertThat(e.getMessage()).contains("trailing");
        }
    }

    @Test
    void everySingleByteChange_ofEveryVector_failsOrDecodesToADifferentCanonicalElement() throws Exception {
        for (TestVectors.Vector v : TestVectors.authBinary()) {
            byte[] full = HexFormat.of().parseHex(v.hex());
            AuthElement original = AuthElement.decode(full);
            for (int i = 0; i < full.length; i++) {
                for (int bit = 0; bit < 8; bit++) {
                    byte[] flipped = full.clone();
                    flipped[i] ^= (byte) (1 << bit);
                    try {
                        AuthElement e = AuthElement.decode(flipped);
                        assertThat(e).isNotEqualTo(original);
                        assertThat(e.encode()).isEqualTo(flipped);
                    } catch (AuthFormatException expected) {
                        assertThat(expected.offset()).isBetween(0, flipped.length);
                    }
                }
            }
        }
    }

    @Test
    void decodeForm_ofATerm_andDecodeTerm_ofAForm_areRejected() {
        byte[] term = HexFormat.of().parseHex("0501");
        byte[] form = HexFormat.of().parseHex("0801");
        assertThat(assertThrows(AuthFormatException.class, () -> Form.decode(term)).getMessage()).contains("(a term)");
        assertThat(assertThrows(AuthFormatException.class, () -> Term.decode(form)).getMessage()).contains("(a formula)");
        assertThat(assertThrows(AuthFormatException.class, () -> Prin.decode(term)).getMessage()).contains("expected a principal");
    }
}
