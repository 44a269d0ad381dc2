package dev.cloudproxy.tao.cli;

import dev.cloudproxy.tao.auth.AuthElement;
import dev.cloudproxy.tao.auth.AuthFormatException;
import dev.cloudproxy.tao.auth.AuthLimits;
import dev.cloudproxy.tao.auth.AuthText;
import java.util.HexFormat;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code tao auth}: tools for the auth language (principal names, statements, guard rules). */
@Command(
        name = "auth",
        description = "Convert auth-language forms and terms between their text and binary encodings.",
        synopsisSubcommandLabel = "COMMAND",
        commandListHeading = "%nCommands:%n",
        subcommands = {AuthCommand.Encode.class, AuthCommand.Decode.class},
        footerHeading = "%nExamples:%n",
        footer = {
            "  tao auth encode 'key([4b657930]) says true'",
            "  tao auth decode 0801"
        })
final class AuthCommand extends CommandGroup {

    /**
     * Longest stdin line {@code decode} reads: the hex of the largest binary input, plus room for
     * indentation and trailing whitespace.
     */
    static final int MAX_HEX_LINE_CHARS = 2 * AuthLimits.MAX_BINARY_LENGTH + 4096;

    @Command(
            name = "encode",
            description = {
                "Print the binary encoding (CloudProxy's format) of a form or term, as lowercase hex.",
                "",
                "With no argument, read one form or term per line from standard input (UTF-8) "
                        + "and print one line of hex for each, in order; a blank line gives an "
                        + "empty line. Stops at the first line that does not parse, naming it.",
                "",
                "Quote the form so the shell passes it as one argument. Use -- before a form "
                        + "that starts with '-'."
            },
            footerHeading = "%nExamples:%n",
            footer = {
                "  tao auth encode 'key([4b657930]).Program([aabb]) speaksfor key([4b657931])'",
                "  tao auth encode -- -1",
                "  printf '%%s\\n' true 'P(1)' | tao auth encode",
                "",
                "Exit status: 0 on success, 1 if the input does not parse, 2 on a usage error."
            })
    static final class Encode implements Callable<Integer> {
        private final Io io;

        @Parameters(
                arity = "0..1",
                paramLabel = "FORM",
                description = "A form or term in the text syntax, e.g. 'P(1)' or 'key([aabb])'. "
                        + "Read from standard input, one per line, if absent.")
        private String text;

        Encode(Io io) {
            this.io = io;
        }

        @Override
        public Integer call() throws InputException {
            if (text != null) {
                refuseReplacementCharacter(text);
                io.out().print(encode(text));
                io.out().print('\n');
            } else {
                LineFilter.run(io, AuthLimits.MAX_TEXT_LENGTH, Encode::encode);
            }
            return TaoCli.EXIT_OK;
        }

        /**
         * The JVM decodes arguments in the locale's charset and puts U+FFFD in place of bytes it
         * cannot decode (any non-ASCII byte under LANG=C), which would silently change a name.
         * Standard input is always read as strict UTF-8, so it does not need this.
         */
        private static void refuseReplacementCharacter(String text) throws InputException {
            int at = text.indexOf('\uFFFD');
            if (at >= 0) {
                throw new InputException("the argument has U+FFFD at character offset " + at
                        + ", the mark of bytes that could not be decoded in the locale's charset ("
                        + System.getProperty("sun.jnu.encoding", "unknown")
                        + "); use a UTF-8 locale, pass the form on standard input, or write the "
                        + "character as \\ufffd");
            }
        }

        static String encode(String text) throws InputException {
            try {
                return HexFormat.of().formatHex(AuthElement.parse(text).encode());
            } catch (AuthFormatException e) {
                throw new InputException(e.getMessage());
            }
        }
    }

    @Command(
            name = "decode",
            description = {
                "Print the canonical text of a form or term given in binary encoding (CloudProxy's "
                        + "format) as hex.",
                "",
                "The hex may be upper or lower case, with whitespace around it (not inside). With "
                        + "no argument, read one hex string per line from standard input and print "
                        + "one line of text for each, in order; a blank line gives an empty line. "
                        + "Stops at the first line that does not decode, naming it."
            },
            footerHeading = "%nExamples:%n",
            footer = {
                "  tao auth decode 0e01036b657904044b657930110000000801",
                "  cut -f1 statements.tsv | tao auth decode",
                "",
                "Exit status: 0 on success, 1 if the input does not decode, 2 on a usage error."
            })
    static final class Decode implements Callable<Integer> {
        private final Io io;

        @Parameters(
                arity = "0..1",
                paramLabel = "HEX",
                description = "The binary encoding as hex, e.g. 0801. Read from standard input, "
                        + "one per line, if absent.")
        private String hex;

        Decode(Io io) {
            this.io = io;
        }

        @Override
        public Integer call() throws InputException {
            if (hex != null) {
                io.out().print(decode(hex));
                io.out().print('\n');
            } else {
                LineFilter.run(io, MAX_HEX_LINE_CHARS, Decode::decode);
            }
            return TaoCli.EXIT_OK;
        }

        static String decode(String hex) throws InputException {
            byte[] bytes = Hex.parse(hex, AuthLimits.MAX_BINARY_LENGTH);
            try {
                return AuthText.print(AuthElement.decode(bytes));
            } catch (AuthFormatException e) {
                throw new InputException(e.getMessage());
            }
        }
    }
}
