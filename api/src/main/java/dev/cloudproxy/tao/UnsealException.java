package dev.cloudproxy.tao;

/**
 * A sealed blob did not open: it was altered, or sealed for another program, policy or Tao.
 *
 * <p>Deliberately says nothing more: every cause gives the same message, so a caller probing with
 * altered blobs learns nothing about which check failed.
 */
public final class UnsealException extends TaoException {
    private static final long serialVersionUID = 1L;

    public UnsealException() {
        super("unseal failed");
    }
}
