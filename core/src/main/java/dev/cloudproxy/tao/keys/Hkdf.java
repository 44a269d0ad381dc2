package dev.cloudproxy.tao.keys;

import java.security.GeneralSecurityException;
import java.util.Arrays;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** HKDF with HMAC-SHA256 (RFC 5869), on the JDK's HMAC. */
final class Hkdf {
    static final int HASH_BYTES = 32;
    static final int MAX_OUTPUT_BYTES = 255 * HASH_BYTES;

    private Hkdf() {}

    /** Extract-then-expand: {@code length} bytes of output keying material. */
    static byte[] derive(byte[] ikm, byte[] salt, byte[] info, int length) {
        if (length < 1 || length > MAX_OUTPUT_BYTES) {
            throw new IllegalArgumentException("HKDF-SHA256 output length must be in [1, 8160]");
        }
        byte[] prk = extract(salt, ikm);
        try {
            return expand(prk, info, length);
        } finally {
            Arrays.fill(prk, (byte) 0);
        }
    }

    static byte[] extract(byte[] salt, byte[] ikm) {
        // RFC 5869 2.2: an absent salt is HashLen zero bytes (the JDK refuses an empty HMAC key).
        byte[] key = salt.length == 0 ? new byte[HASH_BYTES] : salt;
        Mac hmac = hmac(key);
        return hmac.doFinal(ikm);
    }

    static byte[] expand(byte[] prk, byte[] info, int length) {
        Mac hmac = hmac(prk);
        byte[] out = new byte[length];
        byte[] block = new byte[0];
        int done = 0;
        for (int counter = 1; done < length; counter++) {
            hmac.update(block);
            hmac.update(info);
            hmac.update((byte) counter);
            Arrays.fill(block, (byte) 0);
            block = hmac.doFinal();
            int take = Math.min(block.length, length - done);
            System.arraycopy(block, 0, out, done, take);
            done += take;
        }
        Arrays.fill(block, (byte) 0);
        return out;
    }

    private static Mac hmac(byte[] key) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is required of every Java platform", e);
        }
    }
}
