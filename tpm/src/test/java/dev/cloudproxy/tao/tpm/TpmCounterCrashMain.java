package dev.cloudproxy.tao.tpm;

import dev.cloudproxy.tao.CoreTao;
import dev.cloudproxy.tao.io.AtomicFiles;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One rollback-protected write to a TPM Tao, in its own JVM, halted (no shutdown hooks, no
 * cleanup: as {@code kill -9} would) at the k-th step. The steps, in order: the open's fence
 * commit (table-written, nv-incremented), the seal's commit (the same two), blob-sealed,
 * file-written, the first unseal's commit (the same two), committed. Exits 0 if the write
 * finished before step k.
 *
 * <p>Arguments: {@code PORT TAO_DIR STATE_FILE k value}.
 */
public final class TpmCounterCrashMain {
    /** The exit status of a halt at the chosen step. */
    static final int HALTED = 87;
    /** Steps in one write. */
    static final int STEPS = 9;
    static final String LABEL = "balance";

    private TpmCounterCrashMain() {}

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        Path dir = Path.of(args[1]);
        Path state = Path.of(args[2]);
        int crashAt = Integer.parseInt(args[3]);
        AtomicInteger step = new AtomicInteger();
        AnchoredCounterStore.stepHook = name -> {
            if (step.incrementAndGet() == crashAt) {
                Runtime.getRuntime().halt(HALTED);
            }
        };
        try (TpmConnection tpm = TpmConnection.simulator("127.0.0.1", port); TpmTao tao = TpmTao.open(tpm, dir)) {
            byte[] blob = tao.rollbackProtectedSeal(LABEL, args[4].getBytes(StandardCharsets.UTF_8), CoreTao.SEAL_POLICY_SELF);
            AnchoredCounterStore.stepHook.accept("blob-sealed");
            AtomicFiles.writeOwnerOnly(state, blob);
            AnchoredCounterStore.stepHook.accept("file-written");
            tao.rollbackProtectedUnseal(blob).close();
            AnchoredCounterStore.stepHook.accept("committed");
        }
    }
}
