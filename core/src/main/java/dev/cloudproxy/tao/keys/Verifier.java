package dev.cloudproxy.tao.keys;

import dev.cloudproxy.tao.VerificationException;
import dev.cloudproxy.tao.auth.Prin;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.math.ec.ECPoint;

/**
 * An ECDSA P-256 public key that checks SHA-256 signatures, and the principal it names.
 *
 * <p>Signatures are ASN.1 DER {@code SEQUENCE { r INTEGER, s INTEGER }} over the SHA-256 of the
 * message: the {@code SHA256withECDSA} of the JDK, Go's {@code ecdsa.SignASN1}/{@code VerifyASN1}
 * and the X.509 {@code ecdsa-with-SHA256} algorithm. {@link #verify} accepts only strict DER with
 * {@code 1 <= r, s < n}, so signatures are not malleable through their encoding. Keys are accepted
 * only as the canonical PKIX (SubjectPublicKeyInfo) DER of an uncompressed P-256 point that lies
 * on the curve; the principal is {@code key([SHA-256 of that DER])}, so one key has exactly one
 * name. ECDSA itself lets anyone turn a signature (r, s) into a second valid one, (r, n - s); like
 * Go and the JDK this class accepts both, so a signature's bytes must never serve as an identifier.
 *
 * <p>Immutable and thread-safe. Public values only: {@code equals} compares keys and
 * {@code toString} shows the principal.
 */
public final class Verifier {
    private static final String PEM_BEGIN = "-----BEGIN PUBLIC KEY-----";
    private static final String PEM_END = "-----END PUBLIC KEY-----";
    private static final int MAX_PEM_CHARS = 1024;

    /**
     * Verifiers recently made from PKIX bytes, keyed by those exact bytes. BouncyCastle keeps
     * per-point precomputation on the key, so reusing the verifier of a key seen before (a host
     * signing many attestations) makes verification about twice as fast. Bounded, least recently
     * used out first.
     */
    private static final int RECENT_MAX = 256;
    private static final Map<String, Verifier> RECENT = new LinkedHashMap<>(64, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Verifier> eldest) {
            return size() > RECENT_MAX;
        }
    };

    private final byte[] pkix;
    private final ECPublicKeyParameters key;
    private final Prin principal;

    private Verifier(byte[] pkix, ECPoint point) {
        this.pkix = pkix;
        this.key = new ECPublicKeyParameters(point, P256.DOMAIN);
        this.principal = Prin.key(P256.sha256(pkix));
    }

    /** The verifier for a point already known to be valid (derived from a private key). */
    static Verifier of(ECPoint point) {
        ECPoint normalized = point.normalize();
        return new Verifier(P256.encodePublicKey(normalized), normalized);
    }

    /**
     * Parses a PKIX (SubjectPublicKeyInfo) DER public key.
     *
     * @throws VerificationException unless it is the canonical encoding of a P-256 key with an
     *     uncompressed point on the curve
     */
    public static Verifier fromPkix(byte[] der) throws VerificationException {
        Objects.requireNonNull(der, "der");
        byte[] copy = der.clone();
        String cacheKey = HexFormat.of().formatHex(copy);
        synchronized (RECENT) {
            Verifier hit = RECENT.get(cacheKey);
            if (hit != null) {
                return hit;
            }
        }
        Verifier v = new Verifier(copy, P256.decodePublicKey(copy));
        synchronized (RECENT) {
            RECENT.put(cacheKey, v);
        }
        return v;
    }


    /**
     * Parses a PEM {@code PUBLIC KEY} block (as written by {@link #toPem()}, OpenSSL or Go's
     * {@code pem} package) holding a P-256 key.
     */
    public static Verifier fromPem(String pem) throws VerificationException {
        Objects.requireNonNull(pem, "pem");
        String text = pem.strip();
        if (text.length() > MAX_PEM_CHARS || !text.startsWith(PEM_BEGIN) || !text.endsWith(PEM_END)
                || text.length() < PEM_BEGIN.length() + PEM_END.length()) {
            throw new VerificationException("not a PEM PUBLIC KEY block");
        }
        String body = text.substring(PEM_BEGIN.length(), text.length() - PEM_END.length())
                .replaceAll("[\\r\\n\\t ]", "");
        byte[] der;
        try {
            der = Base64.getDecoder().decode(body);
        } catch (IllegalArgumentException e) {
            throw new VerificationException("not a PEM PUBLIC KEY block");
        }
        return fromPkix(der);
    }

    /**
     * Checks that {@code signature} is this key's signature of {@code message}; returns normally
     * only if it is.
     *
     * @throws VerificationException if the signature is malformed, out of range or does not verify
     */
    public void verify(byte[] message, byte[] signature) throws VerificationException {
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(signature, "signature");
        BigInteger[] rs = P256.decodeSignature(signature);
        ECDSASigner ecdsa = new ECDSASigner();
        ecdsa.init(false, key);
        if (!ecdsa.verifySignature(P256.sha256(message), rs[0], rs[1])) {
            throw new VerificationException("signature does not verify");
        }
    }

    /** The PKIX (SubjectPublicKeyInfo) DER of this key: 91 bytes. */
    public byte[] pkix() {
        return pkix.clone();
    }

    /** The PEM {@code PUBLIC KEY} form of {@link #pkix()}, ending in a newline. */
    public String toPem() {
        String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(pkix);
        return PEM_BEGIN + "\n" + body + "\n" + PEM_END + "\n";
    }

    /** {@code key([SHA-256 of pkix()])}: the principal that speaks with this key. */
    public Prin principal() {
        return principal;
    }

    /** This key for the JDK's own APIs (certificates, TLS), through the default EC provider. */
    public PublicKey toJcaPublicKey() {
        try {
            return KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(pkix));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the platform cannot load a P-256 public key", e);
        }
    }

    ECPoint point() {
        return key.getQ();
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Verifier that && Arrays.equals(pkix, that.pkix);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(pkix);
    }

    @Override
    public String toString() {
        return "Verifier[" + principal + "]";
    }
}
