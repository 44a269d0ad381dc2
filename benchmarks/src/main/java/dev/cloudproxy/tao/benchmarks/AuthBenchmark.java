package dev.cloudproxy.tao.benchmarks;

import dev.cloudproxy.tao.auth.AuthElement;
import dev.cloudproxy.tao.auth.AuthFormatException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Cost of the auth language's four conversions (parse, print, encode, decode) on the two shapes
 * that dominate real use: a guard rule, read once when a policy loads, and a signed statement,
 * parsed, encoded and checked on every attestation.
 *
 * <p>Two baselines run in the same JVM so the numbers have a scale: SHA-256 of the statement's
 * encoding (every signature over it, and every verification, pays at least this) and encoding the
 * text as UTF-8 (the least any text handling costs). See {@code benchmarks/README.md}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(2)
@State(Scope.Benchmark)
public class AuthBenchmark {

    /** A guard rule as a domain policy states it. */
    static final String GUARD_RULE = "forall P: forall Host: forall Hash: TrustedHost(Host)"
            + " and TrustedProgramHash(Hash) and Subprin(P, Host, Hash) implies MemberProgram(P)";

    /**
     * A host's statement that a hosted program speaks for it for one day: key hashes and the
     * program measurement are 32 bytes, as SHA-256 makes them.
     */
    static final String STATEMENT = "key([" + hash("host key") + "]) from 1700000000 until 1700086400"
            + " says key([" + hash("program key") + "]) speaksfor key([" + hash("host key") + "])"
            + ".Program([" + hash("program binary") + "])";

    @Param({"guardRule", "statement"})
    public String element;

    private String text;
    private AuthElement parsed;
    private byte[] encoded;
    private MessageDigest sha256;

    @Setup
    public void setUp() throws AuthFormatException, NoSuchAlgorithmException {
        text = switch (element) {
            case "guardRule" -> GUARD_RULE;
            case "statement" -> STATEMENT;
            default -> throw new IllegalArgumentException("unknown element " + element);
        };
        parsed = AuthElement.parse(text);
        encoded = parsed.encode();
        sha256 = MessageDigest.getInstance("SHA-256");

        // Measure the real round trip, not a shortcut: the canonical text is the input, and the
        // encoding decodes to the same element.
        if (!parsed.toString().equals(text)) {
            throw new IllegalStateException("input is not canonical text: " + parsed);
        }
        AuthElement decoded = AuthElement.decode(encoded);
        if (!decoded.equals(parsed) || !Arrays.equals(decoded.encode(), encoded)) {
            throw new IllegalStateException("encoding does not round-trip");
        }
    }

    @Benchmark
    public AuthElement parse() throws AuthFormatException {
        return AuthElement.parse(text);
    }

    @Benchmark
    public String print() {
        return parsed.toString();
    }

    @Benchmark
    public byte[] encode() {
        return parsed.encode();
    }

    @Benchmark
    public AuthElement decode() throws AuthFormatException {
        return AuthElement.decode(encoded);
    }

    /** Baseline: hashing the encoding, the floor of signing or verifying it. */
    @Benchmark
    public byte[] baselineSha256OfEncoding() {
        return sha256.digest(encoded);
    }

    /** Baseline: the text as UTF-8 bytes, the floor of anything that reads or writes the text. */
    @Benchmark
    public byte[] baselineUtf8OfText() {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static String hash(String label) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(label.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JDK", e);
        }
    }
}
