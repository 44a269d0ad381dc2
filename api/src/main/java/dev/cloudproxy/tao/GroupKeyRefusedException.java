package dev.cloudproxy.tao;

/**
 * A Tao refused a group key ({@link Tao#getGroupKey}): the caller is not one of the members, or no
 * Tao on the way up from the caller is a common ancestor of every member (each member's name must
 * extend the answering Tao's name). Asking again with the same group cannot succeed; a key for
 * this group has to come from elsewhere (a Tao channel with certificates, for example).
 *
 * <p>The message names the reason and may name principals (names are not secrets); it never
 * carries key material.
 */
public final class GroupKeyRefusedException extends TaoException {
    private static final long serialVersionUID = 1L;

    public GroupKeyRefusedException(String message) {
        super(message);
    }
}
