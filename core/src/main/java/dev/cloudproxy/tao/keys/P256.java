package dev.cloudproxy.tao.keys;

import dev.cloudproxy.tao.VerificationException;
import java.math.BigInteger;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.crypto.params.ECDomainParameters;
import org.bouncycastle.math.ec.ECPoint;

/**
 * NIST P-256 parameters and the two encodings this package accepts: the PKIX public key and the
 * DER signature. Both decoders accept exactly one encoding per value, so a key has one principal
 * name and a signature cannot be re-encoded into a different byte string that still verifies.
 */
final class P256 {
    /** BouncyCastle's custom (constant-time field arithmetic) implementation of secp256r1. */
    static final ECDomainParameters DOMAIN;
    static final BigInteger N;
    static final BigInteger P;
    static final int SCALAR_BYTES = 32;

    /**
     * DER of a SubjectPublicKeyInfo up to the point: SEQUENCE(89) { SEQUENCE(19) { OID
     * id-ecPublicKey 1.2.840.10045.2.1, OID prime256v1 1.2.840.10045.3.1.7 }, BIT STRING(66, no
     * unused bits) }. What follows is the uncompressed point 04 || X || Y, as Go's
     * x509.MarshalPKIXPublicKey and the JDK both write it.
     */
    private static final byte[] SPKI_PREFIX =
            HexFormat.of().parseHex("3059301306072a8648ce3d020106082a8648ce3d030107034200");
    static final int SPKI_BYTES = SPKI_PREFIX.length + 1 + 2 * SCALAR_BYTES;

    /** SEQUENCE header + two INTEGERs of at most 33 content bytes each. */
    static final int MAX_SIGNATURE_BYTES = 2 + 2 * (2 + SCALAR_BYTES + 1);

    static {
        X9ECParameters x9 = CustomNamedCurves.getByName("secp256r1");
        DOMAIN = new ECDomainParameters(x9.getCurve(), x9.getG(), x9.getN(), x9.getH(), x9.getSeed());
        N = DOMAIN.getN();
        P = DOMAIN.getCurve().getField().getCharacteristic();
    }

    private P256() {}

    /** The PKIX DER of a (valid, finite) public point. */
    static byte[] encodePublicKey(ECPoint q) {
        ECPoint point = q.normalize();
        byte[] out = Arrays.copyOf(SPKI_PREFIX, SPKI_BYTES);
        out[SPKI_PREFIX.length] = 0x04;
        copyFixed(point.getAffineXCoord().toBigInteger(), out, SPKI_PREFIX.length + 1);
        copyFixed(point.getAffineYCoord().toBigInteger(), out, SPKI_PREFIX.length + 1 + SCALAR_BYTES);
        return out;
    }

    /**
     * Decodes a PKIX DER public key, accepting only a P-256 id-ecPublicKey with an uncompressed
     * point whose coordinates are reduced and that lies on the curve.
     */
    static ECPoint decodePublicKey(byte[] der) throws VerificationException {
        if (der == null || der.length != SPKI_BYTES
                || !Arrays.equals(der, 0, SPKI_PREFIX.length, SPKI_PREFIX, 0, SPKI_PREFIX.length)) {
            throw new VerificationException("not a PKIX P-256 public key with an uncompressed point");
        }
        if (der[SPKI_PREFIX.length] != 0x04) {
            throw new VerificationException("not a PKIX P-256 public key with an uncompressed point");
        }
        int xAt = SPKI_PREFIX.length + 1;
        BigInteger x = new BigInteger(1, Arrays.copyOfRange(der, xAt, xAt + SCALAR_BYTES));
        BigInteger y = new BigInteger(1, Arrays.copyOfRange(der, xAt + SCALAR_BYTES, SPKI_BYTES));
        if (x.compareTo(P) >= 0 || y.compareTo(P) >= 0) {
            throw new VerificationException("public key coordinate is not reduced modulo p");
        }
        ECPoint point;
        try {
            point = DOMAIN.getCurve().validatePoint(x, y);
        } catch (IllegalArgumentException e) {
            throw new VerificationException("public key is not a point on P-256");
        }
        // The cofactor is 1, so every finite point on the curve has order n; infinity has no
        // affine encoding and cannot get here.
        return point;
    }

    /** DER SEQUENCE { INTEGER r, INTEGER s } with minimal integer encodings. */
    static byte[] encodeSignature(BigInteger r, BigInteger s) {
        byte[] rBytes = r.toByteArray(); // minimal two's complement: exactly DER's content octets
        byte[] sBytes = s.toByteArray();
        int bodyLength = 2 + rBytes.length + 2 + sBytes.length;
        byte[] out = new byte[2 + bodyLength];
        out[0] = 0x30;
        out[1] = (byte) bodyLength; // at most 70, so the short length form always applies
        int at = 2;
        out[at++] = 0x02;
        out[at++] = (byte) rBytes.length;
        System.arraycopy(rBytes, 0, out, at, rBytes.length);
        at += rBytes.length;
        out[at++] = 0x02;
        out[at++] = (byte) sBytes.length;
        System.arraycopy(sBytes, 0, out, at, sBytes.length);
        return out;
    }

    /**
     * Decodes a DER signature strictly: short-form lengths only, minimal non-negative integers, no
     * trailing bytes, and {@code 1 <= r, s < n}.
     *
     * @return {@code {r, s}}
     */
    static BigInteger[] decodeSignature(byte[] der) throws VerificationException {
        if (der == null || der.length < 8 || der.length > MAX_SIGNATURE_BYTES
                || der[0] != 0x30 || (der[1] & 0xff) != der.length - 2) {
            throw malformedSignature();
        }
        int[] at = {2};
        BigInteger r = readInteger(der, at);
        BigInteger s = readInteger(der, at);
        if (at[0] != der.length) {
            throw malformedSignature();
        }
        if (r.signum() <= 0 || r.compareTo(N) >= 0 || s.signum() <= 0 || s.compareTo(N) >= 0) {
            throw new VerificationException("signature value out of range");
        }
        return new BigInteger[] {r, s};
    }

    private static BigInteger readInteger(byte[] der, int[] at) throws VerificationException {
        int i = at[0];
        if (i + 2 > der.length || der[i] != 0x02) {
            throw malformedSignature();
        }
        int length = der[i + 1] & 0xff;
        int start = i + 2;
        if (length < 1 || length > SCALAR_BYTES + 1 || start + length > der.length) {
            throw malformedSignature();
        }
        if ((der[start] & 0x80) != 0) {
            throw malformedSignature(); // negative
        }
        if (length > 1 && der[start] == 0 && (der[start + 1] & 0x80) == 0) {
            throw malformedSignature(); // a leading zero byte that is not needed
        }
        at[0] = start + length;
        return new BigInteger(1, Arrays.copyOfRange(der, start, start + length));
    }

    private static VerificationException malformedSignature() {
        return new VerificationException("malformed signature: not a strict DER ECDSA signature");
    }

    /** {@code value} as exactly 32 big-endian bytes at {@code out[at]}; value must be below 2^256. */
    static void copyFixed(BigInteger value, byte[] out, int at) {
        byte[] raw = value.toByteArray();
        int skip = raw.length > SCALAR_BYTES ? raw.length - SCALAR_BYTES : 0; // a sign byte
        int length = raw.length - skip;
        Arrays.fill(out, at, at + SCALAR_BYTES - length, (byte) 0);
        System.arraycopy(raw, skip, out, at + SCALAR_BYTES - length, length);
        Arrays.fill(raw, (byte) 0);
    }

    static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java platform", e);
        }
    }
}
