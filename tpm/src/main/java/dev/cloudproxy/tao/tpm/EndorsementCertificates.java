package dev.cloudproxy.tao.tpm;

import dev.cloudproxy.tao.TaoException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import tss.tpm.NV_ReadPublicResponse;
import tss.tpm.TPMA_NV;
import tss.tpm.TPMS_NV_PUBLIC;
import tss.tpm.TPM_ALG_ID;
import tss.tpm.TPM_HANDLE;

/**
 * The endorsement key certificates a TPM's manufacturer stores in NV (TCG EK Credential Profile,
 * "EK Credential Profile NV indices"): the RSA 2048 EK's at {@link #RSA_2048} and the ECC P-256
 * EK's at {@link #ECC_P256}, DER, readable by anyone ({@code AUTHREAD} with empty authorization).
 *
 * <p>Reading checks only the size (at most {@link #MAX_BYTES}): whether the certificate is for
 * this TPM's EK and signed by a trusted manufacturer is the verifier's question (the domain
 * service's enrolment), never the reader's.
 */
public final class EndorsementCertificates {
    /** NV index of the RSA 2048 EK certificate. */
    public static final int RSA_2048 = 0x01c00002;
    /** NV index of the ECC NIST P-256 EK certificate. */
    public static final int ECC_P256 = 0x01c0000a;
    /** The largest certificate read (EK certificates are about 1 KiB). */
    public static final int MAX_BYTES = 8 * 1024;
    /** Bytes per {@code TPM2_NV_Read}: every TPM's {@code MAX_NV_BUFFER_SIZE} is at least this. */
    private static final int CHUNK = 512;

    private EndorsementCertificates() {}

    /**
     * The DER at {@code index}, or empty if the index is not defined.
     *
     * @throws TaoException if the TPM refuses to read it or it is larger than {@link #MAX_BYTES}
     */
    public static Optional<byte[]> read(TpmConnection tpm, int index) throws IOException, TaoException {
        Objects.requireNonNull(tpm, "tpm");
        TPM_HANDLE handle = TPM_HANDLE.NV(index & 0x00ffffff);
        return tpm.locked(() -> {
            NV_ReadPublicResponse pub;
            try {
                pub = tpm.run("TPM2_NV_ReadPublic", t -> t.NV_ReadPublic(handle));
            } catch (TpmCommandException notDefined) {
                return Optional.empty();
            }
            int size = pub.nvPublic.dataSize;
            if (size > MAX_BYTES) {
                throw new TaoException("the EK certificate at NV index 0x" + Integer.toHexString(index)
                        + " is larger than " + MAX_BYTES + " bytes");
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream(size);
            for (int at = 0; at < size; at += CHUNK) {
                int offset = at;
                int n = Math.min(CHUNK, size - at);
                out.writeBytes(tpm.run("TPM2_NV_Read", t -> t.NV_Read(handle, handle, n, offset)));
            }
            return Optional.of(out.toByteArray());
        });
    }

    /**
     * Defines {@code index} (owner hierarchy, {@code AUTHREAD}, {@code AUTHWRITE} with empty
     * authorization, {@code NO_DA}) and writes {@code der} there: for a simulator or a TPM that
     * came without a certificate, so that a certificate from your own EK CA can be read where
     * a manufacturer's would be. A manufacturer's index is defined by the platform and written
     * once; this one can be rewritten by anyone who owns the TPM, which is harmless: the
     * certificate is checked against the EK the TPM derives, not trusted for being in NV.
     *
     * @throws TpmCommandException if the index is already defined
     */
    public static void write(TpmConnection tpm, int index, byte[] der) throws IOException, TaoException {
        if (der.length == 0 || der.length > MAX_BYTES) {
            throw new IllegalArgumentException("an EK certificate has 1.." + MAX_BYTES + " bytes");
        }
        TPM_HANDLE handle = TPM_HANDLE.NV(index & 0x00ffffff);
        TPMS_NV_PUBLIC pub = new TPMS_NV_PUBLIC(handle, TPM_ALG_ID.SHA256,
                new TPMA_NV(TPMA_NV.AUTHWRITE, TPMA_NV.AUTHREAD, TPMA_NV.NO_DA), new byte[0], der.length);
        tpm.locked(() -> {
            tpm.run("TPM2_NV_DefineSpace", t -> {
                t.NV_DefineSpace(TpmTao.owner(), new byte[0], pub);
                return null;
            });
            for (int at = 0; at < der.length; at += CHUNK) {
                byte[] chunk = Arrays.copyOfRange(der, at, Math.min(der.length, at + CHUNK));
                int offset = at;
                tpm.run("TPM2_NV_Write", t -> {
                    t.NV_Write(handle, handle, chunk, offset);
                    return null;
                });
            }
            return null;
        });
    }
}
