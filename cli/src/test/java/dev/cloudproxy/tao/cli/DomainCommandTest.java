package dev.cloudproxy.tao.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.cloudproxy.tao.cli.CliRunner.Result;
import dev.cloudproxy.tao.keys.Keys;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code tao domain newsoft}, with the password sources of {@link Passwords}. */
class DomainCommandTest {
    private static final String PASSWORD = "correct horse battery staple \u00e9";
    private static final String ERR = "tao domain newsoft: ";

    @TempDir
    Path tmp;

    private static Result newsoft(Map<String, String> env, Io.PasswordPrompt prompt, String... args) {
        String[] all = new String[args.length + 2];
        all[0] = "domain";
        all[1] = "newsoft";
        System.arraycopy(args, 0, all, 2, args.length);
        return CliRunner.run(new ByteArrayInputStream(new byte[0]), env, prompt, all);
    }

    private static Result newsoft(Map<String, String> env, String... args) {
        return newsoft(env, null, args);
    }

    /** A failure: exit 1, nothing on stdout, one line on stderr; returns its message. */
    private static String failure(Result r) {
        assertThat(r.out()).isEmpty();
        assertThat(r.status()).isEqualTo(TaoCli.EXIT_INPUT);
        assertThat(r.errLines()).hasSize(1);
        assertThat(r.errLines().get(0)).startsWith(ERR);
        return r.errLines().get(0).substring(ERR.length());
    }

    private static void assertNoPasswordIn(Result r, String password) {
        assertThat(r.out()).doesNotContain(password);
        assertThat(r.err()).doesNotContain(password);
    }

    /** The key set in {@code dir} opens with {@code password}, and has the printed principal. */
    private static void assertKeysOpenWith(Path dir, String password, Result r) throws Exception {
        try (Keys keys = Keys.load(dir, password.toCharArray())) {
            assertThat(r.out()).isEqualTo(keys.principal() + "\n");
        }
    }

    private Path passwordFile(String content) throws IOException {
        Path file = tmp.resolve("password.txt");
        Files.write(file, content.getBytes(StandardCharsets.UTF_8));
        return file;
    }

    // ---- success ----

    @Test
    void newsoft_passwordFromEnvironment_printsThePrincipalOfTheSavedKeys() throws Exception {
        Path dir = tmp.resolve("keys");

        Result r = newsoft(Map.of(Passwords.ENV, PASSWORD), dir.toString());

        assertThat(r.status()).isZero();
        assertThat(r.out()).matches("key\\(\\[[0-9a-f]{64}\\]\\)\\n");
        assertThat(r.out()).isEqualTo(Keys.readVerifier(dir).principal() + "\n");
        assertThat(r.errLines()).containsExactly(ERR + "wrote keys.tao and signer.pub.pem in " + dir);
        assertKeysOpenWith(dir, PASSWORD, r);
        assertNoPasswordIn(r, PASSWORD);
    }

