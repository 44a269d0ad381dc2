package dev.cloudproxy.tao.benchmarks;

import dev.cloudproxy.tao.VerificationException;
import dev.cloudproxy.tao.keys.Signer;
import dev.cloudproxy.tao.keys.Verifier;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * ECDSA P-256 / SHA-256 sign and verify: the JDK's provider ({@code SHA256withECDSA}) against
 * {@link Signer}/{@link Verifier} (BouncyCastle's lightweight API with hedged RFC 6979 nonces).
 * This chose the implementation behind {@code dev.cloudproxy.tao.keys}.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar EcdsaBenchmark -f 1 -wi 2 -i 3 -w 1s -r 1s}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class EcdsaBenchmark {
    private final byte[] message = "a 64-byte statement, about the size of a small attestation......"
            .getBytes(StandardCharsets.US_ASCII);

    private KeyPair jdkKeys;
    private Signature jdkSigner;
    private Signature jdkVerifier;
    private byte[] jdkSignature;

    private Signer signer;
    private Verifier verifier;
    private byte[] signature;

    @Setup
    public void setUp() throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        jdkKeys = generator.generateKeyPair();
        jdkSigner = Signature.getInstance("SHA256withECDSA");
        jdkSigner.initSign(jdkKeys.getPrivate());
        jdkVerifier = Signature.getInstance("SHA256withECDSA");
        jdkSignature = jdkSign();

        signer = Signer.generate();
        verifier = signer.verifier();
        signature = signer.sign(message);
        if (!jdkVerify() || !taoVerify()) {
            throw new IllegalStateException("benchmark signatures do not verify");
        }
    }

    @TearDown
    public void tearDown() {
        signer.close();
    }

    @Benchmark
    public byte[] jdkSign() throws GeneralSecurityException {
        jdkSigner.update(message);
        return jdkSigner.sign();
    }

    @Benchmark
    public boolean jdkVerify() throws GeneralSecurityException {
        jdkVerifier.initVerify(jdkKeys.getPublic());
        jdkVerifier.update(message);
        return jdkVerifier.verify(jdkSignature);
    }

    @Benchmark
    public byte[] taoSign() {
        return signer.sign(message);
    }

    @Benchmark
    public boolean taoVerify() {
        try {
            verifier.verify(message, signature);
            return true;
        } catch (VerificationException e) {
            return false;
        }
    }
}
