package dev.cloudproxy.tao.tpm;

import dev.cloudproxy.tao.VerificationException;
import dev.cloudproxy.tao.domain.Enrollment;
import dev.cloudproxy.tao.keys.Verifier;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.RSAPublicKeySpec;
import tss.tpm.TPM2B_PUBLIC_KEY_RSA;
import tss.tpm.TPMA_OBJECT;
import tss.tpm.TPMS_ECC_PARMS;
import tss.tpm.TPMS_RSA_PARMS;
import tss.tpm.TPMT_PUBLIC;
import tss.tpm.TPM_ALG_ID;

/**
 * The TPM computations of host enrolment on the service's side (the domain service calls these;
 * no TPM is needed): parsing and checking the endorsement key's and the attestation key's public
 * areas, and {@code TPM2_MakeCredential} for the challenge ({@link Enrollment}).
 *
 * <p>Guarantees: {@link #attestationKey} accepts only a key that the TPM made and keeps
 * ({@code fixedTPM}, {@code fixedParent}) and that signs only structures the TPM itself made
 * ({@code restricted}, {@code sign}, not {@code decrypt}), an ECDSA P-256 key (what the quote
 * verifier checks); {@link #endorsementKey} accepts only a restricted decryption key fixed to its
 * TPM, ECC P-256 or RSA 2048. Public areas are parsed strictly: at most 1,024 bytes, SHA-256
 * named, re-encoding to exactly the bytes sent (so the TPM name computed here is the TPM's).
 */
public final class TpmEnrollment {
    private static final int AK_REQUIRED = new TPMA_OBJECT(TPMA_OBJECT.fixedTPM, TPMA_OBJECT.fixedParent,
            TPMA_OBJECT.restricted, TPMA_OBJECT.sign).toInt();
    private static final int EK_REQUIRED = new TPMA_OBJECT(TPMA_OBJECT.fixedTPM, TPMA_OBJECT.fixedParent,
            TPMA_OBJECT.restricted, TPMA_OBJECT.decrypt).toInt();
    private static final int DECRYPT = TPMA_OBJECT.decrypt.toInt();
    private static final int SIGN = TPMA_OBJECT.sign.toInt();
    private static final SecureRandom RANDOM = new SecureRandom();

    private TpmEnrollment() {}

    /**
     * The endorsement key of a {@code TPMT_PUBLIC}: a JDK {@link ECPublicKey} (P-256) or
     * {@link RSAPublicKey} (2048 bits).
     *
     * @throws VerificationException if the area is malformed or not such a key
     */
    public static PublicKey endorsementKey(byte[] ekPublicArea) throws VerificationException {
        TPMT_PUBLIC ek = AkCertifier.area(ekPublicArea, "EK");
        if ((ek.objectAttributes.toInt() & (EK_REQUIRED | SIGN)) != EK_REQUIRED) {
            throw new VerificationException("the EK is not a restricted decryption key fixed to its TPM");
        }
        try {
            if (ek.parameters instanceof TPMS_ECC_PARMS e && e.curveID == tss.tpm.TPM_ECC_CURVE.NIST_P256) {
                return MakeCredential.publicKey(Templates.eccPublicKey(ek).pkix());
            }
            if (ek.parameters instanceof TPMS_RSA_PARMS r && r.keyBits == 2048
                    && ek.unique instanceof TPM2B_PUBLIC_KEY_RSA n && n.buffer.length == 256) {
                BigInteger exponent = BigInteger.valueOf(r.exponent == 0 ? 65537 : Integer.toUnsignedLong(r.exponent));
                return KeyFactory.getInstance("RSA").generatePublic(new RSAPublicKeySpec(new BigInteger(1, n.buffer), exponent));
            }
        } catch (GeneralSecurityException e) {
            throw new VerificationException("the EK's public key is not valid");
        }
        throw new VerificationException("the EK is neither ECC P-256 nor RSA 2048");
    }

    /**
     * The attestation key of a {@code TPMT_PUBLIC}, if it is a restricted signing key fixed to
     * its TPM.
     *
     * @throws VerificationException naming what the key lacks
     */
    public static Verifier attestationKey(byte[] akPublicArea) throws VerificationException {
        TPMT_PUBLIC ak = AkCertifier.area(akPublicArea, "AK");
        int attributes = ak.objectAttributes.toInt();
        if ((attributes & AK_REQUIRED) != AK_REQUIRED || (attributes & DECRYPT) != 0) {
            throw new VerificationException("the AK is not a restricted signing key fixed to its TPM"
                    + " (it needs restricted, sign, fixedTPM and fixedParent, and not decrypt)");
        }
        if (!(ak.parameters instanceof TPMS_ECC_PARMS e) || e.curveID != tss.tpm.TPM_ECC_CURVE.NIST_P256
                || e.schemeScheme() != TPM_ALG_ID.ECDSA) {
            throw new VerificationException("the AK is not an ECDSA P-256 key");
        }
        return Templates.eccPublicKey(ak);
    }

    /** The TPM name of a SHA-256-named object: {@code 0x000b || SHA-256(public area)}. */
    public static byte[] name(byte[] publicArea) {
        return AkCertifier.name(publicArea);
    }

    /**
     * {@code TPM2_MakeCredential} of {@code credential} for the endorsement key {@code ek} and the
     * object named {@code objectName}, with {@code nonce}: the challenge only the TPM holding that
     * EK and that object can answer.
     */
    public static Enrollment.Challenge challenge(PublicKey ek, byte[] objectName, byte[] credential, byte[] nonce)
            throws GeneralSecurityException {
        MakeCredential.Result r;
        if (ek instanceof ECPublicKey ec) {
            r = MakeCredential.make(ec, objectName, credential, RANDOM);
        } else if (ek instanceof RSAPublicKey rsa) {
            r = MakeCredential.make(rsa, objectName, credential, RANDOM);
        } else {
            throw new IllegalArgumentException("an EK is an ECC or RSA key");
        }
        return new Enrollment.Challenge(nonce, r.integrityHmac(), r.encIdentity(), r.encryptedSecret());
    }
}
