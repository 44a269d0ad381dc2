package dev.cloudproxy.tao.tpm;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.KeyAgreement;
import javax.crypto.Mac;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * {@code TPM2_MakeCredential} in software, for an ECC P-256 or RSA endorsement key with
 * AES-128-CFB and SHA-256 (TPM 2.0 Part 1, "Credential Protection"): only the TPM that holds the EK and an object
 * with {@code objectName} can recover the credential, with {@code TPM2_ActivateCredential}.
 *
 * <pre>
 *   ephemeral ECDH with the EK: Z = x(d_e * Q_ek)
 *   seed    = KDFe(SHA-256, Z, "IDENTITY", x(Q_e), x(Q_ek), 256)
 *   symKey  = KDFa(SHA-256, seed, "STORAGE", objectName, "", 128)
 *   encId   = AES-128-CFB(symKey, IV 0, TPM2B_DIGEST(credential))
 *   hmacKey = KDFa(SHA-256, seed, "INTEGRITY", "", "", 256)
 *   blob    = TPM2B_DIGEST(HMAC-SHA256(hmacKey, encId || objectName)) || encId
 *   secret  = TPMS_ECC_POINT(Q_e)
 * </pre>
 */
final class MakeCredential {
    private MakeCredential() {}

    /** The credential blob's two parts and the encrypted secret. */
    record Result(byte[] integrityHmac, byte[] encIdentity, byte[] encryptedSecret) {}

    static Result make(ECPublicKey ek, byte[] objectName, byte[] credential, SecureRandom random)
            throws GeneralSecurityException {
        if (credential.length < 1 || credential.length > 32) {
            throw new IllegalArgumentException("a SHA-256 credential has 1..32 bytes");
        }
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"), random);
        KeyPair e = g.generateKeyPair();
        KeyAgreement ka = KeyAgreement.getInstance("ECDH");
        ka.init(e.getPrivate());
        ka.doPhase(ek, true);
        byte[] z = ka.generateSecret();
        byte[] ex = coordinate(((ECPublicKey) e.getPublic()).getW().getAffineX());
        byte[] ey = coordinate(((ECPublicKey) e.getPublic()).getW().getAffineY());
        byte[] ekx = coordinate(ek.getW().getAffineX());
        byte[] seed = kdfe(z, "IDENTITY", ex, ekx);
        Arrays.fill(z, (byte) 0);

        ByteArrayOutputStream point = new ByteArrayOutputStream();
        point.writeBytes(sized(ex));
        point.writeBytes(sized(ey));
        try {
            return protect(seed, objectName, credential, point.toByteArray());
        } finally {
            Arrays.fill(seed, (byte) 0);
        }
    }

    /**
     * {@code TPM2_MakeCredential} for an RSA endorsement key (TPM 2.0 Part 1, "Credential
     * Protection", RSA): a random seed as long as the SHA-256 name algorithm's digest, encrypted
     * with RSA-OAEP (SHA-256, label "IDENTITY"), then the same KDFa, AES-128-CFB and HMAC as for
     * ECC.
     */
    static Result make(java.security.interfaces.RSAPublicKey ek, byte[] objectName, byte[] credential,
            SecureRandom random) throws GeneralSecurityException {
        if (credential.length < 1 || credential.length > 32) {
            throw new IllegalArgumentException("a SHA-256 credential has 1..32 bytes");
        }
        byte[] seed = new byte[32];
        random.nextBytes(seed);
        try {
            Cipher oaep = Cipher.getInstance("RSA/ECB/OAEPPadding");
            oaep.init(Cipher.ENCRYPT_MODE, ek, new javax.crypto.spec.OAEPParameterSpec("SHA-256", "MGF1",
                    java.security.spec.MGF1ParameterSpec.SHA256,
                    new javax.crypto.spec.PSource.PSpecified("IDENTITY\0".getBytes(StandardCharsets.US_ASCII))),
                    random);
            byte[] encryptedSeed = oaep.doFinal(seed);
            return protect(seed, objectName, credential, encryptedSeed);
        } finally {
            Arrays.fill(seed, (byte) 0);
        }
    }

    /** The credential blob for {@code seed}, with {@code encryptedSecret} as the EK's part. */
    private static Result protect(byte[] seed, byte[] objectName, byte[] credential, byte[] encryptedSecret)
            throws GeneralSecurityException {
        byte[] symKey = kdfa(seed, "STORAGE", objectName, new byte[0], 128);
        byte[] hmacKey = kdfa(seed, "INTEGRITY", new byte[0], new byte[0], 256);
        try {
            Cipher aes = Cipher.getInstance("AES/CFB/NoPadding");
            aes.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(symKey, "AES"), new IvParameterSpec(new byte[16]));
            byte[] encIdentity = aes.doFinal(sized(credential));
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(hmacKey, "HmacSHA256"));
            mac.update(encIdentity);
            mac.update(objectName);
            return new Result(mac.doFinal(), encIdentity, encryptedSecret);
        } finally {
            Arrays.fill(symKey, (byte) 0);
            Arrays.fill(hmacKey, (byte) 0);
        }
    }

    /** The P-256 public key in a PKIX DER encoding, for the JDK. */
    static ECPublicKey publicKey(byte[] pkix) throws GeneralSecurityException {
        PublicKey k = java.security.KeyFactory.getInstance("EC")
                .generatePublic(new java.security.spec.X509EncodedKeySpec(pkix));
        return (ECPublicKey) k;
    }

    /** SP 800-108 counter-mode KDF with HMAC-SHA256, as the TPM's KDFa. */
    static byte[] kdfa(byte[] key, String label, byte[] contextU, byte[] contextV, int bits)
            throws GeneralSecurityException {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(key, "HmacSHA256"));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int counter = 1; out.size() < bits / 8; counter++) {
            mac.update(int32(counter));
            mac.update(label.getBytes(StandardCharsets.US_ASCII));
            mac.update((byte) 0);
            mac.update(contextU);
            mac.update(contextV);
            mac.update(int32(bits));
            out.writeBytes(mac.doFinal());
        }
        return Arrays.copyOf(out.toByteArray(), bits / 8);
    }

    /** SP 800-56A concatenation KDF with SHA-256, as the TPM's KDFe (one block: 256 bits). */
    static byte[] kdfe(byte[] z, String label, byte[] partyU, byte[] partyV) throws GeneralSecurityException {
        java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
        sha.update(int32(1));
        sha.update(z);
        sha.update(label.getBytes(StandardCharsets.US_ASCII));
        sha.update((byte) 0);
        sha.update(partyU);
        sha.update(partyV);
        return sha.digest();
    }

    private static byte[] int32(int v) {
        return new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
    }

    private static byte[] sized(byte[] b) {
        byte[] out = new byte[2 + b.length];
        out[0] = (byte) (b.length >>> 8);
        out[1] = (byte) b.length;
        System.arraycopy(b, 0, out, 2, b.length);
        return out;
    }

    private static byte[] coordinate(java.math.BigInteger v) {
        byte[] raw = v.toByteArray();
        byte[] out = new byte[32];
        int n = Math.min(raw.length, 32);
        System.arraycopy(raw, raw.length - n, out, 32 - n, n);
        return out;
    }
}
