package dev.cloudproxy.tao.domainservice;

/**
 * A batch of records committed together ({@link GroupCommit}) could not be written durably: none
 * of it was recorded, and no certificate of it may be sent. Every request of the batch gets one.
 */
public final class CommitFailedException extends StoreException {
    private static final long serialVersionUID = 1L;

    public CommitFailedException(String message, Throwable cause) {
        super(message, cause);
    }
}
