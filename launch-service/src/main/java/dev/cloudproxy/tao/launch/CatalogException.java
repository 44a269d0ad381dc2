package dev.cloudproxy.tao.launch;

/** A launch catalog is malformed, truncated or too large; the message names the line. */
public final class CatalogException extends Exception {
    private static final long serialVersionUID = 1L;

    public CatalogException(String message) {
        super(message);
    }
}
