package dev.cloudproxy.tao.kms;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudproxy.tao.CoreTao;
import dev.cloudproxy.tao.keys.Argon2Params;
import dev.cloudproxy.tao.soft.SoftTao;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A rewrap job killed with {@code kill -9} (destroyForcibly) in a real child JVM, again and again,
 * at a different point each time: every object stays readable after every kill, the job resumes
 * where it stopped, and once it completes the old epoch can be retired with nothing lost.
 */
class RewrapKillTest {
    private static final String PASSWORD = "rewrap-kill-test";
    private static final int FILES = 12;

    @TempDir
    Path dir;

    @Test
    void rewrap_killedAtManyPoints_resumesAndLosesNothing() throws Exception {
        Path taoDir = dir.resolve("tao");
        Path storeDir = dir.resolve("store");
        Path sealed = dir.resolve("master.sealed");
        List<ObjectId> files = new ArrayList<>();
        try (SoftTao tao = SoftTao.create(taoDir, PASSWORD.toCharArray(), Argon2Params.FLOOR)) {
            try (MasterKey master = MasterKey.openOrCreate(tao, sealed, CoreTao.SEAL_POLICY_SELF)) {
                ProtectedObjects objects = ProtectedObjects.open(master, DirectoryStore.open(storeDir), Clock.systemUTC());
                objects.createKey(ProtectedObjectsTest.ZONE, ObjectType.AES_256_GCM, ObjectName.ROOT, Validity.UNBOUNDED);
                objects.createKey(ProtectedObjectsTest.FILE_KEY, ObjectType.AES_256_GCM, ProtectedObjectsTest.ZONE,
                        Validity.UNBOUNDED);
                for (int i = 0; i < FILES; i++) {
                    files.add(objects.write(ObjectName.of("/customers/file/f" + i), ProtectedObjectsTest.FILE_KEY,
                            content(i), Validity.UNBOUNDED).id());
                }
                objects.rotate(ProtectedObjectsTest.FILE_KEY, Validity.UNBOUNDED);
            }
        }

        int kills = 0;
        // Kill just after "started" (journal maybe written, nothing moved), then after each k-th write.
        for (int round = 0; round < 3 * FILES; round++) {
            int killAfterLines = 1 + (round % 3);
            boolean finished = runChild(taoDir, storeDir, sealed, killAfterLines);
            try (SoftTao tao = SoftTao.open(taoDir, PASSWORD.toCharArray());
                    MasterKey master = MasterKey.openOrCreate(tao, sealed, CoreTao.SEAL_POLICY_SELF)) {
                ProtectedObjects objects = ProtectedObjects.open(master, DirectoryStore.open(storeDir), Clock.systemUTC());
                for (int i = 0; i < FILES; i++) {
                    try (ObjectMaterial m = objects.read(files.get(i))) {
                        assertThat(m.exportSecretMaterial()).as("file %d after round %d", i, round).isEqualTo(content(i));
                    }
                }
                if (finished) {
                    assertThat(objects.pendingRewrap()).isEmpty();
                    objects.retire(RewrapChild.FROM);
                    for (int i = 0; i < FILES; i++) {
                        try (ObjectMaterial m = objects.read(files.get(i))) {
                            assertThat(m.exportSecretMaterial()).isEqualTo(content(i));
                        }
                    }
                    assertThat(kills).as("the job was killed before it finished").isGreaterThanOrEqualTo(3);
                    return;
                }
                kills++;
                // No journal: killed before it was written (nothing moved) or after the job removed it
                // (everything moved; the kill landed between the last link and "done"), never
                // half-way. With a journal, it says what to resume.
                if (objects.pendingRewrap().isEmpty()) {
                    DirectoryStore store = DirectoryStore.open(storeDir);
                    Set<ObjectId> protectors = new HashSet<>();
                    for (ObjectId f : files) {
                        protectors.add(Link.parse(store.get(f).orElseThrow()).protector());
                    }
                    assertThat(protectors).as("protectors of the files without a journal").hasSize(1)
                            .isSubsetOf(RewrapChild.FROM, new ObjectId(ProtectedObjectsTest.FILE_KEY, 2));
                }
            }
        }
        throw new AssertionError("the rewrap never finished");
    }

    /** Runs the job; destroys it forcibly after it prints {@code killAfterLines} lines. True if it finished first. */
    private static boolean runChild(Path taoDir, Path storeDir, Path sealed, int killAfterLines) throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        ProcessBuilder pb = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
                RewrapChild.class.getName(), taoDir.toString(), storeDir.toString(), sealed.toString());
        pb.environment().put(RewrapChild.PASSWORD_ENV, PASSWORD);
        pb.redirectError(ProcessBuilder.Redirect.INHERIT);
        Process child = pb.start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            int lines = 0;
            String line;
            while ((line = out.readLine()) != null) {
                if (line.equals("done")) {
                    assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
                    assertThat(child.exitValue()).isZero();
                    return true;
                }
                if (++lines == killAfterLines) {
                    child.destroyForcibly();
                    assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
                    return false;
                }
            }
            assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
            throw new AssertionError("the rewrap child failed with status " + child.exitValue());
        } finally {
            child.destroyForcibly();
        }
    }

    private static byte[] content(int i) {
        return ("file number " + i).getBytes(StandardCharsets.UTF_8);
    }
}
