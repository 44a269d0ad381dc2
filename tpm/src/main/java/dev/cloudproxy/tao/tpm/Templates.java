package dev.cloudproxy.tao.tpm;

import dev.cloudproxy.tao.VerificationException;
import dev.cloudproxy.tao.keys.Verifier;
import java.util.Arrays;
import java.util.HexFormat;
import tss.tpm.TPMA_OBJECT;
import tss.tpm.TPMS_ECC_PARMS;
import tss.tpm.TPMS_ECC_POINT;
import tss.tpm.TPMS_KEYEDHASH_PARMS;
import tss.tpm.TPMS_NULL_ASYM_SCHEME;
import tss.tpm.TPMS_NULL_KDF_SCHEME;
import tss.tpm.TPMS_NULL_SCHEME_KEYEDHASH;
import tss.tpm.TPMS_SIG_SCHEME_ECDSA;
import tss.tpm.TPMT_PUBLIC;
import tss.tpm.TPMT_SYM_DEF_OBJECT;
import tss.tpm.TPM2B_DIGEST_KEYEDHASH;
import tss.tpm.TPM_ALG_ID;
import tss.tpm.TPM_ECC_CURVE;

/** The key templates this Tao uses. */
final class Templates {
    /** SubjectPublicKeyInfo prefix of an uncompressed P-256 point (id-ecPublicKey, prime256v1). */
    private static final byte[] SPKI_PREFIX =
            HexFormat.of().parseHex("3059301306072a8648ce3d020106082a8648ce3d030107034200");

    /**
     * TCG EK Credential Profile template L-2: ECC NIST P-256 endorsement key, usable only through
     * its policy (PolicySecret with the endorsement hierarchy), so an EK certificate's key matches.
     */
    static final byte[] EK_POLICY = HexFormat.of().parseHex(
            "837197674484b3f81a90cc8d46a5d724fd52d76e06520b64f2a1da1b331469aa");

    private Templates() {}

    /** An attestation key: restricted ECDSA P-256 signing key, made distinct by {@code unique}. */
    static TPMT_PUBLIC attestationKey(byte[] unique) {
        return new TPMT_PUBLIC(TPM_ALG_ID.SHA256,
                new TPMA_OBJECT(TPMA_OBJECT.fixedTPM, TPMA_OBJECT.fixedParent, TPMA_OBJECT.sensitiveDataOrigin,
                        TPMA_OBJECT.userWithAuth, TPMA_OBJECT.restricted, TPMA_OBJECT.sign),
                new byte[0],
                new TPMS_ECC_PARMS(new TPMT_SYM_DEF_OBJECT(TPM_ALG_ID.NULL, 0, TPM_ALG_ID.NULL),
                        new TPMS_SIG_SCHEME_ECDSA(TPM_ALG_ID.SHA256), TPM_ECC_CURVE.NIST_P256, new TPMS_NULL_KDF_SCHEME()),
                new TPMS_ECC_POINT(unique.clone(), new byte[0]));
    }

    /** The ECC storage root key of the TCG provisioning guidance (owner hierarchy). */
    static TPMT_PUBLIC storageRootKey() {
        return new TPMT_PUBLIC(TPM_ALG_ID.SHA256,
                new TPMA_OBJECT(TPMA_OBJECT.fixedTPM, TPMA_OBJECT.fixedParent, TPMA_OBJECT.sensitiveDataOrigin,
                        TPMA_OBJECT.userWithAuth, TPMA_OBJECT.noDA, TPMA_OBJECT.restricted, TPMA_OBJECT.decrypt),
                new byte[0],
                new TPMS_ECC_PARMS(new TPMT_SYM_DEF_OBJECT(TPM_ALG_ID.AES, 128, TPM_ALG_ID.CFB),
                        new TPMS_NULL_ASYM_SCHEME(), TPM_ECC_CURVE.NIST_P256, new TPMS_NULL_KDF_SCHEME()),
                new TPMS_ECC_POINT(new byte[32], new byte[32]));
    }

    /** The standard ECC P-256 endorsement key (template L-2). */
    static TPMT_PUBLIC endorsementKey() {
        return new TPMT_PUBLIC(TPM_ALG_ID.SHA256,
                new TPMA_OBJECT(TPMA_OBJECT.fixedTPM, TPMA_OBJECT.fixedParent, TPMA_OBJECT.sensitiveDataOrigin,
                        TPMA_OBJECT.adminWithPolicy, TPMA_OBJECT.restricted, TPMA_OBJECT.decrypt),
                EK_POLICY.clone(),
                new TPMS_ECC_PARMS(new TPMT_SYM_DEF_OBJECT(TPM_ALG_ID.AES, 128, TPM_ALG_ID.CFB),
                        new TPMS_NULL_ASYM_SCHEME(), TPM_ECC_CURVE.NIST_P256, new TPMS_NULL_KDF_SCHEME()),
                new TPMS_ECC_POINT(new byte[32], new byte[32]));
    }

    /**
     * The standard RSA 2048 endorsement key (template L-1): AES-128-CFB, exponent 65537 (0),
     * 256 zero bytes of unique, the same policy as L-2.
     */
    static TPMT_PUBLIC endorsementKeyRsa() {
        return new TPMT_PUBLIC(TPM_ALG_ID.SHA256,
                new TPMA_OBJECT(TPMA_OBJECT.fixedTPM, TPMA_OBJECT.fixedParent, TPMA_OBJECT.sensitiveDataOrigin,
                        TPMA_OBJECT.adminWithPolicy, TPMA_OBJECT.restricted, TPMA_OBJECT.decrypt),
                EK_POLICY.clone(),
                new tss.tpm.TPMS_RSA_PARMS(new TPMT_SYM_DEF_OBJECT(TPM_ALG_ID.AES, 128, TPM_ALG_ID.CFB),
                        new TPMS_NULL_ASYM_SCHEME(), 2048, 0),
                new tss.tpm.TPM2B_PUBLIC_KEY_RSA(new byte[256]));
    }

    /** A sealed data object that only a policy session satisfying {@code policy} can unseal. */
    static TPMT_PUBLIC sealedData(byte[] policy) {
        return new TPMT_PUBLIC(TPM_ALG_ID.SHA256,
                new TPMA_OBJECT(TPMA_OBJECT.fixedTPM, TPMA_OBJECT.fixedParent, TPMA_OBJECT.noDA),
                policy.clone(),
                new TPMS_KEYEDHASH_PARMS(new TPMS_NULL_SCHEME_KEYEDHASH()),
                new TPM2B_DIGEST_KEYEDHASH());
    }

    /** The P-256 public key of an ECC key's public area, as a core {@link Verifier}. */
    static Verifier eccPublicKey(TPMT_PUBLIC pub) throws VerificationException {
        if (!(pub.unique instanceof TPMS_ECC_POINT point)) {
            throw new VerificationException("not an ECC key");
        }
        byte[] der = Arrays.copyOf(SPKI_PREFIX, SPKI_PREFIX.length + 65);
        der[SPKI_PREFIX.length] = 0x04;
        copyPadded(point.x, der, SPKI_PREFIX.length + 1);
        copyPadded(point.y, der, SPKI_PREFIX.length + 33);
        return Verifier.fromPkix(der);
    }

    private static void copyPadded(byte[] coordinate, byte[] out, int at) throws VerificationException {
        if (coordinate.length > 32) {
            throw new VerificationException("ECC coordinate longer than 32 bytes");
        }
        System.arraycopy(coordinate, 0, out, at + 32 - coordinate.length, coordinate.length);
    }
}
