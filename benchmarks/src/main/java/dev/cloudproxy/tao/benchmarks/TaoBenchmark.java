package dev.cloudproxy.tao.benchmarks;

import dev.cloudproxy.tao.CoreTao;
import dev.cloudproxy.tao.TaoException;
import dev.cloudproxy.tao.UnsealException;
import dev.cloudproxy.tao.Unsealed;
import dev.cloudproxy.tao.VerificationException;
import dev.cloudproxy.tao.attestation.Attestation;
import dev.cloudproxy.tao.attestation.AttestationVerifier;
import dev.cloudproxy.tao.attestation.VerifiedStatement;
import dev.cloudproxy.tao.auth.Bytes;
import dev.cloudproxy.tao.auth.Form;
import dev.cloudproxy.tao.auth.Pred;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.PrinExt;
import dev.cloudproxy.tao.auth.Says;
import dev.cloudproxy.tao.auth.Speaksfor;
import dev.cloudproxy.tao.auth.Str;
import dev.cloudproxy.tao.keys.Signer;
import dev.cloudproxy.tao.keys.Verifier;
import dev.cloudproxy.tao.soft.SoftTao;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.concurrent.TimeUnit;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The soft Tao's operations beside the raw primitive each is built on, measured in the same run:
 * seal/unseal of 1 KiB against AES-256-GCM of 1 KiB, attest against one ECDSA P-256 signature,
 * verify (without and with a one-level delegation) against one ECDSA verification.
 *
 * <pre>java -jar benchmarks/target/benchmarks.jar TaoBenchmark</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class TaoBenchmark {
    private static final Form HELLO = Pred.of("Hello", new Str("world"));

    private SoftTao tao;
    private byte[] data;
    private byte[] sealed;
    private byte[] attestation;
    private byte[] delegated;
    private AttestationVerifier verifier;

    private Signer rawSigner;
    private Verifier rawVerifier;
    private byte[] rawMessage;
    private byte[] rawSignature;
    private SecretKey aesKey;
    private byte[] aesCiphertext;
    private byte[] aesNonce;
    private final SecureRandom random = new SecureRandom();

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        tao = SoftTao.ephemeral();
        data = new byte[1024];
        random.nextBytes(data);
        sealed = tao.seal(data, CoreTao.SEAL_POLICY_SELF);
        attestation = tao.attest(HELLO).serialize();
        verifier = AttestationVerifier.create();

        try (Signer host = Signer.generate()) {
            rawSigner = Signer.generate();
            Prin program = host.principal().extend(PrinExt.of("Program", Bytes.ofHex("aa")));
            long now = System.currentTimeMillis() / 1000;
            Attestation d = Attestation.sign(host,
                    Says.during(host.principal(), now - 60, now + 86400, new Speaksfor(rawSigner.principal(), program)));
            delegated = Attestation.sign(rawSigner, Says.during(program, now - 60, now + 86400, HELLO), d).serialize();
        }
        rawVerifier = rawSigner.verifier();
        rawMessage = Attestation.parse(attestation).statement().encode();
        rawSignature = rawSigner.sign(rawMessage);

        byte[] k = new byte[32];
        random.nextBytes(k);
        aesKey = new SecretKeySpec(k, "AES");
        aesNonce = new byte[12];
        random.nextBytes(aesNonce);
        Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
        c.init(Cipher.ENCRYPT_MODE, aesKey, new GCMParameterSpec(128, aesNonce));
        aesCiphertext = c.doFinal(data);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        tao.close();
        rawSigner.close();
    }

    @Benchmark
    public byte[] seal1KiB() {
        return tao.seal(data, CoreTao.SEAL_POLICY_SELF);
    }

    @Benchmark
    public byte[] unseal1KiB() throws UnsealException {
        try (Unsealed u = tao.unseal(sealed)) {
            return u.data();
        }
    }

    @Benchmark
    public byte[] baselineAesGcmEncrypt1KiB() throws GeneralSecurityException {
        byte[] nonce = new byte[12];
        random.nextBytes(nonce);
        Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
        c.init(Cipher.ENCRYPT_MODE, aesKey, new GCMParameterSpec(128, nonce));
        return c.doFinal(data);
    }

    @Benchmark
    public byte[] baselineAesGcmDecrypt1KiB() throws GeneralSecurityException {
        Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
        c.init(Cipher.DECRYPT_MODE, aesKey, new GCMParameterSpec(128, aesNonce));
        return c.doFinal(aesCiphertext);
    }

    @Benchmark
    public Attestation attest() throws TaoException {
        return tao.attest(HELLO);
    }

    @Benchmark
    public byte[] baselineEcdsaSign() {
        return rawSigner.sign(rawMessage);
    }

    @Benchmark
    public VerifiedStatement verify() throws VerificationException {
        return verifier.verify(attestation);
    }

    @Benchmark
    public VerifiedStatement verifyWithOneDelegation() throws VerificationException {
        return verifier.verify(delegated);
    }

    @Benchmark
    public boolean baselineEcdsaVerify() throws VerificationException {
        rawVerifier.verify(rawMessage, rawSignature);
        return true;
    }
}
