package dev.cloudproxy.tao.measurement;

import com.code_intelligence.jazzer.api.BugDetectors;
import com.code_intelligence.jazzer.api.SilentCloseable;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fuzzes jar measurement: any bytes, written as the app jar of a {@link JvmProgram}, either
 * measure or are refused with a {@link MeasurementException} (not a zip, hostile names or sizes,
 * no or a bad main class, a Class-Path that cannot be measured, a limit reached), and a program
 * that measures measures the same again. Anything else thrown, including running out of memory
 * on sizes that lie, is a finding.
 *
 * <p>Each input is cheap: the runtime is a two-file stand-in, and the limits (64 entries, 1 MiB
 * after decompression) stop a zip bomb or a Class-Path that names a large directory early.
 *
 * <p>Jazzer's path traversal detector is off here: a jar's Class-Path may name any file or
 * directory, and measuring reads exactly what it names (as the JVM would load it), so reaching
 * the detector's target file is the documented behaviour, not a finding.
 *
 * <p>Every build runs this in regression mode on the empty input and the seeds in
 * {@code src/test/resources/dev/cloudproxy/tao/measurement/JvmProgramFuzzTestInputs/} (small jars
 * with and without manifests, Class-Path and Main-Class; files named {@code finding-*} are inputs
 * of fixed bugs). {@code .ci/fuzz} runs it in fuzzing mode.
 */
class JvmProgramFuzzTest {
    private static final long MAX_ENTRIES = 64;
    private static final long MAX_BYTES = 1 << 20;

    @TempDir
    static Path tmp;

    @FuzzTest
    void measure_anyJarBytes_measuresStablyOrThrowsMeasurementError(byte[] jarBytes) {
        Path runtime = tmp.resolve("jdk");
        Path jar = tmp.resolve("app").resolve("app.jar");
        try {
            if (!Files.exists(runtime)) {
                Files.createDirectories(runtime.resolve("bin"));
                Files.writeString(runtime.resolve("release"), "JAVA_VERSION=\"17\"\n");
                Files.writeString(runtime.resolve("bin/java"), "#!/bin/false\n");
                Files.createDirectories(jar.getParent());
            }
            Files.write(jar, jarBytes);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot set up the fuzzed program", e);
        }
        JvmProgram program = JvmProgram.builder().jar(jar).runtime(runtime).limits(MAX_ENTRIES, MAX_BYTES).build();
        Measurement first;
        Measurement second;
        try (SilentCloseable anyPath = BugDetectors.setFilePathTraversalTarget(() -> null)) {
            try {
                first = program.measure();
            } catch (MeasurementException rejected) {
                return;
            }
            try {
                second = program.measure();
            } catch (MeasurementException e) {
                throw new AssertionError("a jar that measured once is refused the second time", e);
            }
        }
        if (!second.equals(first)) {
            throw new AssertionError("the same jar measures differently: " + first + " then " + second);
        }
    }
}
