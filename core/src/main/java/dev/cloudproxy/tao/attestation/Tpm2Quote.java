package dev.cloudproxy.tao.attestation;

import dev.cloudproxy.tao.VerificationException;
import dev.cloudproxy.tao.auth.Bytes;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.SubPrin;
import dev.cloudproxy.tao.keys.Verifier;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A TPM 2.0 quote: the {@code TPMS_ATTEST} structure a TPM signs with an attestation key in
 * {@code TPM2_Quote}, parsed by hand (the core does not depend on a TPM library).
 *
 * <p>Accepted, and nothing else (TPM 2.0 Part 2, big-endian):
 * <pre>
 *   magic             u32   TPM_GENERATED_VALUE 0xff544347
 *   type              u16   TPM_ST_ATTEST_QUOTE 0x8018
 *   qualifiedSigner   TPM2B_NAME  (at most 66 bytes)
 *   extraData         TPM2B_DATA  (the nonce: exactly 32 bytes here)
 *   clockInfo         u64 clock, u32 resetCount, u32 restartCount, u8 safe (0 or 1)
 *   firmwareVersion   u64
 *   pcrSelect         TPML_PCR_SELECTION with exactly one bank, SHA-256 (0x000b), 1..8 select bytes,
 *                     at least one PCR selected
 *   pcrDigest         TPM2B_DIGEST (exactly 32 bytes: SHA-256 of the selected PCR values in order)
 * </pre>
 * with no bytes left over. Parsing says nothing about who signed it; {@link AttestationVerifier}
 * checks the signature, the nonce and the PCR digest.
 */
public final class Tpm2Quote {
    /** Largest quote structure accepted. */
    public static final int MAX_BYTES = 512;
    /** {@code TPM_GENERATED_VALUE}: marks structures the TPM itself made. */
    public static final int TPM_GENERATED = 0xff544347;
    /** {@code TPM_ST_ATTEST_QUOTE}. */
    public static final int ST_ATTEST_QUOTE = 0x8018;
    /** {@code TPM_ALG_SHA256}. */
    public static final int ALG_SHA256 = 0x000b;
    private static final int MAX_NAME = 2 + 64;
    private static final int NONCE_BYTES = 32;
    private static final int MAX_SELECT_BYTES = 8;

    private final byte[] encoded;
    private final byte[] qualifiedSigner;
    private final byte[] extraData;
    private final long clock;
    private final int resetCount;
    private final int restartCount;
    private final boolean safe;
    private final long firmwareVersion;
    private final List<Integer> pcrs;
    private final byte[] pcrDigest;

    private Tpm2Quote(Reader r) throws VerificationException {
        if (r.u32() != TPM_GENERATED) {
            throw malformed("magic is not TPM_GENERATED_VALUE");
        }
        if (r.u16() != ST_ATTEST_QUOTE) {
            throw malformed("type is not TPM_ST_ATTEST_QUOTE");
        }
        qualifiedSigner = r.sized(MAX_NAME, "qualifiedSigner");
        extraData = r.sized(NONCE_BYTES, "extraData");
        if (extraData.length != NONCE_BYTES) {
            throw malformed("extraData is not a 32-byte nonce");
        }
        clock = r.u64();
        resetCount = r.u32();
        restartCount = r.u32();
        int safeByte = r.u8();
        if (safeByte > 1) {
            throw malformed("clockInfo.safe is not a boolean");
        }
        safe = safeByte == 1;
        firmwareVersion = r.u64();
        if (r.u32() != 1) {
            throw malformed("the PCR selection does not name exactly one bank");
        }
        if (r.u16() != ALG_SHA256) {
            throw malformed("the PCR bank is not SHA-256");
        }
        int selectBytes = r.u8();
        if (selectBytes < 1 || selectBytes > MAX_SELECT_BYTES) {
            throw malformed("the PCR selection has " + selectBytes + " bytes");
        }
        List<Integer> selected = new ArrayList<>();
        for (int i = 0; i < selectBytes; i++) {
            int b = r.u8();
            for (int bit = 0; bit < 8; bit++) {
                if ((b & (1 << bit)) != 0) {
                    selected.add(i * 8 + bit);
                }
            }
        }
        if (selected.isEmpty()) {
            throw malformed("no PCR is selected");
        }
        pcrs = List.copyOf(selected);
        pcrDigest = r.sized(32, "pcrDigest");
        if (pcrDigest.length != 32) {
            throw malformed("pcrDigest is not a SHA-256 digest");
        }
        if (!r.atEnd()) {
            throw malformed("trailing bytes");
        }
        encoded = r.bytes.clone();
    }