    @Test
    void newsoft_newDirectoryIsPrivateAndKeyFileOwnerOnly() throws Exception {
        Path dir = tmp.resolve("a").resolve("b");

        Result r = newsoft(Map.of(Passwords.ENV, PASSWORD), dir.toString());

        assertThat(r.status()).isZero();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir))).isEqualTo("rwx------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve(Keys.KEY_SET_FILE))))
                .isEqualTo("rw-------");
    }

    @Test
    void newsoft_existingEmptyDirectory_isUsed() throws Exception {
        Path dir = Files.createDirectory(tmp.resolve("empty"));

        Result r = newsoft(Map.of(Passwords.ENV, PASSWORD), dir.toString());

        assertThat(r.status()).isZero();
        assertThat(r.out()).isEqualTo(Keys.readVerifier(dir).principal() + "\n");
    }

    @Test
    void newsoft_passwordFile_isUsedWithoutItsTrailingNewline() throws Exception {
        Path dir = tmp.resolve("keys");

        Result r = newsoft(Map.of(), "--password-file", passwordFile(PASSWORD + "\n").toString(), dir.toString());

        assertThat(r.status()).isZero();
        assertKeysOpenWith(dir, PASSWORD, r);
        assertNoPasswordIn(r, PASSWORD);
    }

    @Test
    void newsoft_passwordFileAndEnvironment_theFileWins() throws Exception {
        Path dir = tmp.resolve("keys");

        Result r = newsoft(Map.of(Passwords.ENV, "from the environment"),
                "--password-file", passwordFile(PASSWORD + "\r\n").toString(), dir.toString());

        assertThat(r.status()).isZero();
        assertKeysOpenWith(dir, PASSWORD, r);
    }

    /** A terminal that answers each prompt with the next of {@code answers}, remembering both. */
    private static final class FakeTerminal implements Io.PasswordPrompt {
        final List<String> prompts = new ArrayList<>();
        final List<char[]> handedOut = new ArrayList<>();
        private final List<String> answers;

        FakeTerminal(String... answers) {
            this.answers = List.of(answers);
        }

        @Override
        public char[] read(String prompt) {
            prompts.add(prompt);
            if (handedOut.size() == answers.size()) {
                return null;
            }
            char[] answer = answers.get(handedOut.size()).toCharArray();
            handedOut.add(answer);
            return answer;
        }

        void assertAllZeroed() {
            for (char[] a : handedOut) {
                assertThat(a).isEqualTo(new char[a.length]);
            }
        }
    }

    @Test
    void newsoft_noFileNorEnvironment_promptsTwiceAndZeroesWhatWasTyped() throws Exception {
        Path dir = tmp.resolve("keys");
        FakeTerminal terminal = new FakeTerminal(PASSWORD, PASSWORD);

        Result r = newsoft(Map.of(), terminal, dir.toString());

        assertThat(r.status()).isZero();
        assertThat(terminal.prompts).containsExactly(
                "Password for the new key set in " + dir + ": ", "Type the same password again: ");
        terminal.assertAllZeroed();
        assertKeysOpenWith(dir, PASSWORD, r);
        assertNoPasswordIn(r, PASSWORD);
    }

    @Test
    void newsoft_environmentSet_doesNotPrompt() throws Exception {
        FakeTerminal terminal = new FakeTerminal(PASSWORD, PASSWORD);

        Result r = newsoft(Map.of(Passwords.ENV, PASSWORD), terminal, tmp.resolve("keys").toString());

        assertThat(r.status()).isZero();
        assertThat(terminal.prompts).isEmpty();
    }

    // ---- refusals ----

    @Test
    void newsoft_noPasswordSourceAndNoTerminal_failsNamingTheSources() {
        Path dir = tmp.resolve("keys");

        Result r = newsoft(Map.of(), dir.toString());

        assertThat(failure(r)).isEqualTo(
                "no password: set TAO_PASSWORD, pass --password-file FILE, or run on a terminal to be asked for one");
        assertThat(dir).doesNotExist();
    }

    @Test
    void newsoft_typedPasswordsDiffer_failsAndZeroesBoth() {
        Path dir = tmp.resolve("keys");
        FakeTerminal terminal = new FakeTerminal(PASSWORD, PASSWORD + "x");

        Result r = newsoft(Map.of(), terminal, dir.toString());

        assertThat(failure(r)).isEqualTo("the two passwords typed differ");
        terminal.assertAllZeroed();
        assertThat(dir).doesNotExist();
        assertNoPasswordIn(r, PASSWORD);
    }

    @Test
    void newsoft_terminalInputEndsBeforeConfirmation_fails() {
        FakeTerminal terminal = new FakeTerminal(PASSWORD);

        Result r = newsoft(Map.of(), terminal, tmp.resolve("keys").toString());

        assertThat(failure(r)).isEqualTo("no password was entered (end of input)");
        terminal.assertAllZeroed();
    }

    @Test
    void newsoft_emptyTypedPassword_isRefusedWithoutAskingAgain() {
        FakeTerminal terminal = new FakeTerminal("", "");

        Result r = newsoft(Map.of(), terminal, tmp.resolve("keys").toString());

        assertThat(failure(r)).isEqualTo("the password is empty");
        assertThat(terminal.prompts).hasSize(1);
    }

    @Test
    void newsoft_emptyEnvironmentPassword_isRefused() {
        Path dir = tmp.resolve("keys");

        Result r = newsoft(Map.of(Passwords.ENV, ""), dir.toString());

        assertThat(failure(r)).isEqualTo("TAO_PASSWORD is set but empty");
        assertThat(dir).doesNotExist();
    }

    @Test
    void newsoft_passwordFileWithOnlyANewline_isRefusedAsEmpty() throws IOException {
        Path file = passwordFile("\n");

        Result r = newsoft(Map.of(), "--password-file", file.toString(), tmp.resolve("keys").toString());

        assertThat(failure(r)).isEqualTo("the password file " + file + " is empty");
    }

    @Test
    void newsoft_missingPasswordFile_failsWithOneLine() {
        Path file = tmp.resolve("nope.txt");

        Result r = newsoft(Map.of(), "--password-file", file.toString(), tmp.resolve("keys").toString());

        assertThat(failure(r)).isEqualTo("cannot read the password file " + file + ": no such file or directory");
    }

    @Test
    void newsoft_passwordFileNotUtf8_isRefusedWithoutShowingIt() throws IOException {
        Path file = tmp.resolve("latin1.txt");
        Files.write(file, "s\u00e9same\n".getBytes(StandardCharsets.ISO_8859_1));

        Result r = newsoft(Map.of(), "--password-file", file.toString(), tmp.resolve("keys").toString());

        assertThat(failure(r)).isEqualTo("the password file " + file + " is not valid UTF-8");
        assertNoPasswordIn(r, "same");
    }

    @Test
    void newsoft_oversizedPasswordFile_isRefused() throws IOException {
        Path file = passwordFile("p".repeat(Passwords.MAX_FILE_BYTES + 1));

        Result r = newsoft(Map.of(), "--password-file", file.toString(), tmp.resolve("keys").toString());

        assertThat(failure(r)).isEqualTo("the password file " + file + " is larger than "
                + Passwords.MAX_FILE_BYTES + " bytes");
    }

    @Test
    void newsoft_existingKeySet_isRefusedBeforeAskingAndLeftUnchanged() throws Exception {
        Path dir = tmp.resolve("keys");
        assertThat(newsoft(Map.of(Passwords.ENV, PASSWORD), dir.toString()).status()).isZero();
        byte[] before = Files.readAllBytes(dir.resolve(Keys.KEY_SET_FILE));
        FakeTerminal terminal = new FakeTerminal("other", "other");

        Result r = newsoft(Map.of(), terminal, dir.toString());

        assertThat(failure(r)).isEqualTo(
                dir + " already holds a key set (keys.tao); choose another directory or remove it first");
        assertThat(terminal.prompts).isEmpty();
        assertThat(Files.readAllBytes(dir.resolve(Keys.KEY_SET_FILE))).isEqualTo(before);
    }

    @Test
    void newsoft_danglingLinkInPlaceOfKeySet_isRefused() throws IOException {
        Path dir = Files.createDirectory(tmp.resolve("keys"));
        Files.createSymbolicLink(dir.resolve(Keys.KEY_SET_FILE), tmp.resolve("elsewhere"));

        Result r = newsoft(Map.of(Passwords.ENV, PASSWORD), dir.toString());

        assertThat(failure(r)).startsWith(dir + " already holds a key set");
        assertThat(tmp.resolve("elsewhere")).doesNotExist();
    }

    @Test
    void newsoft_dirIsARegularFile_isRefused() throws IOException {
        Path file = Files.writeString(tmp.resolve("file"), "x");

        Result r = newsoft(Map.of(Passwords.ENV, PASSWORD), file.toString());

        assertThat(failure(r)).isEqualTo(file + " exists and is not a directory");
    }

    @Test
    void newsoft_unwritableParent_failsWithOneLine() throws IOException {
        Path parent = Files.createDirectory(tmp.resolve("readonly"));
        Files.setPosixFilePermissions(parent, PosixFilePermissions.fromString("r-x------"));
        try {
            Path dir = parent.resolve("keys");

            assumeFalse(Files.isWritable(parent), "permissions do not stop this user (root?)");

            Result r = newsoft(Map.of(Passwords.ENV, PASSWORD), dir.toString());

            assertThat(failure(r)).startsWith("cannot write the key set in " + dir + ": permission denied");
        } finally {
            Files.setPosixFilePermissions(parent, PosixFilePermissions.fromString("rwx------"));
        }
    }

    @Test
    void newsoft_parentIsARegularFile_failsWithOneLine() throws IOException {
        Path dir = Files.writeString(tmp.resolve("file"), "x").resolve("keys");

        Result r = newsoft(Map.of(Passwords.ENV, PASSWORD), dir.toString());

        assertThat(failure(r)).startsWith("cannot write the key set in " + dir + ": ");
    }

    @Test
    void newsoft_noDirectory_isAUsageError() {
        Result r = newsoft(Map.of(Passwords.ENV, PASSWORD));

        assertThat(r.status()).isEqualTo(TaoCli.EXIT_USAGE);
        assertThat(r.errLines()).first().asString().startsWith(ERR + "Missing required parameter");
    }

    @Test
    void newsoft_passwordAsAnArgument_isNotAnOption() {
        Result r = newsoft(Map.of(), "--password", PASSWORD, tmp.resolve("keys").toString());

        assertThat(r.status()).isEqualTo(TaoCli.EXIT_USAGE);
        assertNoPasswordIn(r, PASSWORD);
    }
}
