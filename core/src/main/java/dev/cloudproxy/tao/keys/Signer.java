package dev.cloudproxy.tao.keys;

import dev.cloudproxy.tao.auth.Prin;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPrivateKeySpec;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Objects;
import javax.security.auth.Destroyable;
import org.bouncycastle.crypto.params.ECPrivateKeyParameters;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.math.ec.FixedPointCombMultiplier;

/**
 * An ECDSA P-256 private key that signs the SHA-256 of messages; see {@link Verifier} for the
 * signature format and the principal name.
 *
 * <p>Signing uses BouncyCastle's lightweight API directly (no JCA provider is registered, so the
 * library has no global side effects); on the machines this project targets it signs and verifies
 * several times faster than the JDK's provider. Nonces come from RFC 6979 hedged with 32 fresh
 * random bytes (see {@code HedgedKCalculator}), so a weak random generator alone cannot leak the
 * key.
 *
 * <p>Thread-safe. {@link #close()} zeroes this object's copy of the private scalar and drops the
 * BouncyCastle key object; later use throws {@link IllegalStateException}. The JVM cannot promise
 * more: the scalar also lives in an immutable {@link BigInteger} that only the garbage collector
 * reclaims. The only ways to read the scalar are {@link #exportSecretKeyMaterial()} and
 * {@link #toJcaPrivateKey()}.
 */
public final class Signer implements AutoCloseable, Destroyable {
    private static final SecureRandom RANDOM = new SecureRandom();

    private final SecretGuard guard = new SecretGuard("Signer");
    private final byte[] scalar;
    private final SecureRandom nonceRandom; // null only for RFC 6979 known-answer tests
    private final Verifier verifier;
    private ECPrivateKeyParameters privateKey;

    private Signer(byte[] scalar, SecureRandom nonceRandom) {
        this.scalar = scalar;
        this.nonceRandom = nonceRandom;
        BigInteger d = new BigInteger(1, scalar);
        this.privateKey = new ECPrivateKeyParameters(d, P256.DOMAIN);
        this.verifier = Verifier.of(new FixedPointCombMultiplier().multiply(P256.DOMAIN.getG(), d));
    }

    /** A new key with a scalar drawn uniformly from [1, n-1]. */
    public static Signer generate() {
        byte[] candidate = new byte[P256.SCALAR_BYTES];
        while (true) {
            RANDOM.nextBytes(candidate);
            if (isValidScalar(candidate)) {
                return new Signer(candidate, RANDOM);
            }
        }
    }

    /**
     * The key whose private scalar is {@code scalar}: 32 big-endian bytes, as returned by
     * {@link #exportSecretKeyMaterial()}. The argument is copied; the caller should zero its own
     * copy.
     *
     * @throws IllegalArgumentException if it is not 32 bytes or not in [1, n-1]
     */
    public static Signer fromSecretKeyMaterial(byte[] scalar) {
        return new Signer(checkedCopy(scalar), RANDOM);
    }

    /** Plain RFC 6979 (no hedging), so signatures are reproducible. For known-answer tests only. */
    static Signer deterministicForTesting(byte[] scalar) {
        return new Signer(checkedCopy(scalar), null);
    }

    /** Signs the SHA-256 of {@code message}; the result is a DER ECDSA signature of at most 72 bytes. */
    public byte[] sign(byte[] message) {
        Objects.requireNonNull(message, "message");
        byte[] digest = P256.sha256(message);
        guard.acquire();
        try {
            HedgedKCalculator nonces = new HedgedKCalculator(nonceRandom);
            try {
                ECDSASigner ecdsa = new ECDSASigner(nonces);
                ecdsa.init(true, privateKey);
                BigInteger[] rs = ecdsa.generateSignature(digest);
                return P256.encodeSignature(rs[0], rs[1]);
            } finally {
                nonces.wipe();
            }
        } finally {
            guard.release();
        }
    }

    /** The public half. Stays usable after this signer is closed. */
    public Verifier verifier() {
        return verifier;
    }

    /** {@code key([SHA-256 of the PKIX public key])}. */
    public Prin principal() {
        return verifier.principal();
    }

    /**
     * The private scalar as 32 big-endian bytes: raw secret key material, for storing the key
     * under encryption. The caller owns the returned copy and must zero it when done.
     */
    public byte[] exportSecretKeyMaterial() {
        return guard.copy(scalar);
    }

    /**
     * This key for the JDK's own APIs (JSSE key managers, PKCS#8 export), through the default EC
     * provider. Like {@link #exportSecretKeyMaterial()} it hands out the secret: the returned
     * object holds its own copy, which closing this signer does not reach.
     */
    public PrivateKey toJcaPrivateKey() {
        byte[] copy = exportSecretKeyMaterial();
        try {
            ECParameterSpec params = ((ECPublicKey) verifier.toJcaPublicKey()).getParams();
            return KeyFactory.getInstance("EC").generatePrivate(new ECPrivateKeySpec(new BigInteger(1, copy), params));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the platform cannot load a P-256 private key", e);
        } finally {
            Arrays.fill(copy, (byte) 0);
        }
    }

    /** Same as {@link #destroy()}. */
    @Override
    public void close() {
        destroy();
    }

    /** Zeroes the private scalar held here; idempotent. */
    @Override
    public void destroy() {
        guard.destroy(() -> {
            Arrays.fill(scalar, (byte) 0);
            privateKey = null;
        });
    }

    @Override
    public boolean isDestroyed() {
        return guard.isDestroyed();
    }

    @Override
    public String toString() {
        return "Signer[redacted]";
    }

    private static byte[] checkedCopy(byte[] scalar) {
        Objects.requireNonNull(scalar, "scalar");
        if (scalar.length != P256.SCALAR_BYTES || !isValidScalar(scalar)) {
            throw new IllegalArgumentException("not a P-256 private scalar (32 bytes in [1, n-1])");
        }
        return scalar.clone();
    }

    private static boolean isValidScalar(byte[] scalar) {
        BigInteger d = new BigInteger(1, scalar);
        return d.signum() > 0 && d.compareTo(P256.N) < 0;
    }
}