    /**
     * Parses a {@code TPMS_ATTEST} quote structure, strictly.
     *
     * @throws VerificationException if it is oversized, truncated, has trailing bytes or is not a
     *     quote of the form above
     */
    public static Tpm2Quote parse(byte[] bytes) throws VerificationException {
        Objects.requireNonNull(bytes, "bytes");
        if (bytes.length > MAX_BYTES) {
            throw malformed("larger than " + MAX_BYTES + " bytes");
        }
        return new Tpm2Quote(new Reader(bytes));
    }

    /**
     * The nonce a TPM Tao quotes for {@code serializedStatement}: SHA-256 of the same
     * context-bound bytes a key signs ({@link Attestation#SIGNING_CONTEXT}), so a quote made for a
     * statement cannot be presented for any other.
     */
    public static byte[] nonceFor(byte[] serializedStatement) {
        return sha256(Attestation.signedBytes(serializedStatement));
    }

    /** {@code tpm2([SHA-256 of the attestation key's PKIX DER])}: the principal of a TPM attestation key. */
    public static Prin akPrincipal(Verifier ak) {
        return new Prin(Attestation.SIGNER_TYPE_TPM2, new Bytes(sha256(ak.pkix())), SubPrin.EMPTY);
    }

    /** The structure exactly as parsed: the bytes the attestation key signed. */
    public byte[] encoded() {
        return encoded.clone();
    }

    /** The TPM's qualified name of the signing key, as the TPM reported it (not checked). */
    public byte[] qualifiedSigner() {
        return qualifiedSigner.clone();
    }

    /** The caller's nonce. */
    public byte[] extraData() {
        return extraData.clone();
    }

    /** The TPM's clock in milliseconds (informational: the TPM's, not wall-clock time). */
    public long clock() {
        return clock;
    }

    public int resetCount() {
        return resetCount;
    }

    public int restartCount() {
        return restartCount;
    }

    public boolean safe() {
        return safe;
    }

    public long firmwareVersion() {
        return firmwareVersion;
    }

    /** The quoted PCR indices of the SHA-256 bank, ascending. */
    public List<Integer> pcrs() {
        return pcrs;
    }

    /** SHA-256 of the concatenated values of {@link #pcrs()}, in that order. */
    public byte[] pcrDigest() {
        return pcrDigest.clone();
    }

    static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    private static VerificationException malformed(String what) {
        return new VerificationException("malformed tpm2 quote: " + what);
    }

    @Override
    public String toString() {
        return "Tpm2Quote[pcrs " + pcrs + ", clock " + clock + "]";
    }

    /** Big-endian reads that fail as truncation instead of running past the end. */
    private static final class Reader {
        final byte[] bytes;
        int at;

        Reader(byte[] bytes) {
            this.bytes = bytes;
        }

        private void need(int n) throws VerificationException {
            if (bytes.length - at < n) {
                throw malformed("truncated");
            }
        }

        int u8() throws VerificationException {
            need(1);
            return bytes[at++] & 0xff;
        }

        int u16() throws VerificationException {
            return (u8() << 8) | u8();
        }

        int u32() throws VerificationException {
            return (u16() << 16) | u16();
        }

        long u64() throws VerificationException {
            return ((long) u32() << 32) | (u32() & 0xffffffffL);
        }

        byte[] sized(int max, String what) throws VerificationException {
            int n = u16();
            if (n > max) {
                throw malformed(what + " is longer than " + max + " bytes");
            }
            need(n);
            byte[] out = java.util.Arrays.copyOfRange(bytes, at, at + n);
            at += n;
            return out;
        }

        boolean atEnd() {
            return at == bytes.length;
        }
    }
}
