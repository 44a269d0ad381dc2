package dev.cloudproxy.tao.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudproxy.tao.attestation.Attestation;
import dev.cloudproxy.tao.auth.Bytes;
import dev.cloudproxy.tao.auth.Form;
import dev.cloudproxy.tao.auth.Pred;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.PrinExt;
import dev.cloudproxy.tao.auth.Says;
import dev.cloudproxy.tao.auth.Speaksfor;
import dev.cloudproxy.tao.auth.Str;
import dev.cloudproxy.tao.cli.CliRunner.Result;
import dev.cloudproxy.tao.keys.Signer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AttestationCommandTest {
    private static final String VECTOR_SPEAKER =
            "key([bb1a6e4a9397fb37d6444f27151d1a98be6a4f07c32b1227c50cf0b974e2dc91])";
    private static final String VECTOR_OUTPUT = "verified\n"
            + "signer: " + VECTOR_SPEAKER + "\n"
            + "speaker: " + VECTOR_SPEAKER + "\n"
            + "statement: " + VECTOR_SPEAKER + " from 1 until 2 says Hello(\"world\")\n"
            + "window: from 1 until 2\n";
    private static final String ERR = "tao attestation verify: ";

    private static final Signer K = Signer.generate();
    private static final Signer HOST = Signer.generate();
    private static final Signer PROGRAM_KEY = Signer.generate();
    private static final Prin D = Prin.key(HexFormat.of().parseHex("dd".repeat(32)));
    private static final Prin H = Prin.key(HexFormat.of().parseHex("ee".repeat(32)));
    private static final PrinExt PROGRAM_AA = PrinExt.of("Program", Bytes.ofHex("aa"));
    private static final Form HELLO = Pred.of("Hello", new Str("world"));

    private static Vectors.GoAttestation vector;

    @TempDir
    Path tmp;

    @BeforeAll
    static void loadVector() throws IOException {
        vector = Vectors.goAttestation();
    }

    @AfterAll
    static void closeKeys() {
        K.close();
        HOST.close();
        PROGRAM_KEY.close();
    }

    private Path write(String name, byte[] content) throws IOException {
        Path file = tmp.resolve(name);
        Files.write(file, content);
        return file;
    }

    private Path writeHex(String hex) throws IOException {
        return write("attestation.hex", hex.getBytes(StandardCharsets.US_ASCII));
    }

    private Path writeRaw(Attestation a) throws IOException {
        return write("attestation.bin", a.serialize());
    }

    private static Result verify(String... args) {
        return CliRunner.run(new ByteArrayInputStream(new byte[0]), Map.of(),
                concat(List.of("attestation", "verify"), args));
    }

    private static Result verifyStdin(InputStream stdin, String... args) {
        return CliRunner.run(stdin, Map.of(), concat(List.of("attestation", "verify"), args));
    }

    private static String[] concat(List<String> first, String... rest) {
        String[] all = first.toArray(new String[first.size() + rest.length]);
        System.arraycopy(rest, 0, all, first.size(), rest.length);
        return all;
    }

    /** A failure: exit 1, nothing on stdout, exactly one line on stderr. Returns its message. */
    private static String failure(Result r) {
        assertThat(r.out()).isEmpty();
        assertThat(r.status()).isEqualTo(TaoCli.EXIT_INPUT);
        assertThat(r.errLines()).hasSize(1);
        assertThat(r.errLines().get(0)).startsWith(ERR);
        return r.errLines().get(0).substring(ERR.length());
    }

    // ---- the Go vector ----

    @Test
    void verify_goVectorAsHexAtTimeOne_printsWhatItProves() throws IOException {
        Result r = verify("--hex", "--at", "1", writeHex(vector.attestationHex()).toString());

        assertThat(r.err()).isEmpty();
        assertThat(r.status()).isZero();
        assertThat(r.out()).isEqualTo(VECTOR_OUTPUT);
    }

    @Test
    void verify_goVectorAtEndOfWindow_verifies() throws IOException {
        Result r = verify("--hex", "--at", "2", writeHex(vector.attestationHex()).toString());

        assertThat(r.status()).isZero();
        assertThat(r.out()).isEqualTo(VECTOR_OUTPUT);
    }

    @Test
    void verify_goVectorAfterItsWindow_failsAsExpired() throws IOException {
        Result r = verify("--hex", "--at", "3", writeHex(vector.attestationHex()).toString());

        assertThat(failure(r)).isEqualTo("expired: valid until 2, now 3");
    }

    @Test
    void verify_goVectorBeforeItsWindow_failsAsNotYetValid() throws IOException {
        Result r = verify("--hex", "--at", "0", writeHex(vector.attestationHex()).toString());

        assertThat(failure(r)).contains("not yet valid");
    }

    @Test
    void verify_goVectorAgainstTheClock_failsAsExpired() throws IOException {
        Result r = verify("--hex", writeHex(vector.attestationHex()).toString());

        assertThat(failure(r)).startsWith("expired: valid until 2, now ");
    }

    @Test
    void verify_goVectorAsUpperCaseWrappedHex_verifies() throws IOException {
        String hex = vector.attestationHex().toUpperCase(Locale.ROOT);
        StringBuilder wrapped = new StringBuilder("  \r\n");
        for (int i = 0; i < hex.length(); i += 60) {
            wrapped.append(hex, i, Math.min(hex.length(), i + 60)).append(i % 120 == 0 ? "\r\n" : " \t\n");
        }

        Result r = verify("--hex", "--at", "1", writeHex(wrapped.toString()).toString());

        assertThat(r.status()).isZero();
        assertThat(r.out()).isEqualTo(VECTOR_OUTPUT);
    }

    @Test
    void verify_goVectorAsRawBytes_verifies() throws IOException {
        Result r = verify("--at", "1", write("vector.bin", vector.attestation()).toString());

        assertThat(r.err()).isEmpty();
        assertThat(r.status()).isZero();
        assertThat(r.out()).isEqualTo(VECTOR_OUTPUT);
    }

    @Test
    void verify_rawBytesOnStandardInput_verifies() {
        Result r = verifyStdin(new ByteArrayInputStream(vector.attestation()), "--at", "1", "-");

        assertThat(r.status()).isZero();
        assertThat(r.out()).isEqualTo(VECTOR_OUTPUT);
    }

    @Test
    void verify_hexOnStandardInput_verifies() {
        byte[] hex = (vector.attestationHex() + "\n").getBytes(StandardCharsets.US_ASCII);

        Result r = verifyStdin(new ByteArrayInputStream(hex), "--hex", "--at", "1", "-");

        assertThat(r.status()).isZero();
        assertThat(r.out()).isEqualTo(VECTOR_OUTPUT);
    }

    @Test
    void verify_hexFileWithoutHexOption_failsWithAHint() throws IOException {
        Result r = verify("--at", "1", writeHex(vector.attestationHex()).toString());

        assertThat(failure(r)).startsWith("malformed attestation").endsWith("(the input looks like hex: use --hex)");
    }

    /** Flips the lowest bit of the byte at {@code hexOffset / 2} of the vector. */
    private String flipped(int hexOffset) {
        byte[] bytes = vector.attestation();
        bytes[hexOffset / 2] ^= 1;
        return HexFormat.of().formatHex(bytes);
    }

    /** Bytes of the statement whose change leaves it well-formed: in the key hash, in "world". */
    @ParameterizedTest
    @ValueSource(ints = {8, 39, 60})
    void verify_statementByteFlipped_failsSignatureCheck(int byteOfStatement) throws IOException {
        int start = vector.attestationHex().indexOf(vector.statementHex());

        Result r = verify("--hex", "--at", "1", writeHex(flipped(start + 2 * byteOfStatement)).toString());

        assertThat(failure(r)).isEqualTo("signature does not verify");
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 27, 59, 90})
    void verify_signerKeyByteFlipped_fails(int byteOfKey) throws IOException {
        int start = vector.attestationHex().indexOf(vector.publicKeyHex());

        Result r = verify("--hex", "--at", "1", writeHex(flipped(start + 2 * byteOfKey)).toString());

        failure(r);
    }

    @Test
    void verify_signatureByteFlipped_failsSignatureCheck() throws IOException {
        // The attestation ends with the DER signature; its last byte is the end of s.
        Result r = verify("--hex", "--at", "1", writeHex(flipped(vector.attestationHex().length() - 2)).toString());

        assertThat(failure(r)).isEqualTo("signature does not verify");
    }

    // ---- delegations ----

    @Test
    void verify_keyClaimingADelegationForAnotherKeysProgram_showsNoDelegation() throws IOException {
        Prin program = H.extend(PROGRAM_AA);
        Attestation a = Attestation.sign(K, Says.of(K.principal(), new Speaksfor(D, program)));

        Result r = verify(writeRaw(a).toString());

        assertThat(r.status()).isZero();
        assertThat(r.out()).isEqualTo("verified\n"
                + "signer: " + K.principal() + "\n"
                + "speaker: " + K.principal() + "\n"
                + "statement: " + K.principal() + " says " + D + " speaksfor " + program + "\n");
        assertThat(r.out()).doesNotContain("delegation");
    }

    @Test
    void verify_keyDelegatingForItsOwnProgram_showsTheDelegation() throws IOException {
        Prin program = K.principal().extend(PROGRAM_AA);
        Attestation a = Attestation.sign(K, Says.of(K.principal(), new Speaksfor(D, program)));

        Result r = verify(writeRaw(a).toString());

        assertThat(r.status()).isZero();
        assertThat(r.out().lines()).containsExactly(
                "verified",
                "signer: " + K.principal(),
                "speaker: " + K.principal(),
                "statement: " + K.principal() + " says " + D + " speaksfor " + program,
                "delegation: " + D + " speaksfor " + program);
    }

    @Test
    void verify_programKeySpeakingThroughHostDelegation_showsProgramAsSpeakerAndChainWindow() throws IOException {
        Prin program = HOST.principal().extend(PROGRAM_AA);
        Attestation delegation = Attestation.sign(HOST,
                Says.during(HOST.principal(), 10, 100, new Speaksfor(PROGRAM_KEY.principal(), program)));
        Attestation a = Attestation.sign(PROGRAM_KEY, Says.during(program, 50, 500, HELLO), delegation);

        Result r = verify("--at", "60", writeRaw(a).toString());

        assertThat(r.err()).isEmpty();
        assertThat(r.out().lines()).containsExactly(
                "verified",
                "signer: " + PROGRAM_KEY.principal(),
                "speaker: " + program,
                "statement: " + program + " from 50 until 500 says Hello(\"world\")",
                "window: from 50 until 100");
    }

    @Test
    void verify_chainOutsideTheDelegationsWindow_failsAsExpired() throws IOException {
        Prin program = HOST.principal().extend(PROGRAM_AA);
        Attestation delegation = Attestation.sign(HOST,
                Says.during(HOST.principal(), 10, 100, new Speaksfor(PROGRAM_KEY.principal(), program)));
        Attestation a = Attestation.sign(PROGRAM_KEY, Says.during(program, 50, 500, HELLO), delegation);

        Result r = verify("--at", "200", writeRaw(a).toString());

        assertThat(failure(r)).contains("expired");
    }

    @Test
    void verify_chainWhoseDelegationIsSignedByTheWrongKey_fails() throws IOException {
        Prin program = HOST.principal().extend(PROGRAM_AA);
        // K is not HOST: it may say what it likes about HOST's program, but that delegates nothing.
        Attestation forged = Attestation.sign(K, Says.of(K.principal(), new Speaksfor(PROGRAM_KEY.principal(), program)));
        Attestation a = Attestation.sign(PROGRAM_KEY, Says.of(program, HELLO), forged);

        Result r = verify(writeRaw(a).toString());

        assertThat(failure(r)).contains("not a speaksfor made by the delegator or an ancestor");
    }

    @Test
    void verify_keySpeakingForAnotherKeyWithoutDelegation_fails() throws IOException {
        Attestation a = Attestation.sign(K, Says.of(H, HELLO));

        Result r = verify(writeRaw(a).toString());

        assertThat(failure(r)).contains("does not speak for").contains("no delegation");
    }

    @Test
    void verify_withEndorsements_countsThem() throws IOException {
        Attestation endorsement = Attestation.sign(HOST, Says.of(HOST.principal(), Pred.of("Trusted", new Str("k"))));
        Attestation a = Attestation.sign(K, Says.of(K.principal(), HELLO)).withEndorsements(List.of(endorsement));

        Result r = verify(writeRaw(a).toString());

        assertThat(r.status()).isZero();
        assertThat(r.out().lines()).containsExactly(
                "verified",
                "signer: " + K.principal(),
                "speaker: " + K.principal(),
                "statement: " + K.principal() + " says Hello(\"world\")",
                "endorsements: 1");
    }

    // ---- bad input ----

    @Test
    void verify_garbage_failsWithOneLine() throws IOException {
        Result r = verify(write("garbage", "not an attestation\u0000\u00ff".getBytes(StandardCharsets.ISO_8859_1)).toString());

        assertThat(failure(r)).startsWith("malformed attestation");
    }

    @Test
    void verify_emptyFile_failsSayingSo() throws IOException {
        assertThat(failure(verify(write("empty", new byte[0]).toString()))).isEqualTo("the input is empty");
    }

    @Test
    void verify_hexFileWithOnlyWhitespace_failsSayingSo() throws IOException {
        assertThat(failure(verify("--hex", writeHex(" \n\t\n").toString()))).isEqualTo("the input holds no hex digits");
    }

    @Test
    void verify_emptyStandardInput_failsSayingSo() {
        assertThat(failure(verifyStdin(new ByteArrayInputStream(new byte[0]), "-"))).isEqualTo("the input is empty");
    }

    @Test
    void verify_badHexDigit_failsNamingItsByteOffset() throws IOException {
        assertThat(failure(verify("--hex", writeHex("0a\n0z").toString())))
                .isEqualTo("invalid hex digit 'z' at byte offset 4");
    }

    @Test
    void verify_oddNumberOfHexDigits_fails() throws IOException {
        assertThat(failure(verify("--hex", writeHex("0a 0").toString()))).startsWith("odd number of hex digits (3)");
    }

    @Test
    void verify_oversizedRawInput_failsWithoutReadingItAll() {
        RepeatingInputStream in = new RepeatingInputStream(new byte[0], new byte[] {0x0a}, 100L << 20);

        Result r = verifyStdin(in, "-");

        assertThat(failure(r)).isEqualTo("the input is larger than " + Attestation.MAX_BYTES
                + " bytes, the largest attestation accepted");
        assertThat(in.bytesRead()).isEqualTo(Attestation.MAX_BYTES + 1L);
    }

    @Test
    void verify_oversizedHexInput_failsWithoutReadingItAll() {
        RepeatingInputStream in = new RepeatingInputStream(new byte[0], "0a\n".getBytes(StandardCharsets.US_ASCII), 100L << 20);

        Result r = verifyStdin(in, "--hex", "-");

        assertThat(failure(r)).startsWith("the input is larger than " + AttestationCommand.MAX_HEX_FILE_BYTES + " bytes");
        assertThat(in.bytesRead()).isEqualTo(AttestationCommand.MAX_HEX_FILE_BYTES + 1L);
    }

    @Test
    void verify_hexOfMoreThanTheLargestAttestation_isRefused() {
        long digits = 2L * Attestation.MAX_BYTES + 2;
        RepeatingInputStream in = new RepeatingInputStream(new byte[0], new byte[] {'0'}, digits);

        Result r = verifyStdin(in, "--hex", "-");

        assertThat(failure(r)).isEqualTo("hex input is longer than " + Attestation.MAX_BYTES + " bytes");
    }

    @Test
    void verify_missingFile_failsWithOneLine() {
        String missing = tmp.resolve("missing.att").toString();

        assertThat(failure(verify(missing))).isEqualTo("cannot read " + missing + ": no such file or directory");
    }

    @Test
    void verify_directory_failsWithOneLine() {
        assertThat(failure(verify(tmp.toString()))).startsWith("cannot read " + tmp + ": ");
    }

    // ---- usage ----

    @Test
    void verify_noFile_isAUsageError() {
        Result r = verify();

        assertThat(r.status()).isEqualTo(TaoCli.EXIT_USAGE);
        assertThat(r.errLines()).first().asString().startsWith(ERR + "Missing required parameter");
    }

    @Test
    void verify_atNotANumber_isAUsageError() {
        Result r = verify("--at", "yesterday", "x.att");

        assertThat(r.status()).isEqualTo(TaoCli.EXIT_USAGE);
        assertThat(r.errLines()).first().asString().startsWith(ERR).contains("yesterday");
    }
}
