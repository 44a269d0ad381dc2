package dev.cloudproxy.tao.benchmarks;

import dev.cloudproxy.tao.measurement.JvmProgram;
import dev.cloudproxy.tao.measurement.MeasurementException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Measuring a ~50 MB app jar (2,000 entries of 25 KB of random bytes), beside its baseline in
 * the same run: SHA-256 of the jar's bytes as they lie on disk. The runtime's digests are cached
 * within the process after the first measurement, so this times the jar. {@code stored} jars
 * cost SHA-256 plus the zip walk; {@code deflated} ones add inflation.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(2)
@State(Scope.Benchmark)
public class MeasurementBenchmark {
    static final int ENTRIES = 2_000;
    static final int ENTRY_BYTES = 25_000;

    @Param({"stored", "deflated"})
    public String compression;

    private Path dir;
    private Path jar;
    private JvmProgram program;
    private MessageDigest sha256;
    private byte[] buffer;

    @Setup
    public void setUp() throws IOException, NoSuchAlgorithmException, MeasurementException {
        dir = Files.createTempDirectory("measurement-bench");
        jar = dir.resolve("app.jar");
        Manifest mf = new Manifest();
        mf.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        mf.getMainAttributes().put(Attributes.Name.MAIN_CLASS, "bench.Main");
        SplittableRandom random = new SplittableRandom(1);
        byte[] data = new byte[ENTRY_BYTES];
        try (OutputStream os = Files.newOutputStream(jar); JarOutputStream out = new JarOutputStream(os, mf)) {
            for (int i = 0; i < ENTRIES; i++) {
                random.nextBytes(data);
                ZipEntry e = new ZipEntry("bench/C" + i + ".class");
                if (compression.equals("stored")) {
                    CRC32 crc = new CRC32();
                    crc.update(data);
                    e.setMethod(ZipEntry.STORED);
                    e.setSize(data.length);
                    e.setCompressedSize(data.length);
                    e.setCrc(crc.getValue());
                }
                out.putNextEntry(e);
                out.write(data);
                out.closeEntry();
            }
        }
        program = JvmProgram.builder().jar(jar).build();
        program.measure();
        sha256 = MessageDigest.getInstance("SHA-256");
        buffer = new byte[1 << 16];
    }

    @TearDown
    public void tearDown() throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    @Benchmark
    public Object measureJar() throws MeasurementException {
        return program.measure();
    }

    @Benchmark
    public byte[] baselineSha256OfJarFile() throws IOException {
        try (var in = Files.newInputStream(jar)) {
            int n;
            while ((n = in.read(buffer)) > 0) {
                sha256.update(buffer, 0, n);
            }
        }
        return sha256.digest();
    }
}
