package dev.cloudproxy.tao.host;

import dev.cloudproxy.tao.keys.Keys;
import dev.cloudproxy.tao.seal.KilledWriters;
import dev.cloudproxy.tao.soft.SoftTao;
import java.nio.file.Path;

/**
 * Concurrent writers of one hosted program sharing its stacked host's batched table saves (the
 * host as in {@link CounterCrashMain}, over a soft parent in {@code DIR/parent}), in their own
 * JVM, until the test kills it ({@link KilledWriters#writeUntilKilled}, state files in
 * {@code DIR/states}).
 *
 * <p>Arguments: {@code DIR THREADS start}.
 */
public final class HostBatchCrashMain {
    private HostBatchCrashMain() {}

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        try (SoftTao parent = SoftTao.open(dir.resolve("parent"), TestHosts.PASSWORD.clone());
                Keys keys = Keys.load(dir.resolve("keys"), TestHosts.PASSWORD.clone())) {
            KilledWriters.writeUntilKilled(CounterCrashMain.programTao(dir, parent, keys, ProcessHandle.current().pid()),
                    dir.resolve("states"), Integer.parseInt(args[1]), Long.parseLong(args[2]));
        }
    }
}
