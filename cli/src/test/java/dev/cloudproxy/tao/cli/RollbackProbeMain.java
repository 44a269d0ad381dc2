package dev.cloudproxy.tao.cli;

import dev.cloudproxy.tao.StaleStateException;
import dev.cloudproxy.tao.CoreTao;
import dev.cloudproxy.tao.Unsealed;
import java.nio.charset.StandardCharsets;

/**
 * A hosted program for tests (started with {@code tao run JAVA -cp ... RollbackProbeMain}): seals
 * v1 and v2 under one label with rollback protection, opens each once (committing it), and
 * checks that v1 is then refused as stale. Prints one line, {@code ok <counter>} or what went
 * wrong, and exits 0 only if everything held.
 */
public final class RollbackProbeMain {
    private RollbackProbeMain() {}

    public static void main(String[] args) throws Exception {
        try {
            CoreTao tao = CoreTao.parent();
            byte[] v1 = tao.rollbackProtectedSeal("probe", "v1".getBytes(StandardCharsets.UTF_8), CoreTao.SEAL_POLICY_SELF);
            tao.rollbackProtectedUnseal(v1).close();
            byte[] v2 = tao.rollbackProtectedSeal("probe", "v2".getBytes(StandardCharsets.UTF_8), CoreTao.SEAL_POLICY_SELF);
            long counter;
            try (Unsealed u = tao.rollbackProtectedUnseal(v2)) {
                if (!"v2".equals(new String(u.data(), StandardCharsets.UTF_8))) {
                    System.out.println("wrong data");
                    System.exit(3);
                }
                counter = u.counter().orElseThrow();
            }
            try {
                tao.rollbackProtectedUnseal(v1).close();
                System.out.println("v1 opened after v2");
                System.exit(4);
            } catch (StaleStateException expected) {
                System.out.println("ok " + counter + " (" + expected.getMessage() + ")");
            }
        } catch (Exception e) {
            System.out.println("failed: " + e);
            System.exit(2);
        }
    }
}
