package dev.cloudproxy.tao.guard;

/**
 * The guard that allows everything: every authorization check and every query is true. For
 * development and tests only; it is named {@code LiberalGuard()}, so a program enforcing it says
 * so in its name. Its rules cannot be changed (see {@link Guard}).
 */
public final class LiberalGuard extends FixedGuard {
    /** The one liberal guard; it has no state. */
    public static final LiberalGuard INSTANCE = new LiberalGuard();

    private LiberalGuard() {
        super("LiberalGuard", true);
    }
}
