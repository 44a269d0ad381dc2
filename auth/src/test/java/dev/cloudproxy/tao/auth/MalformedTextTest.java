package dev.cloudproxy.tao.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MalformedTextTest {

    /** Input, what the message must say, and the 1-based column it must name. */
    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
        "P((                          | expected a term, found end of input       | 4",
        "``                           | expected a formula, found end of input    | 1",
        "P(1                          | expected ',' or ')', found end of input   | 4",
        "P(1,)                        | expected a term, found ')'                | 5",
        "P(1) Q(2)                    | expected end of input, found name Q       | 6",
        "P(1) and                     | expected a formula, found end of input    | 9",
        "P (1)                        | after a term, found '('                   | 3",
        "key ([aa]) says P()          | expected '(' directly after principal type | 5",
        "key([aa]) .A() says P()      | after a term, found '.'                   | 11",
        "key([aa]).A () says P()      | expected '(' directly after extension name A | 13",
        "key([aa]).a() says P()       | expected an extension name after '.', found \"a\" | 11",
        "ext says P()                 | expected '.' directly after \"ext\"       | 5",
        "key([aa]) P()                | after a term, found name P                | 11",
        "key([aa]) from says P()      | expected an integer time after \"from\"   | 16",
        "key([aa]) from 1 from 2 says P() | expected \"until\" or \"says\", found \"from\" | 18",
        "key([aa]) until 1 until 2 says P() | expected \"from\" or \"says\", found \"until\" | 19",
        "key([aa]) says               | expected a formula, found end of input    | 15",
        "forall x: P(x)               | expected a variable name, found \"x\"     | 8",
        "forall X P(X)                | expected ':', found name P                | 10",
        "and P()                      | expected a formula, found \"and\"         | 1",
        "P(says)                      | expected a term, found \"says\"           | 3",
        "P([abc])                     | odd number of hex digits                  | 4",
        "P([aaxx])                    | invalid hex digit                         | 6",
        "P([aa                        | unterminated byte string                  | 3",
        "P({a*b})                     | invalid base64url character               | 5",
        "P({a})                       | malformed base64url                       | 3",
        "P(\"abc                      | unterminated string                       | 3",
        "P(\"a\\qb\")                 | unknown escape                            | 5",
        "P(\"\\x4\")                  | escape needs 2 hex digits                 | 4",
        "P(\"\\ud800\")               | not a valid Unicode code point            | 4",
        "P(\"\\U00110000\")           | not a valid Unicode code point            | 4",
        "P(\"\\xff\")                 | do not form valid UTF-8                   | 3",
        "P(\"\\400\")                 | octal escape above                        | 4",
        "P(\"\\12\")                  | octal escape needs three digits           | 4",
        "P(9223372036854775808)       | out of the 64-bit range                   | 3",
        "P(-9223372036854775809)      | out of the 64-bit range                   | 3",
        "P(-)                         | expected digits after '-'                 | 3",
        "P(+1)                        | unexpected character \"+\"                | 3",
        "P(1) & Q()                   | unexpected character \"&\"                | 6",
        "P(é)                         | unexpected character \"é\"                | 3",
        "(P()                         | expected ')', found end of input          | 5",
        "P())                         | expected end of input, found ')'          | 4",
        "key([aa]) speaksfor          | expected a term, found end of input       | 20",
        "true(1)                      | expected end of input, found '('         | 5",
        "not                          | expected a formula, found end of input    | 4",
    })
    void malformed_givesOneLineErrorWithColumn(String input, String reason, int column) {
        AuthFormatException e = assertThrows(AuthFormatException.class, () -> AuthElement.parse(input.strip()));
        assertThat(e.getMessage()).contains(reason).endsWith("at column " + column).doesNotContain("\n");
        assertThat(e.unit()).isEqualTo(AuthFormatException.Unit.CHARACTER);
    }

    @Test
    void escapeAboveTheIntRange_isAFormatError_notAnIllegalArgument() {
        // Found by AuthTextFuzzTest: eight hex digits overflowed an int and slipped past the check.
        for (String text : new String[] {"\"\\U80000000\"", "P(\"\\UFFFFFFFF\")", "\"\\U00110000\""}) {
            AuthFormatException e = assertThrows(AuthFormatException.class, () -> AuthElement.parse(text), text);
            assertThat(e.getMessage()).contains("not a valid Unicode code point");
        }
    }

    @Test
    void newlineInsideString_isRejected() {
        AuthFormatException e = assertThrows(AuthFormatException.class, () -> Form.parse("P(\"a\nb\")"));
        assertThat(e.getMessage()).contains("newline in string");
    }

    @Test
    void errorOnLaterLine_namesLineAndColumn() {
        AuthFormatException e = assertThrows(AuthFormatException.class, () -> Form.parse("P() and\n  Q() or\n  )"));
        assertThat(e.getMessage()).endsWith("at line 3, column 3");
    }

    @Test
    void errorMessage_quotesAtMostAShortExcerpt() {
        String longName = "x".repeat(10_000);
        AuthFormatException e = assertThrows(AuthFormatException.class, () -> Form.parse("P(" + longName + "())"));
        assertThat(e.getMessage().length()).isLessThan(200);
    }

    @Test
    void unpairedSurrogateInString_isRejected() {
        assertThrows(AuthFormatException.class, () -> Form.parse("P(\"\uD800\")"));
    }

    @Test
    void everyPrefixOfValidInput_failsCleanlyOrParses() {
        String text = "forall P: key([aa]) from 1 until 2 says (P(\"s\\n\", [bb], -3) and not Q(ext.A(1))) implies key([cc]).B(C) speaksfor P";
        for (int i = 0; i < text.length(); i++) {
            String prefix = text.substring(0, i);
            try {
                AuthElement.parse(prefix);
            } catch (AuthFormatException expected) {
                assertThat(expected.offset()).isBetween(0, prefix.length());
            }
        }
    }
}
