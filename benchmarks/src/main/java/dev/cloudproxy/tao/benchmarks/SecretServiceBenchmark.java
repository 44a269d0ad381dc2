package dev.cloudproxy.tao.benchmarks;

import dev.cloudproxy.tao.CoreTao;
import dev.cloudproxy.tao.auth.Bytes;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.PrinExt;
import dev.cloudproxy.tao.channel.ProgramCredentials;
import dev.cloudproxy.tao.channel.TaoChannel;
import dev.cloudproxy.tao.channel.TaoChannels;
import dev.cloudproxy.tao.channel.TaoListener;
import dev.cloudproxy.tao.domain.DomainTemplate;
import dev.cloudproxy.tao.domain.PolicyCertificate;
import dev.cloudproxy.tao.domain.ProgramCertificate;
import dev.cloudproxy.tao.guard.DatalogGuard;
import dev.cloudproxy.tao.keys.Signer;
import dev.cloudproxy.tao.kms.DirectiveVerifier;
import dev.cloudproxy.tao.kms.DirectoryStore;
import dev.cloudproxy.tao.kms.MasterKey;
import dev.cloudproxy.tao.kms.ObjectMaterial;
import dev.cloudproxy.tao.kms.ObjectName;
import dev.cloudproxy.tao.kms.ObjectType;
import dev.cloudproxy.tao.kms.ProtectedObjects;
import dev.cloudproxy.tao.kms.Validity;
import dev.cloudproxy.tao.secrets.SecretProtocol;
import dev.cloudproxy.tao.secrets.SecretRequest;
import dev.cloudproxy.tao.secrets.SecretService;
import dev.cloudproxy.tao.secrets.SecretServiceClient;
import dev.cloudproxy.tao.soft.SoftTao;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
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
 * A secret-service READ round trip of a 1 KiB file through the 4-link chain (request framed,
 * guard asked, chain read from a directory store, audit line written, answer framed), beside
 * its baseline in the same run: a Tao channel round trip of the same sizes (the encoded READ
 * request out, 1 KiB back) to an echo-sized server on an open channel.
 *
 * <pre>java -jar benchmarks/target/benchmarks.jar SecretServiceBenchmark</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class SecretServiceBenchmark {
    private static final ObjectName ZONE = ObjectName.of("/customers");
    private static final ObjectName FOLDER = ObjectName.of("/customers/key/customer-folder-key");
    private static final ObjectName FILE_KEY = ObjectName.of("/customers/key/customer-file-1-key");
    private static final ObjectName FILE = ObjectName.of("/customers/file/customer-file-1");
    private static final String HOST = InetAddress.getLoopbackAddress().getHostAddress();

    private final List<Signer> keys = new ArrayList<>();
    private Signer policy;
    private Path dir;
    private MasterKey master;
    private SecretService service;
    private SecretServiceClient client;
    private TaoListener echoListener;
    private Thread echo;
    private TaoChannel echoChannel;
    private byte[] request;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        policy = Signer.generate();
        var policyCert = PolicyCertificate.create(policy, "Benchmark Domain", DomainTemplate.X509Details.NONE, 30);
        ProgramCredentials server = credentials(1, policyCert);
        ProgramCredentials reader = credentials(2, policyCert);
        dir = Files.createTempDirectory("secret-service-bench");
        master = MasterKey.openOrCreate(SoftTao.ephemeral(), dir.resolve("master.sealed"), CoreTao.SEAL_POLICY_SELF);
        ProtectedObjects objects = ProtectedObjects.open(master, DirectoryStore.open(dir.resolve("objects")),
                Clock.systemUTC());
        objects.createKey(ZONE, ObjectType.AES_256_GCM, ObjectName.ROOT, Validity.UNBOUNDED);
        objects.createKey(FOLDER, ObjectType.AES_256_GCM, ZONE, Validity.UNBOUNDED);
        objects.createKey(FILE_KEY, ObjectType.AES_256_GCM, FOLDER, Validity.UNBOUNDED);
        byte[] content = new byte[1024];
        new SecureRandom().nextBytes(content);
        objects.write(FILE, FILE_KEY, content, Validity.UNBOUNDED);
        DatalogGuard guard = DatalogGuard.inMemory();
        guard.authorize(reader.principal(), "Read", List.of(FILE.value(), "1"));
        service = SecretService.builder(server, objects, guard, DirectiveVerifier.of(policy.verifier(), Clock.systemUTC()))
                .auditLog(dir.resolve("audit.log")).idleTimeout(Duration.ofMinutes(10)).start();
        client = SecretServiceClient.dial(HOST, service.address().getPort(), reader, server.principal());

        // The baseline: the same request bytes out, 1 KiB back, over a Tao channel with the same bound.
        request = SecretProtocol.encodeRequest(SecretRequest.readNewest(FILE));
        TaoChannels serverChannels = TaoChannels.builder(server).maxMessageBytes(SecretProtocol.MAX_MESSAGE_BYTES).build();
        echoListener = serverChannels.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        echo = new Thread(() -> {
            try (TaoChannel c = echoListener.accept()) {
                while (true) {
                    c.receive();
                    c.send(content);
                }
            } catch (IOException e) {
                // Closed at tear-down.
            }
        }, "secret-bench-echo");
        echo.setDaemon(true);
        echo.start();
        echoChannel = SecretServiceClient.channels(reader, server.principal()).build()
                .dial(HOST, echoListener.port());
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        client.close();
        echoChannel.close();
        echoListener.close();
        echo.join(10_000);
        service.close();
        master.close();
        keys.forEach(Signer::close);
        policy.close();
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private ProgramCredentials credentials(int n, java.security.cert.X509Certificate policyCert) throws Exception {
        Signer key = Signer.generate();
        keys.add(key);
        byte[] hash = new byte[32];
        hash[0] = (byte) n;
        Prin name = Prin.key(new byte[32]).extend(PrinExt.of("Program", new Bytes(hash)));
        return ProgramCredentials.of(key, List.of(ProgramCertificate.issue(policy, policyCert, key.verifier(), name,
                Duration.ofDays(1), Instant.now())), policyCert);
    }

    @Benchmark
    public int secretServiceRead1KiBThrough4LinkChain() throws Exception {
        try (ObjectMaterial m = client.readNewest(FILE)) {
            return m.length();
        }
    }

    @Benchmark
    public int baselineTaoChannelRoundTripSameSizes() throws IOException {
        echoChannel.send(request);
        return echoChannel.receive().length;
    }
}
