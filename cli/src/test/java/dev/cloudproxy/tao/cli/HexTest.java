package dev.cloudproxy.tao.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
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

    // ---- hex files ----

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    @Test
    void parseSpaced_whitespaceAnywhereAndEitherCase_givesTheBytes() throws Exception {
        assertThat(Hex.parseSpaced(ascii("\n 0 0a\tB\r\ncD\u000b\fe f \n"), 10))
                .containsExactly(0x00, 0xab, 0xcd, 0xef);
    }

    @Test
    void parseSpaced_nothingButWhitespace_givesNoBytes() throws Exception {
        assertThat(Hex.parseSpaced(ascii(" \n"), 10)).isEmpty();
    }

    @Test
    void parseSpaced_nonHexByte_isNamedWithItsByteOffset() {
        InputException e = assertThrows(InputException.class, () -> Hex.parseSpaced(ascii("00\n0x"), 10));

        assertThat(e).hasMessage("invalid hex digit 'x' at byte offset 4");
    }

    @Test
    void parseSpaced_nonAsciiByte_isNamedAsAByte() {
        InputException e = assertThrows(InputException.class, () -> Hex.parseSpaced(new byte[] {'0', (byte) 0xc3}, 10));

        assertThat(e).hasMessage("invalid hex digit byte 0xc3 at byte offset 1");
    }

    @Test
    void parseSpaced_oddDigitCount_namesTheUnpairedDigit() {
        InputException e = assertThrows(InputException.class, () -> Hex.parseSpaced(ascii("0 0 0\n"), 10));

        assertThat(e).hasMessage("odd number of hex digits (3): the last one, at byte offset 4, has no pair");
    }

    @Test
    void parseSpaced_moreBytesThanTheLimit_isRefused() throws Exception {
        assertThat(Hex.parseSpaced(ascii("01 02"), 2)).hasSize(2);
        InputException e = assertThrows(InputException.class, () -> Hex.parseSpaced(ascii("01 02 03"), 2));

        assertThat(e).hasMessage("hex input is longer than 2 bytes");
    }

    @Test
    void looksLikeHex_needsADigitAndNothingButDigitsAndWhitespace() {
        assertThat(Hex.looksLikeHex(ascii("0a1\n"))).isTrue();
        assertThat(Hex.looksLikeHex(ascii(" \n"))).isFalse();
        assertThat(Hex.looksLikeHex(new byte[] {0x0a, 0x3d, 0x0e})).isFalse();
    }
}
