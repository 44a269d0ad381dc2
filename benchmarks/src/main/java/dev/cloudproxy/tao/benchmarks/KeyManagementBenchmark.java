package dev.cloudproxy.tao.benchmarks;

import dev.cloudproxy.tao.CoreTao;
import dev.cloudproxy.tao.io.AtomicFiles;
import dev.cloudproxy.tao.keys.Crypter;
import dev.cloudproxy.tao.kms.DirectoryStore;
import dev.cloudproxy.tao.kms.MasterKey;
import dev.cloudproxy.tao.kms.ObjectId;
import dev.cloudproxy.tao.kms.ObjectMaterial;
import dev.cloudproxy.tao.kms.ObjectName;
import dev.cloudproxy.tao.kms.ObjectStore;
import dev.cloudproxy.tao.kms.ObjectType;
import dev.cloudproxy.tao.kms.ProtectedObjects;
import dev.cloudproxy.tao.kms.Validity;
import dev.cloudproxy.tao.soft.SoftTao;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Reading a 1 KiB file through the 4-link chain master -> zone key -> folder key -> file key ->
 * file, from a directory store (four file reads, four link parses, four AES-GCM decryptions) and
 * from an in-memory store (the same without the file system), beside one AES-256-GCM decryption
 * of 1 KiB (the library's {@link Crypter}), measured in the same run.
 *
 * <pre>java -jar benchmarks/target/benchmarks.jar KeyManagementBenchmark</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class KeyManagementBenchmark {
    private static final ObjectId FILE = ObjectId.of("/customers/file/customer-file-1", 1);

    private Path dir;
    private SoftTao tao;
    private MasterKey master;
    private ProtectedObjects onDisk;
    private ProtectedObjects inMemory;
    private Crypter crypter;
    private byte[] ciphertext;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        dir = Files.createTempDirectory("kms-bench");
        tao = SoftTao.ephemeral();
        master = MasterKey.openOrCreate(tao, dir.resolve("master.sealed"), CoreTao.SEAL_POLICY_SELF);
        byte[] content = new byte[1024];
        new SecureRandom().nextBytes(content);
        onDisk = chain(DirectoryStore.open(dir.resolve("store")), content);
        inMemory = chain(new MemoryStore(), content);
        crypter = Crypter.generate();
        ciphertext = crypter.encrypt(content, new byte[64]);
    }

    private ProtectedObjects chain(ObjectStore store, byte[] content) throws Exception {
        ProtectedObjects objects = ProtectedObjects.open(master, store, Clock.systemUTC());
        ObjectName zone = ObjectName.of("/customers");
        ObjectName folder = ObjectName.of("/customers/key/customer-folder-key");
        ObjectName fileKey = ObjectName.of("/customers/key/customer-file-1-key");
        objects.createKey(zone, ObjectType.AES_256_GCM, ObjectName.ROOT, Validity.UNBOUNDED);
        objects.createKey(folder, ObjectType.AES_256_GCM, zone, Validity.UNBOUNDED);
        objects.createKey(fileKey, ObjectType.AES_256_GCM, folder, Validity.UNBOUNDED);
        objects.write(FILE.name(), fileKey, content, Validity.UNBOUNDED);
        return objects;
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        master.close();
        tao.close();
        crypter.close();
        AtomicFiles.deleteTree(dir);
    }

    @Benchmark
    public int readFourLinkChainDirectoryStore() throws Exception {
        try (ObjectMaterial m = onDisk.read(FILE)) {
            return m.length();
        }
    }

    @Benchmark
    public int readFourLinkChainMemoryStore() throws Exception {
        try (ObjectMaterial m = inMemory.read(FILE)) {
            return m.length();
        }
    }

    @Benchmark
    public byte[] baselineAesGcmDecrypt1KiB() throws Exception {
        return crypter.decrypt(ciphertext, new byte[64]);
    }

    /** The links in a map: what the chain costs without the file system. */
    static final class MemoryStore implements ObjectStore {
        private final Map<ObjectId, byte[]> links = new ConcurrentHashMap<>();
        private volatile byte[] journal;

        @Override
        public void put(ObjectId id, byte[] link) {
            links.put(id, link.clone());
        }

        @Override
        public Optional<byte[]> get(ObjectId id) {
            byte[] link = links.get(id);
            return link == null ? Optional.empty() : Optional.of(link.clone());
        }

        @Override
        public List<ObjectId> list() {
            List<ObjectId> ids = new ArrayList<>(links.keySet());
            ids.sort(null);
            return ids;
        }

        @Override
        public void putJournal(byte[] bytes) {
            journal = bytes.clone();
        }

        @Override
        public Optional<byte[]> getJournal() {
            return Optional.ofNullable(journal);
        }

        @Override
        public void deleteJournal() {
            journal = null;
        }
    }
}
