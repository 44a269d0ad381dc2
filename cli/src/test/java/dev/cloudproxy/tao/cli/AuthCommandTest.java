package dev.cloudproxy.tao.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudproxy.tao.auth.AuthLimits;
import dev.cloudproxy.tao.cli.CliRunner.Result;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class AuthCommandTest {

    static List<Vectors.AuthBinary> vectors() throws IOException {
        return Vectors.authBinary();
    }

    private static String lines(List<String> items) {
        return items.stream().map(s -> s + "\n").collect(Collectors.joining());
    }

    // ---- the shared vectors ----

    @ParameterizedTest
    @MethodSource("vectors")
    void encode_vector_printsItsHex(Vectors.AuthBinary v) {
        Result r = CliRunner.run("", "auth", "encode", v.text());

        assertThat(r.err()).isEmpty();
        assertThat(r.status()).isZero();
        assertThat(r.out()).isEqualTo(v.hex() + "\n");
    }

    @ParameterizedTest
    @MethodSource("vectors")
    void decode_vector_printsItsText(Vectors.AuthBinary v) {
        Result r = CliRunner.run("", "auth", "decode", v.hex());

        assertThat(r.err()).isEmpty();
        assertThat(r.status()).isZero();
        assertThat(r.out()).isEqualTo(v.text() + "\n");
    }

    @Test
    void encode_allVectorsOnStdin_printsAllHexInOrder() throws IOException {
        List<Vectors.AuthBinary> all = vectors();

        Result r = CliRunner.run(lines(all.stream().map(Vectors.AuthBinary::text).toList()), "auth", "encode");

        assertThat(r.err()).isEmpty();
        assertThat(r.status()).isZero();
        assertThat(r.out()).isEqualTo(lines(all.stream().map(Vectors.AuthBinary::hex).toList()));
    }

    @Test
    void decode_allVectorsOnStdin_printsAllTextInOrder() throws IOException {
        List<Vectors.AuthBinary> all = vectors();

        Result r = CliRunner.run(lines(all.stream().map(Vectors.AuthBinary::hex).toList()), "auth", "decode");

        assertThat(r.err()).isEmpty();
        assertThat(r.status()).isZero();
        assertThat(r.out()).isEqualTo(lines(all.stream().map(Vectors.AuthBinary::text).toList()));
    }

    @Test
    void encode_exampleFromTheBrief_matchesGoImplementation() {
        Result r = CliRunner.run("", "auth", "encode",
                "key([4b657930]).Program([aabb]) speaksfor key([4b657931])");

        assertThat(r.out()).isEqualTo(
                "0d01036b657904044b6579301101120750726f6772616d010402aabb01036b657904044b6579311100\n");
    }

    // ---- argument mode ----

    @Test
    void decode_upperCaseHexWithSurroundingWhitespace_isAccepted() {
        Result r = CliRunner.run("", "auth", "decode", " \t0E01036B657904044B657930110000000801  ");

        assertThat(r.status()).isZero();
        assertThat(r.out()).isEqualTo("key([4b657930]) says true\n");
    }

    @Test
    void decode_truncatedInput_failsWithOneLineNamingByteOffset() {
        Result r = CliRunner.run("", "auth", "decode", "0e01");

        assertThat(r.status()).isEqualTo(TaoCli.EXIT_INPUT);
        assertThat(r.out()).isEmpty();
        assertThat(r.errLines()).containsExactly("tao auth decode: unexpected end of input at byte offset 2");
    }

    @Test
    void encode_unbalancedParentheses_failsWithOneLineNamingColumn() {
        Result r = CliRunner.run("", "auth", "encode", "P((");

        assertThat(r.status()).isEqualTo(TaoCli.EXIT_INPUT);
        assertThat(r.out()).isEmpty();
        assertThat(r.errLines()).hasSize(1);
        assertThat(r.errLines().get(0)).startsWith("tao auth encode: ").contains("at column ");
    }

    @Test
    void decode_oddNumberOfDigits_failsNamingTheUnpairedDigit() {
        Result r = CliRunner.run("", "auth", "decode", " 080");

        assertThat(r.status()).isEqualTo(TaoCli.EXIT_INPUT);
        assertThat(r.errLines()).containsExactly(
                "tao auth decode: odd number of hex digits (3): the last one, at character offset 3, has no pair");
    }

    @Test
    void decode_nonHexCharacter_failsNamingItsOffset() {
        Result r = CliRunner.run("", "auth", "decode", "  08zz");

        assertThat(r.status()).isEqualTo(TaoCli.EXIT_INPUT);
        assertThat(r.errLines()).containsExactly("tao auth decode: invalid hex digit 'z' at character offset 4");
    }

    @Test
    void decode_whitespaceInsideHex_isAnError() {
        Result r = CliRunner.run("", "auth", "decode", "08 01");

        assertThat(r.status()).isEqualTo(TaoCli.EXIT_INPUT);
        assertThat(r.errLines()).containsExactly("tao auth decode: invalid hex digit U+0020 at character offset 2");
    }

    @Test
    void decode_emptyArgument_isAnErrorNotABlankLine() {
        Result r = CliRunner.run("", "auth", "decode", "");

        assertThat(r.status()).isEqualTo(TaoCli.EXIT_INPUT);
        assertThat(r.errLines()).containsExactly("tao auth decode: unexpected end of input at byte offset 0");
    }

    @Test
    void decode_trailingBytes_isAnError() {
        Result r = CliRunner.run("", "auth", "decode", "080100");

        assertThat(r.status()).isEqualTo(TaoCli.EXIT_INPUT);
        assertThat(r.errLines()).hasSize(1);
        assertThat(r.errLines().get(0)).startsWith("tao auth decode: ").contains("byte offset 2");
    }

    @Test
    void encode_negativeNumber_isATermNotAnOption() {
        assertThat(CliRunner.run("", "auth", "encode", "-1").out()).isEqualTo("05ffffffffffffffffff01\n");
        assertThat(CliRunner.run("", "auth", "encode", "--", "-1").out()).isEqualTo("05ffffffffffffffffff01\n");
    }

    @Test
    void encode_argumentWithReplacementCharacter_isRefused() {
        // What the JVM makes of undecodable bytes in argv: refuse rather than encode a changed name.
        Result r = CliRunner.run("", "auth", "encode", "P(\"\uFFFD\")");

        assertThat(r.status()).isEqualTo(TaoCli.EXIT_INPUT);
        assertThat(r.errLines()).hasSize(1);
        assertThat(r.errLines().get(0)).startsWith("tao auth encode: the argument has U+FFFD at character offset 3");
    }

    @Test
    void encode_escapedReplacementCharacter_isAccepted() {
        Result r = CliRunner.run("", "auth", "encode", "P(\"\\ufffd\")");

        assertThat(r.status()).isZero();
        assertThat(r.out()).isEqualTo("070150010303efbfbd\n");
    }

    @Test
    void decode_nonAsciiString_printsUtf8() {
        Result r = CliRunner.run("", "auth", "decode", "070150010302c3a9");

        assertThat(r.out()).isEqualTo("P(\"\u00e9\")\n");
    }

    // ---- standard input mode ----

    @Test
    void decode_blankLines_giveEmptyLinesSoOutputStaysAligned() {
        Result r = CliRunner.run("0801\n\n \t \n070150010501\n\n", "auth", "decode");

        assertThat(r.status()).isZero();
        assertThat(r.out()).isEqualTo("true\n\n\nP(1)\n\n");
    }

    @Test
    void encode_blankLines_giveEmptyLinesSoOutputStaysAligned() {
        Result r = CliRunner.run("\ntrue\n   \nP(1)\n", "auth", "encode");

        assertThat(r.status()).isZero();
        assertThat(r.out()).isEqualTo("\n0801\n\n070150010501\n");
    }

    @Test
    void decode_crlfLineEndsAndNoFinalNewline_areHandled() {
        Result r = CliRunner.run("0801\r\n070150010501\r\n0801", "auth", "decode");

        assertThat(r.status()).isZero();
        assertThat(r.out()).isEqualTo("true\nP(1)\ntrue\n");
    }

    @Test
    void decode_emptyStdin_printsNothing() {
        Result r = CliRunner.run("", "auth", "decode");

        assertThat(r.status()).isZero();
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).isEmpty();
    }

    @Test
    void decode_badLine_stopsThereKeepingEarlierOutputAndNamingTheLine() {
        Result r = CliRunner.run("0801\n\n0e01\n0801\n", "auth", "decode");

        assertThat(r.status()).isEqualTo(TaoCli.EXIT_INPUT);
        assertThat(r.out()).isEqualTo("true\n\n");
        assertThat(r.errLines()).containsExactly(
                "tao auth decode: line 3: unexpected end of input at byte offset 2");
    }

    @Test
    void encode_badLine_stopsThereNamingLineAndColumn() {
        Result r = CliRunner.run("true\nP((\ntrue\n", "auth", "encode");

        assertThat(r.status()).isEqualTo(TaoCli.EXIT_INPUT);
        assertThat(r.out()).isEqualTo("0801\n");
        assertThat(r.errLines()).hasSize(1);
        assertThat(r.errLines().get(0)).startsWith("tao auth encode: line 2: ").contains("at column ");
    }

    @Test
    void decode_oddHexOnStdin_namesLineAndOffset() {
        Result r = CliRunner.run("0801\n  08010\n", "auth", "decode");

        assertThat(r.status()).isEqualTo(TaoCli.EXIT_INPUT);
        assertThat(r.out()).isEqualTo("true\n");
        assertThat(r.errLines()).containsExactly(
                "tao auth decode: line 2: odd number of hex digits (5): the last one, at character offset 6, has no pair");
    }

    @Test
    void encode_invalidUtf8OnStdin_isAnErrorOfThatLine() {
        byte[] input = "true\nP(1)\nP(\"\u00ff\")\ntrue\n".getBytes(StandardCharsets.ISO_8859_1);

        Result r = CliRunner.run(new ByteArrayInputStream(input), Map.of(), "auth", "encode");

        assertThat(r.status()).isEqualTo(TaoCli.EXIT_INPUT);
        assertThat(r.out()).isEqualTo("0801\n070150010501\n");
        assertThat(r.errLines()).containsExactly("tao auth encode: line 3: invalid UTF-8 at byte offset 3");
    }

    @Test
    void encode_nonAsciiOnStdin_isReadAsUtf8() {
        Result r = CliRunner.run("P(\"\u00e9\")\n", "auth", "encode");

        assertThat(r.out()).isEqualTo("070150010302c3a9\n");
    }

    @Test
    void encode_hugeLineWithoutNewline_failsWithoutReadingItAll() {
        long hundredMegabytes = 100L << 20;
        RepeatingInputStream in = new RepeatingInputStream(
                "true\n".getBytes(StandardCharsets.US_ASCII), new byte[] {'a'}, hundredMegabytes);

        Result r = CliRunner.run(in, Map.of(), "auth", "encode");

        assertThat(r.status()).isEqualTo(TaoCli.EXIT_INPUT);
        assertThat(r.out()).isEqualTo("0801\n");
        assertThat(r.errLines()).containsExactly(
                "tao auth encode: line 2: line is longer than " + AuthLimits.MAX_TEXT_LENGTH + " characters");
        assertThat(in.bytesRead()).isLessThan(8L << 20);
    }

    @Test
    void decode_hugeLineWithoutNewline_failsWithoutReadingItAll() {
        long hundredMegabytes = 100L << 20;
        RepeatingInputStream in = new RepeatingInputStream(new byte[0], new byte[] {'0'}, hundredMegabytes);

        Result r = CliRunner.run(in, Map.of(), "auth", "decode");

        assertThat(r.status()).isEqualTo(TaoCli.EXIT_INPUT);
        assertThat(r.errLines()).containsExactly(
                "tao auth decode: line 1: line is longer than " + AuthCommand.MAX_HEX_LINE_CHARS + " characters");
        // The reader stops after at most 3 bytes (UTF-8's widest BMP character) per allowed character.
        assertThat(in.bytesRead()).isLessThan(3L * AuthCommand.MAX_HEX_LINE_CHARS + (1 << 20)).isLessThan(hundredMegabytes / 2);
    }

    @Test
    void decode_hexLongerThanTheBinaryLimit_isRefusedBeforeDecoding() {
        String hex = "08".repeat(AuthLimits.MAX_BINARY_LENGTH + 1);

        Result r = CliRunner.run(hex + "\n", "auth", "decode");

        assertThat(r.status()).isEqualTo(TaoCli.EXIT_INPUT);
        assertThat(r.errLines()).containsExactly(
                "tao auth decode: line 1: hex input is longer than " + AuthLimits.MAX_BINARY_LENGTH + " bytes");
    }

    @Test
    void decode_manyLines_allConvertedInOrder() {
        String hex = "0801\n070150010501\n".repeat(5000);

        Result r = CliRunner.run(hex, "auth", "decode");

        assertThat(r.status()).isZero();
        assertThat(r.out()).isEqualTo("true\nP(1)\n".repeat(5000));
    }
}
