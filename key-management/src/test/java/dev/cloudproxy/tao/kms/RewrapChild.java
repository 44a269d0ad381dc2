package dev.cloudproxy.tao.kms;

import dev.cloudproxy.tao.CoreTao;
import dev.cloudproxy.tao.soft.SoftTao;
import java.nio.file.Path;
import java.time.Clock;

/**
 * The rewrap job in a JVM of its own, for {@link RewrapKillTest}: resumes a pending rewrap or
 * starts one from {@code /customers/key/customer-file-1-key#1}, printing a line after each link it
 * writes so the test can kill it there. Arguments: soft Tao directory, store directory, sealed
 * master key file; the soft Tao's password comes from the environment.
 */
public final class RewrapChild {
    static final String PASSWORD_ENV = "REWRAP_CHILD_PASSWORD";
    static final ObjectId FROM = new ObjectId(ProtectedObjectsTest.FILE_KEY, 1);

    private RewrapChild() {}

    public static void main(String[] args) throws Exception {
        try (SoftTao tao = SoftTao.open(Path.of(args[0]), System.getenv(PASSWORD_ENV).toCharArray());
                MasterKey master = MasterKey.openOrCreate(tao, Path.of(args[2]), CoreTao.SEAL_POLICY_SELF)) {
            ProtectedObjects objects = ProtectedObjects.open(master, DirectoryStore.open(Path.of(args[1])),
                    Clock.systemUTC());
            ProtectedObjects.RewrapListener report = (id, count) -> {
                System.out.println("rewrapped " + count);
                System.out.flush();
            };
            System.out.println("started");
            System.out.flush();
            if (objects.pendingRewrap().isPresent()) {
                objects.resumeRewrap(report);
            } else {
                objects.rewrap(FROM, report);
            }
            System.out.println("done");
        }
    }
}
