package dev.cloudproxy.tao.benchmarks;

import dev.cloudproxy.tao.host.AdminClient;
import dev.cloudproxy.tao.host.HostDirectory;
import dev.cloudproxy.tao.host.HostService;
import dev.cloudproxy.tao.host.HostSetup;
import dev.cloudproxy.tao.host.OpenedHost;
import dev.cloudproxy.tao.host.ProgramSpec;
import dev.cloudproxy.tao.keys.Argon2Params;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
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
 * Starting a short program (/bin/true) and waiting for it to exit: as a hosted program of a
 * running host (sealed copy, SHA-256, registration), through the host's admin socket as
 * {@code tao run} does (without the CLI's own JVM start), and with a plain {@link ProcessBuilder}
 * in the same run as the baseline.
 *
 * <pre>java --enable-native-access=ALL-UNNAMED -jar benchmarks/target/benchmarks.jar HostStartBenchmark</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class HostStartBenchmark {
    private static final Path TRUE = Path.of("/bin/true");

    private Path dir;
    private OpenedHost opened;
    private HostService service;
    private AdminClient admin;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        dir = Files.createTempDirectory("tao-host-bench");
        HostDirectory hd = new HostDirectory(dir.resolve("host"));
        char[] password = "bench".toCharArray();
        HostSetup.initRoot(hd, password, Optional.empty(), Argon2Params.FLOOR);
        opened = HostSetup.openRoot(hd, password);
        service = HostService.start(opened);
        admin = AdminClient.connect(service.adminSocket());
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        admin.close();
        service.close();
        opened.close();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    @Benchmark
    public int hostedStartAndExit() throws Exception {
        return service.runner().start(ProgramSpec.process(TRUE, List.of()), false).exit().get();
    }

    @Benchmark
    public int adminRunAndExit() throws Exception {
        try (AdminClient c = AdminClient.connect(service.adminSocket())) {
            return c.run(ProgramSpec.process(TRUE, List.of()), InputStream.nullInputStream(),
                    OutputStream.nullOutputStream(), OutputStream.nullOutputStream(), p -> { });
        }
    }

    @Benchmark
    public int baselinePlainStartAndExit() throws Exception {
        return new ProcessBuilder(TRUE.toString()).redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
    }
}
