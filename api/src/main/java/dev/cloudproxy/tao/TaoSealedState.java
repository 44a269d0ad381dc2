package dev.cloudproxy.tao;

import dev.cloudproxy.tao.spi.TaoBinding;
import java.io.IOException;

/** Explicit control of {@link TaoSealed} state. */
public final class TaoSealedState {
    private TaoSealedState() {}

    /**
     * Seals the current values of every {@link TaoSealed} field now (if any changed since the last
     * seal) and writes them durably before returning.
     *
     * @throws IllegalStateException if this program does not run under the Tao agent
     * @throws IOException if the state could not be sealed or written; the previous state stays
     */
    public static void flush() throws IOException {
        TaoBinding.provider().flushSealedState();
    }
}
