package dev.cloudproxy.tao.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class HexTest {

    @Test
    void parse_mixedCaseWithSurroundingWhitespace_givesTheBytes() throws Exception {
        assertThat(Hex.parse("\t 00aBcDeF \r\n", 10))
                .containsExactly(0x00, 0xab, 0xcd, 0xef);
    }

    @Test
    void parse_onlyWhitespace_givesNoBytes() throws Exception {
        assertThat(Hex.parse("  ", 10)).isEmpty();
    }

    @Test
    void parse_nonAsciiDigit_isRefusedNotReadAsDigit() {
        // Character.digit would accept a fullwidth 'A'.
        InputException e = assertThrows(InputException.class, () -> Hex.parse("0\uFF21", 10));

        assertThat(e).hasMessage("invalid hex digit U+FF21 at character offset 1");
    }

    @Test
    void parse_nonHexBeforeOddLength_reportsTheCharacter() {
        InputException e = assertThrows(InputException.class, () -> Hex.parse("0g0", 10));

        assertThat(e).hasMessage("invalid hex digit 'g' at character offset 1");
    }

    @Test
    void parse_moreBytesThanTheLimit_isRefused() throws Exception {
        assertThat(Hex.parse("0102", 2)).hasSize(2);
        InputException e = assertThrows(InputException.class, () -> Hex.parse("010203", 2));

        assertThat(e).hasMessage("hex input is longer than 2 bytes");
    }
}
