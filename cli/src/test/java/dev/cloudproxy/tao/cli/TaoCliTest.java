package dev.cloudproxy.tao.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudproxy.tao.cli.CliRunner.Result;
import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;
import picocli.CommandLine.Command;

class TaoCliTest {

    /** Every command in the tree, as the words after {@code tao} (empty for tao itself). */
    static Stream<List<String>> commandPaths() {
        Io io = Io.of(new ByteArrayInputStream(new byte[0]), new PrintWriter(new StringWriter()),
                new PrintWriter(new StringWriter()), Map.of());
        List<List<String>> paths = new ArrayList<>();
        collect(TaoCli.commandLine(io), List.of(), paths);
        return paths.stream();
    }

    private static void collect(CommandLine cl, List<String> path, List<List<String>> into) {
        into.add(path);
        cl.getSubcommands().forEach((name, sub) -> {
            List<String> longer = new ArrayList<>(path);
            longer.add(name);
            collect(sub, longer, into);
        });
    }

    private static String[] args(List<String> path, String... more) {
        return Stream.concat(path.stream(), Arrays.stream(more)).toArray(String[]::new);
    }

    @Test
    void commandTree_hasTheAuthVerbs() {
        assertThat(commandPaths()).contains(List.of("auth", "encode"), List.of("auth", "decode"), List.of("help"));
    }

    @Test
    void commandTree_hasTheAttestationAndDomainVerbs() {
        assertThat(commandPaths()).contains(List.of("attestation", "verify"), List.of("domain", "newsoft"));
    }

    @ParameterizedTest
    @MethodSource("commandPaths")
    void help_everyCommand_exitsZeroAndShowsItsUsageAndAnExample(List<String> path) {
        String name = String.join(" ", args(List.of("tao"), path.toArray(String[]::new)));

        Result r = CliRunner.run("", args(path, "--help"));

        assertThat(r.status()).isZero();
        assertThat(r.err()).isEmpty();
        assertThat(r.out()).startsWith("Usage: " + name).contains("Example");
    }

    @ParameterizedTest
    @MethodSource("commandPaths")
    void help_shortOption_worksOnEveryCommand(List<String> path) {
        Result r = CliRunner.run("", args(path, "-h"));

        assertThat(r.status()).isZero();
        assertThat(r.out()).isEqualTo(CliRunner.run("", args(path, "--help")).out());
    }

    @ParameterizedTest
    @MethodSource("commandPaths")
    void helpVerb_everyCommand_printsTheSameAsHelpOption(List<String> path) {
        Result r = CliRunner.run("", args(List.of("help"), path.toArray(String[]::new)));

        assertThat(r.status()).isZero();
        assertThat(r.out()).isEqualTo(CliRunner.run("", args(path, "--help")).out());
    }

    @Test
    void helpVerb_unknownCommand_isAUsageError() {
        Result r = CliRunner.run("", "help", "nosuch");

        assertThat(r.status()).isEqualTo(TaoCli.EXIT_USAGE);
        assertThat(r.errLines()).first().isEqualTo("tao help: 'tao' has no command 'nosuch'");
    }

    @Test
    void version_printsNameAndProjectVersion() {
        Result r = CliRunner.run("", "--version");

        assertThat(r.status()).isZero();
        assertThat(r.out()).matches("tao \\d+\\.\\d+\\.\\d+(-SNAPSHOT)?\\R");
    }

