package dev.cloudproxy.tao.tpm;

import dev.cloudproxy.tao.TaoException;

/** The TPM refused a command; the message names the command and the TPM's response code. */
public final class TpmCommandException extends TaoException {
    private static final long serialVersionUID = 1L;
    private final String responseCode;

    TpmCommandException(String command, String responseCode) {
        super(command + " failed: TPM_RC_" + responseCode);
        this.responseCode = responseCode;
    }

    /** The TPM's response code without the {@code TPM_RC_} prefix, e.g. {@code POLICY_FAIL}. */
    public String responseCode() {
        return responseCode;
    }
}
