package dev.cloudproxy.tao.tpm;

import dev.cloudproxy.tao.TaoException;
import java.io.IOException;
import java.util.Objects;
import tss.tpm.NV_ReadPublicResponse;
import tss.tpm.TPMA_NV;
import tss.tpm.TPMS_NV_PUBLIC;
import tss.tpm.TPM_ALG_ID;
import tss.tpm.TPM_HANDLE;

/**
 * A TPM monotonic counter in an NV index, for rollback protection of sealed state: a program
 * stores the counter value inside what it seals, increments the counter when it writes new state,
 * and refuses state whose value is below the counter.
 *
 * <p>The TPM guarantees the value never decreases: it cannot be written, only incremented, and a
 * counter index that is deleted and defined again starts at the highest value any counter on this
 * TPM ever had. Anyone who may use the index (here: empty authorization, as for the storage root)
 * can increment it; that makes sealed state look stale (denial of service), never older state look
 * current.
 */
public final class NvCounter {
    /** First index of the owner's NV range (TPM_HT_NV_INDEX 0x01, TCG "owner" 0x01000000..0x013fffff). */
    public static final int FIRST_OWNER_INDEX = 0x01000000;
    /** Last index of the owner's range. */
    public static final int LAST_OWNER_INDEX = 0x013fffff;

    private final TpmConnection tpm;
    private final TPM_HANDLE index;

    private NvCounter(TpmConnection tpm, int index) {
        this.tpm = tpm;
        this.index = TPM_HANDLE.NV(index & 0x00ffffff);
    }

    /**
     * Defines a counter at {@code index} in the owner's range and increments it once, so it can be
     * read. Its first value is above every value any counter on this TPM ever had.
     *
     * @throws TpmCommandException if the index is already defined ({@code NV_DEFINED})
     */
    public static NvCounter define(TpmConnection tpm, int index) throws IOException, TaoException {
        NvCounter c = new NvCounter(Objects.requireNonNull(tpm, "tpm"), checkIndex(index));
        TPMS_NV_PUBLIC pub = new TPMS_NV_PUBLIC(c.index, TPM_ALG_ID.SHA256,
                new TPMA_NV(TPMA_NV.COUNTER, TPMA_NV.AUTHWRITE, TPMA_NV.AUTHREAD, TPMA_NV.NO_DA),
                new byte[0], 8);
        tpm.run("TPM2_NV_DefineSpace", t -> {
            t.NV_DefineSpace(TpmTao.owner(), new byte[0], pub);
            return null;
        });
        c.increment();
        return c;
    }

    /**
     * The counter at {@code index}.
     *
     * @throws TaoException if the index is not defined, or is not a written counter
     */
    public static NvCounter open(TpmConnection tpm, int index) throws IOException, TaoException {
        NvCounter c = new NvCounter(Objects.requireNonNull(tpm, "tpm"), checkIndex(index));
        NV_ReadPublicResponse pub = tpm.run("TPM2_NV_ReadPublic", t -> t.NV_ReadPublic(c.index));
        int attrs = pub.nvPublic.attributes.toInt();
        int type = (attrs >>> 4) & 0xf;
        if (type != 1 || (attrs & TPMA_NV.WRITTEN.toInt()) == 0 || pub.nvPublic.dataSize != 8) {
            throw new TaoException("NV index 0x" + Integer.toHexString(index) + " is not a written monotonic counter");
        }
        return c;
    }

    /**
     * The counter at {@code index} that {@link #open} (or {@link #define}) already checked, without
     * asking the TPM again: for a caller that increments it often. If the index was deleted or
     * defined again as something else since, its commands fail ({@link TpmCommandException}).
     */
    static NvCounter checked(TpmConnection tpm, int index) {
        return new NvCounter(Objects.requireNonNull(tpm, "tpm"), checkIndex(index));
    }

    /** The current value. */
    public long read() throws IOException, TaoException {
        byte[] v = tpm.run("TPM2_NV_Read", t -> t.NV_Read(index, index, 8, 0));
        if (v.length != 8) {
            throw new TpmCommandException("TPM2_NV_Read", "SIZE");
        }
        long out = 0;
        for (byte b : v) {
            out = (out << 8) | (b & 0xff);
        }
        return out;
    }

    /** Increments the counter and returns its new value. */
    public long increment() throws IOException, TaoException {
        return tpm.locked(() -> {
            tpm.run("TPM2_NV_Increment", t -> {
                t.NV_Increment(index, index);
                return null;
            });
            return read();
        });
    }

    /** Deletes the counter's index (a counter defined there later starts above every value seen). */
    public void undefine() throws IOException, TaoException {
        tpm.run("TPM2_NV_UndefineSpace", t -> {
            t.NV_UndefineSpace(TpmTao.owner(), index);
            return null;
        });
    }

    /** The NV index. */
    public int index() {
        return index.handle;
    }

    private static int checkIndex(int index) {
        if (index < FIRST_OWNER_INDEX || index > LAST_OWNER_INDEX) {
            throw new IllegalArgumentException("NV counter index must be in 0x01000000..0x013fffff");
        }
        return index;
    }

    @Override
    public String toString() {
        return "NvCounter[0x" + Integer.toHexString(index.handle) + "]";
    }
}