    @Test
    void noArguments_printsUsageToStderrAndExitsTwo() {
        Result r = CliRunner.run("");

        assertThat(r.status()).isEqualTo(TaoCli.EXIT_USAGE);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).startsWith("Usage: tao").contains("auth");
    }

    @Test
    void groupWithoutSubcommand_printsItsUsageToStderrAndExitsTwo() {
        Result r = CliRunner.run("", "auth");

        assertThat(r.status()).isEqualTo(TaoCli.EXIT_USAGE);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).startsWith("Usage: tao auth").contains("encode", "decode");
    }

    @Test
    void unknownOption_isAUsageErrorWithHint() {
        Result r = CliRunner.run("", "auth", "encode", "--bogus", "true");

        assertThat(r.status()).isEqualTo(TaoCli.EXIT_USAGE);
        assertThat(r.out()).isEmpty();
        assertThat(r.errLines()).first().isEqualTo("tao auth encode: Unknown option: '--bogus'");
        assertThat(r.errLines()).last().isEqualTo("Try 'tao auth encode --help' for more information.");
    }

    @Test
    void tooManyArguments_isAUsageErrorWithHint() {
        Result r = CliRunner.run("", "auth", "encode", "key([aa])", "says", "true");

        assertThat(r.status()).isEqualTo(TaoCli.EXIT_USAGE);
        assertThat(r.out()).isEmpty();
        assertThat(r.errLines()).first().asString().startsWith("tao auth encode: Unmatched arguments");
        assertThat(r.errLines()).last().isEqualTo("Try 'tao auth encode --help' for more information.");
    }

    @Test
    void unknownVerb_isAUsageErrorWithSuggestion() {
        Result r = CliRunner.run("", "aut", "encode", "true");

        assertThat(r.status()).isEqualTo(TaoCli.EXIT_USAGE);
        assertThat(r.err()).contains("'aut'", "auth").endsWith("Try 'tao --help' for more information.\n");
    }

    @ParameterizedTest
    @ValueSource(strings = {"@/etc/passwd", "@nonexistent"})
    void atFileArgument_isTakenLiterally(String arg) {
        Result r = CliRunner.run("", "auth", "decode", arg);

        assertThat(r.status()).isEqualTo(TaoCli.EXIT_INPUT);
        assertThat(r.errLines()).containsExactly("tao auth decode: invalid hex digit '@' at character offset 0");
    }

    // ---- internal errors ----

    @Command(name = "boom", description = "Fails the way a bug would.")
    static final class Boom implements Callable<Integer> {
        @Override
        public Integer call() {
            throw new IllegalStateException("broken\ninvariant");
        }
    }

    @Command(name = "overflow")
    static final class Overflow implements Callable<Integer> {
        @Override
        public Integer call() {
            throw new StackOverflowError();
        }
    }

    private static Result runWithExtraVerbs(Map<String, String> env, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        Io io = Io.of(new ByteArrayInputStream(new byte[0]), new PrintWriter(out), new PrintWriter(err), env);
        CommandLine cl = TaoCli.commandLine(io);
        cl.addSubcommand(new Boom());
        cl.addSubcommand(new Overflow());
        return CliRunner.run(cl, io, out, err, args);
    }

    @Test
    void internalError_printsOneLineWithTypeAndExitsThree() {
        Result r = runWithExtraVerbs(Map.of(), "boom");

        assertThat(r.status()).isEqualTo(TaoCli.EXIT_INTERNAL);
        assertThat(r.errLines()).containsExactly("tao: internal error: java.lang.IllegalStateException: broken invariant");
    }

    @Test
    void internalError_withTaoDebug_addsTheStackTrace() {
        Result r = runWithExtraVerbs(Map.of("TAO_DEBUG", "1"), "boom");

        assertThat(r.status()).isEqualTo(TaoCli.EXIT_INTERNAL);
        assertThat(r.errLines().get(0)).isEqualTo("tao: internal error: java.lang.IllegalStateException: broken invariant");
        assertThat(r.err()).contains("at " + Boom.class.getName() + ".call");
    }

    @Test
    void internalError_anErrorNotException_isAlsoOneLine() {
        Result r = runWithExtraVerbs(Map.of(), "overflow");

        assertThat(r.status()).isEqualTo(TaoCli.EXIT_INTERNAL);
        assertThat(r.errLines()).containsExactly("tao: internal error: java.lang.StackOverflowError");
    }

    // ---- output failures ----

    /** A writer whose reader has gone away, like a closed pipe. */
    private static final class BrokenWriter extends Writer {
        @Override
        public void write(char[] buf, int off, int len) throws java.io.IOException {
            throw new java.io.IOException("Broken pipe");
        }

        @Override
        public void flush() throws java.io.IOException {
            throw new java.io.IOException("Broken pipe");
        }

        @Override
        public void close() {}
    }

    @Test
    void outputClosed_stopsReadingAndExitsOne() {
        RepeatingInputStream in = new RepeatingInputStream(
                new byte[0], "0801\n".getBytes(StandardCharsets.US_ASCII), 100L << 20);
        StringWriter err = new StringWriter();
        Io io = Io.of(in, new PrintWriter(new BrokenWriter()), new PrintWriter(err), Map.of());

        int status = TaoCli.run(io, "auth", "decode");

        assertThat(status).isEqualTo(TaoCli.EXIT_INPUT);
        assertThat(err.toString().lines()).containsExactly("tao: cannot write to standard output");
        assertThat(in.bytesRead()).isLessThan(1L << 20);
    }

    @Test
    void oneLine_replacesLineBreaksAndControlCharacters() {
        assertThat(TaoCli.oneLine("a\nb\r\tc\u001b[2Jd")).isEqualTo("a b  c?[2Jd");
    }

    @Test
    void usageError_neverEchoesAPasswordGivenAsAnOption() {
        for (String[] args : new String[][] {
                {"domain", "newsoft", "--password=hunter2", "dir"},
                {"domain", "newsoft", "--password", "hunter2", "dir"},
                {"domain", "newsoft", "--secret-key=hunter2", "dir"},
                {"attestation", "verify", "--passwd", "hunter2", "file"}}) {
            Result r = CliRunner.run("", args);
            assertThat(r.status()).as(String.join(" ", args)).isEqualTo(TaoCli.EXIT_USAGE);
            assertThat(r.err()).as(String.join(" ", args)).doesNotContain("hunter2");
            assertThat(r.out()).doesNotContain("hunter2");
        }
    }

    @Test
    void redactValues_keepsOptionNames() {
        assertThat(TaoCli.redactValues("Unknown option: '--password=x1'", new String[] {"--password=x1"}))
                .isEqualTo("Unknown option: '--password=<redacted>'");
        assertThat(TaoCli.redactValues("Unknown options: '--pass', 'x1'", new String[] {"--pass", "x1"}))
                .isEqualTo("Unknown options: '--pass', '<redacted>'");
    }
}
