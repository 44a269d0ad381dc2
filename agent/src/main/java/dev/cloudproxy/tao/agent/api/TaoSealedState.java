package dev.cloudproxy.tao.agent.api;

import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;

/** Explicit control of {@link TaoSealed} state. */
public final class TaoSealedState {
    private static final String HOOKS = "dev.cloudproxy.tao.agent.SealedHooks";

    private TaoSealedState() {}

    /**
     * Seals the current values of every {@link TaoSealed} field now (if any changed since the last
     * seal) and writes them durably before returning.
     *
     * @throws IllegalStateException if this program does not run under the Tao agent
     * @throws IOException if the state could not be sealed or written; the previous state stays
     */
    public static void flush() throws IOException {
        Method flush;
        try {
            // The agent jar is on the system class path; look there, not in the app's own loader.
            flush = Class.forName(HOOKS, true, ClassLoader.getSystemClassLoader()).getMethod("flush");
        } catch (ClassNotFoundException | NoSuchMethodException e) {
            throw new IllegalStateException("@TaoSealed needs the Tao agent: run this program with tao-launcher");
        }
        try {
            flush.invoke(null);
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IOException io) {
                throw io;
            }
            if (cause instanceof RuntimeException re) {
                throw re;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw new IOException(cause);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }
}
