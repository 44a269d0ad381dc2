package dev.cloudproxy.tao.kms;

/**
 * Stored bytes are not a well-formed link (bad magic, version, lengths, codes or trailing bytes).
 */
public class MalformedLinkException extends ObjectUnreadableException {
    private static final long serialVersionUID = 1L;

    public MalformedLinkException(String message) {
        super(message);
    }

    public MalformedLinkException(String message, Throwable cause) {
        super(message, cause);
    }
}
