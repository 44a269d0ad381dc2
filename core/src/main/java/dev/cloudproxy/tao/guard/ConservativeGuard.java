package dev.cloudproxy.tao.guard;

/**
 * The guard that allows nothing: every authorization check and every query is false. Named
 * {@code ConservativeGuard()}. Its rules cannot be changed (see {@link Guard}).
 */
public final class ConservativeGuard extends FixedGuard {
    /** The one conservative guard; it has no state. */
    public static final ConservativeGuard INSTANCE = new ConservativeGuard();

    private ConservativeGuard() {
        super("ConservativeGuard", false);
    }
}
