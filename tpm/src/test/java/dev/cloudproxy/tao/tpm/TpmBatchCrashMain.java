package dev.cloudproxy.tao.tpm;

import dev.cloudproxy.tao.CoreTao;
import dev.cloudproxy.tao.io.AtomicFiles;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Writers that share the TPM Tao's batched counter commits, in their own JVM, until the test
 * kills it ({@code kill -9}): each of {@code THREADS} threads writes its own state, label
 * {@code t<i>} in {@code STATE_DIR/t<i>}, with the writer protocol (rollback-protected seal,
 * atomic file write, first unseal), values {@code start + 1, start + 2, ...}, and prints
 * {@code "<i> <value>"} after each write is committed. It prints {@code ready} once the Tao is
 * open.
 *
 * <p>Arguments: {@code PORT TAO_DIR STATE_DIR THREADS start}.
 */
public final class TpmBatchCrashMain {
    private TpmBatchCrashMain() {}

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        Path dir = Path.of(args[1]);
        Path states = Path.of(args[2]);
        int threads = Integer.parseInt(args[3]);
        long start = Long.parseLong(args[4]);
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.US_ASCII);
        try (TpmConnection tpm = TpmConnection.simulator("127.0.0.1", port); TpmTao tao = TpmTao.open(tpm, dir)) {
            out.println("ready");
            List<Thread> writers = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                int id = i;
                Thread w = new Thread(() -> {
                    try {
                        for (long v = start + 1; ; v++) {
                            byte[] blob = tao.rollbackProtectedSeal("t" + id, Long.toString(v).getBytes(StandardCharsets.US_ASCII),
                                    CoreTao.SEAL_POLICY_SELF);
                            AtomicFiles.writeOwnerOnly(states.resolve("t" + id), blob);
                            tao.rollbackProtectedUnseal(blob).close();
                            out.println(id + " " + v);
                        }
                    } catch (Exception e) {
                        e.printStackTrace();
                        Runtime.getRuntime().halt(3);
                    }
                });
                w.start();
                writers.add(w);
            }
            for (Thread t : writers) {
                t.join();
            }
        }
    }
}
