package dev.cloudproxy.tao.agent;

import java.io.IOException;
import java.util.concurrent.Callable;
import java.util.function.Consumer;

/**
 * Where the code the agent adds to a {@code @TaoSealed} class's static initializer calls, and
 * where {@code TaoSealedState.flush()} lands.
 *
 * <p>It lives in tier 1, on the system class path (the agent jar is on it, as every agent jar is),
 * not on the bootstrap class path: application classes resolve it through the system class loader,
 * and the bootstrap class path stays untouched unless network hooks need it (appending to it turns
 * off class data sharing for application classes). The tooling cannot see this class, so premain
 * installs the tooling's callbacks here as JDK types.
 */
public final class SealedHooks {
    private static volatile Consumer<Class<?>> restore;
    private static volatile Callable<?> flush;

    private SealedHooks() {}

    static synchronized void install(Consumer<Class<?>> restoreHandler, Callable<?> flushHandler) {
        if (restore != null) {
            throw new IllegalStateException("the sealed-state handler is already installed");
        }
        flush = flushHandler;
        restore = restoreHandler;
    }

    /** Called at the end of the static initializer of every class with a {@code @TaoSealed} field. */
    public static void restore(Class<?> type) {
        Consumer<Class<?>> r = restore;
        if (r == null) {
            throw new IllegalStateException("@TaoSealed fields of " + type.getName()
                    + " cannot be restored: the Tao agent's sealed state is not ready");
        }
        r.accept(type);
    }

    /** Seals the current values of every {@code @TaoSealed} field, if they changed. */
    public static void flush() throws IOException {
        Callable<?> f = flush;
        if (f == null) {
            throw new IllegalStateException("the Tao agent's sealed state is not ready");
        }
        try {
            f.call();
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException(e.getMessage(), e);
        }
    }
}
