package dev.cloudproxy.tao.tpm;

import tss.TpmDevice;

/**
 * A TSS.Java device that reads each response whole while dispatching the command and holds it
 * until {@link #getResponse} hands it over, once.
 */
abstract class HeldResponseDevice extends TpmDevice {
    private byte[] response;

    /** Drops any response not yet collected (a new command starts). */
    protected final void clearResponse() {
        response = null;
    }

    /** Holds {@code r} for {@link #getResponse}. */
    protected final void holdResponse(byte[] r) {
        response = r;
    }

    @Override
    public final byte[] getResponse() {
        byte[] r = response;
        response = null;
        if (r == null) {
            throw new IllegalStateException("no TPM response pending");
        }
        return r;
    }

    @Override
    public final boolean responseReady() {
        return response != null;
    }
}
