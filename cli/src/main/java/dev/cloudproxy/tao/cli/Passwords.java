package dev.cloudproxy.tao.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import picocli.CommandLine.Option;

/**
 * Where a command that opens or creates a key set gets its password. Mix it into the command
 * ({@code @Mixin Passwords passwords;}) to give it {@code --password-file}; then call
 * {@link #forNewKeys} or {@link #forExistingKeys}. The sources, in order:
 *
 * <ol>
 *   <li>{@code --password-file FILE}: the file's contents, UTF-8, without one trailing line end
 *       ({@code \n} or {@code \r\n}); any other line ends are part of the password;
 *   <li>the environment variable {@value #ENV};
 *   <li>a prompt on the terminal, without echo (twice for a new key set, to catch typing
 *       mistakes). Without a terminal this is an error that names the other two sources.
 * </ol>
 *
 * <p>Never an argument: other users can read a process's arguments ({@code ps}), and shells keep
 * them in their history. An empty password is refused from every source. Error messages name the
 * source and the problem, never any of the password's characters.
 */
final class Passwords {
    /** The environment variable holding the password, when there is no {@code --password-file}. */
    static final String ENV = "TAO_PASSWORD";
    /** Largest password file read. Much more than any passphrase; bounds what a mistake costs. */
    static final int MAX_FILE_BYTES = 4096;

    @Option(
            names = "--password-file",
            paramLabel = "FILE",
            description = "Read the password from FILE (UTF-8; one trailing newline is ignored) "
                    + "instead of the " + ENV + " environment variable or a prompt.")
    private Path file;

    /**
     * The password for a key set about to be created; a prompt asks for it twice.
     *
     * @param what what the password protects, for the prompt (e.g. "the new key set in keys/")
     */
    Password forNewKeys(Io io, String what) throws InputException {
        return obtain(io, what, true);
    }

    /** The password of an existing key set; a prompt asks for it once. */
    Password forExistingKeys(Io io, String what) throws InputException {
        return obtain(io, what, false);
    }

    private Password obtain(Io io, String what, boolean confirm) throws InputException {
        return obtain(io, file, ENV, "--password-file", what, confirm);
    }

    /**
     * A password from {@code file} if given, else the environment variable {@code env}, else a
     * prompt: the same rules as above, for commands that need a second password (a domain's
     * policy password beside a key set's, say) with its own option and variable.
     */
    static Password obtain(Io io, Path file, String env, String fileOption, String what, boolean confirm)
            throws InputException {
        char[] chars;
        if (file != null) {
            chars = readFile(file);
            if (chars.length == 0) {
                throw new InputException("the password file " + file + " is empty");
            }
        } else if (io.env(env) != null) {
            chars = io.env(env).toCharArray();
            if (chars.length == 0) {
                throw new InputException(env + " is set but empty");
            }
        } else {
            chars = prompt(io, what, confirm, env, fileOption);
        }
        return new Password(chars);
    }

    private static char[] prompt(Io io, String what, boolean confirm, String env, String fileOption)
            throws InputException {
        Io.PasswordPrompt terminal = io.passwordPrompt().orElseThrow(() -> new InputException(
                "no password: set " + env + ", pass " + fileOption + " FILE, or run on a terminal "
                        + "to be asked for one"));
        char[] first = read(terminal, "Password for " + what + ": ");
        if (first.length == 0) {
            throw new InputException("the password is empty");
        }
        if (confirm) {
            char[] second;
            try {
                second = read(terminal, "Type the same password again: ");
            } catch (InputException e) {
                Arrays.fill(first, '\0');
                throw e;
            }
            boolean same = Arrays.equals(first, second);
            Arrays.fill(second, '\0');
            if (!same) {
                Arrays.fill(first, '\0');
                throw new InputException("the two passwords typed differ");
            }
        }
        return first;
    }

    private static char[] read(Io.PasswordPrompt terminal, String prompt) throws InputException {
        char[] chars;
        try {
            chars = terminal.read(prompt);
        } catch (IOException e) {
            throw new InputException("cannot read the password from the terminal: " + e.getMessage());
        }
        if (chars == null) {
            throw new InputException("no password was entered (end of input)");
        }
        return chars;
    }

    /**
     * The password in {@code file}, read into one fixed buffer (no growing copies left behind)
     * that is zeroed afterwards.
     */
    static char[] readFile(Path file) throws InputException {
        byte[] bytes = new byte[MAX_FILE_BYTES + 1];
        try {
            int length = readAtMost(file, bytes);
            if (length > MAX_FILE_BYTES) {
                throw new InputException("the password file " + file + " is larger than "
                        + MAX_FILE_BYTES + " bytes");
            }
            if (length > 0 && bytes[length - 1] == '\n') {
                length--;
                if (length > 0 && bytes[length - 1] == '\r') {
                    length--;
                }
            }
            return decodeUtf8(bytes, length, file);
        } finally {
            Arrays.fill(bytes, (byte) 0);
        }
    }

    private static int readAtMost(Path file, byte[] into) throws InputException {
        try (InputStream in = Files.newInputStream(file)) {
            int length = 0;
            while (length < into.length) {
                int n = in.read(into, length, into.length - length);
                if (n < 0) {
                    break;
                }
                length += n;
            }
            return length;
        } catch (IOException e) {
            throw InputException.file("cannot read the password file " + file, file, e);
        }
    }

    private static char[] decodeUtf8(byte[] bytes, int length, Path file) throws InputException {
        // UTF-8 never has fewer bytes than the UTF-16 chars they decode to, so this cannot overflow.
        char[] buffer = new char[length];
        try {
            CharBuffer chars = CharBuffer.wrap(buffer);
            CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT);
            CoderResult result = utf8.decode(ByteBuffer.wrap(bytes, 0, length), chars, true);
            if (result.isUnderflow()) {
                result = utf8.flush(chars);
            }
            if (result.isError()) {
                throw new InputException("the password file " + file + " is not valid UTF-8");
            }
            return Arrays.copyOf(buffer, chars.position());
        } finally {
            Arrays.fill(buffer, '\0');
        }
    }
}
