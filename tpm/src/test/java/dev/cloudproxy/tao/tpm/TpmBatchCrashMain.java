package dev.cloudproxy.tao.tpm;

import dev.cloudproxy.tao.seal.KilledWriters;
import java.nio.file.Path;

/**
 * Concurrent writers sharing a TPM Tao's batched counter commits, in their own JVM, until the
 * test kills it ({@link KilledWriters#writeUntilKilled}).
 *
 * <p>Arguments: {@code PORT TAO_DIR STATE_DIR THREADS start}.
 */
public final class TpmBatchCrashMain {
    private TpmBatchCrashMain() {}

    public static void main(String[] args) throws Exception {
        try (TpmConnection tpm = TpmConnection.simulator("127.0.0.1", Integer.parseInt(args[0]));
                TpmTao tao = TpmTao.open(tpm, Path.of(args[1]))) {
            KilledWriters.writeUntilKilled(tao, Path.of(args[2]), Integer.parseInt(args[3]), Long.parseLong(args[4]));
        }
    }
}
