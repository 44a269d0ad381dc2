package dev.cloudproxy.tao.keys;

import java.math.BigInteger;
import java.security.SecureRandom;
import java.util.Arrays;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.macs.HMac;
import org.bouncycastle.crypto.params.KeyParameter;
import org.bouncycastle.crypto.signers.DSAKCalculator;

/**
 * ECDSA nonces from RFC 6979's HMAC-DRBG, hedged with fresh randomness as its section 3.6 allows
 * (the "additional data" k' appended to the seed).
 *
 * <p>Why both: a purely random nonce leaks the private key if the random generator is ever weak or
 * repeats (as in the PlayStation 3 and Android Bitcoin incidents); a purely deterministic one is
 * exposed to fault attacks that make two signatures of one message with one nonce differ. Seeding
 * the DRBG with the private key, the message hash and 32 random bytes keeps the nonce secret and
 * unique as long as either the key or the randomness is sound.
 *
 * <p>One instance serves one signature (it is not thread-safe). It declares itself deterministic so
 * that BouncyCastle's {@code ECDSASigner} hands it the key and message hash. Specialised to
 * P-256 with SHA-256, where qlen = hlen = 256 bits and bits2int is a plain big-endian read.
 */
final class HedgedKCalculator implements DSAKCalculator {
    private static final int LENGTH = 32;

    private final SecureRandom random; // null: plain RFC 6979, for known-answer tests only
    private final HMac hmac = new HMac(new SHA256Digest());
    private final byte[] k = new byte[LENGTH];
    private final byte[] v = new byte[LENGTH];
    private BigInteger n;
    private boolean started;

    HedgedKCalculator(SecureRandom random) {
        this.random = random;
    }

    @Override
    public boolean isDeterministic() {
        return true;
    }

    @Override
    public void init(BigInteger n, SecureRandom ignored) {
        throw new IllegalStateException("needs the private key and message hash");
    }

    @Override
    public void init(BigInteger n, BigInteger d, byte[] messageHash) {
        if (n.bitLength() != 8 * LENGTH || messageHash.length != LENGTH) {
            throw new IllegalArgumentException("specialised to a 256-bit order and SHA-256");
        }
        this.n = n;
        byte[] x = new byte[LENGTH];
        P256.copyFixed(d, x, 0);
        BigInteger h = new BigInteger(1, messageHash);
        byte[] h1 = new byte[LENGTH];
        P256.copyFixed(h.compareTo(n) >= 0 ? h.subtract(n) : h, h1, 0); // bits2octets
        byte[] extra = new byte[random == null ? 0 : LENGTH];
        if (random != null) {
            random.nextBytes(extra);
        }
        Arrays.fill(v, (byte) 0x01);
        Arrays.fill(k, (byte) 0x00);
        for (byte separator = 0; separator <= 1; separator++) {
            hmac.init(new KeyParameter(k));
            hmac.update(v, 0, LENGTH);
            hmac.update(separator);
            hmac.update(x, 0, x.length);
            hmac.update(h1, 0, h1.length);
            hmac.update(extra, 0, extra.length);
            hmac.doFinal(k, 0);
            mac(v);
        }
        Arrays.fill(x, (byte) 0);
        Arrays.fill(extra, (byte) 0);
        started = false;
    }

    @Override
    public BigInteger nextK() {
        if (n == null) {
            throw new IllegalStateException("not initialised");
        }
        if (started) {
            reseed(); // the previous candidate was rejected by the signer (r or s was zero)
        }
        started = true;
        while (true) {
            mac(v);
            BigInteger candidate = new BigInteger(1, v);
            if (candidate.signum() > 0 && candidate.compareTo(n) < 0) {
                return candidate;
            }
            reseed();
        }
    }

    /** Overwrites the DRBG state; called once the signature is made. */
    void wipe() {
        Arrays.fill(k, (byte) 0);
        Arrays.fill(v, (byte) 0);
        hmac.init(new KeyParameter(k));
        n = null;
    }

    private void reseed() {
        hmac.init(new KeyParameter(k));
        hmac.update(v, 0, LENGTH);
        hmac.update((byte) 0x00);
        hmac.doFinal(k, 0);
        mac(v);
    }

    /** {@code buffer = HMAC_K(buffer)}, with the current K. */
    private void mac(byte[] buffer) {
        hmac.init(new KeyParameter(k));
        hmac.update(buffer, 0, LENGTH);
        hmac.doFinal(buffer, 0);
    }
}
