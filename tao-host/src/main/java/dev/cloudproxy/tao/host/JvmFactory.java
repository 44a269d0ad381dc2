package dev.cloudproxy.tao.host;

import dev.cloudproxy.tao.auth.SubPrin;
import dev.cloudproxy.tao.io.AtomicFiles;
import dev.cloudproxy.tao.measurement.JvmProgram;
import dev.cloudproxy.tao.measurement.Measurement;
import dev.cloudproxy.tao.measurement.MeasurementException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * The {@code jvm} factory: a Java program measured by {@link JvmProgram} (runtime, jars by
 * content, main class, JVM options), named {@code Jvm(ext.Runtime(..), ext.Agent(..), ext.App(..), ext.Config(..))} (docs/measurement.md).
 *
 * <p>The jar and every extra class path jar are first copied into a private directory of the
 * host ({@code programs/}, mode 0700, files 0400; a root host then hands them to the program's
 * own group, read-only, see {@link ProgramRunner}); the copies are measured and run, and removed
 * when the program exits. Paths are not part of the measurement, so the copies measure as the
 * originals. Jars must be self-contained: a manifest {@code Class-Path} would resolve against the
 * private directory and is refused by the measurement as missing. Directories on the class path
 * are refused. JVM options must pass {@link JvmOptionPolicy}, the project's one allowlist (the
 * launcher's options for its app pass the same one). The runtime ({@code java.home}, 150-300 MB)
 * is measured where it is, not copied: it must not be writable by anyone the host does not trust
 * (a root-owned JDK is).
 */
public final class JvmFactory implements ProgramFactory {
    /** Largest jar the factory copies. */
    public static final long MAX_JAR_BYTES = 1L << 30;

    private final Path javaHome;

    /** A factory that runs programs on {@code javaHome} (e.g. the host's own runtime). */
    public JvmFactory(Path javaHome) {
        this.javaHome = javaHome.toAbsolutePath();
    }

    /** A factory on the runtime running this code. */
    public static JvmFactory onThisRuntime() {
        return new JvmFactory(Path.of(System.getProperty("java.home")));
    }

    @Override
    public String name() {
        return ProgramSpec.JVM;
    }

    @Override
    public Prepared prepare(ProgramSpec spec, Path scratch) throws ProgramStartException {
        try {
            JvmOptionPolicy.checkAll(spec.jvmOptions());
        } catch (RefusedJvmOptionException e) {
            throw new ProgramStartException(e.getMessage());
        }
        Path dir;
        try {
            AtomicFiles.createPrivateDirectories(scratch);
            dir = Files.createTempDirectory(scratch, "jvm-",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } catch (IOException e) {
            throw new ProgramStartException("cannot make a private directory in " + scratch + ": " + e.getMessage());
        }
        AutoCloseable cleanup = () -> AtomicFiles.deleteTree(dir);
        try {
            Path jar = copy(spec.path(), dir.resolve("app.jar"));
            List<Path> extra = new ArrayList<>();
            for (int i = 0; i < spec.classpath().size(); i++) {
                extra.add(copy(spec.classpath().get(i), dir.resolve("cp" + i + ".jar")));
            }
            JvmProgram.Builder b = JvmProgram.builder().jar(jar).classpath(extra).jvmOptions(spec.jvmOptions())
                    .runtime(javaHome);
            spec.mainClass().ifPresent(b::mainClass);
            Measurement m = b.build().measure();
            String main = m.items().stream().filter(i -> i.kind() == Measurement.Kind.MAIN_CLASS)
                    .map(Measurement.Item::name).findFirst()
                    .orElseThrow(() -> new ProgramStartException("the measurement names no main class"));
            // The execute-only copy of bin/java: the program is non-dumpable from its first
            // instruction for its user's other processes (PrivateJava).
            Path java = PrivateJava.create(javaHome, dir.resolve("java"));
            List<String> options = spec.jvmOptions();
            List<String> args = spec.args();
            // The class path names the copies wherever the program finds the scratch directory.
            Function<Path, List<String>> command = seen -> {
                List<String> c = new ArrayList<>();
                // A program under its own uid (root host) sees this directory only through a
                // descriptor, where the copy's $ORIGIN/../lib cannot be followed to libjli; its
                // uid alone keeps every other user out of its memory, so it runs the runtime's own.
                c.add(seen.equals(scratch) ? java.toString() : javaHome.resolve("bin").resolve("java").toString());
                c.addAll(options);
                c.add("-cp");
                StringBuilder cp = new StringBuilder(seen.resolve(scratch.relativize(jar)).toString());
                for (Path p : extra) {
                    cp.append(':').append(seen.resolve(scratch.relativize(p)));
                }
                c.add(cp.toString());
                c.add(main);
                c.addAll(args);
                return c;
            };
            return new Prepared(SubPrin.of(m.extension()), scratch, command, Optional.empty(), cleanup);
        } catch (MeasurementException e) {
            close(cleanup);
            throw new ProgramStartException("cannot measure " + spec.path() + ": " + e.getMessage());
        } catch (IOException e) {
            close(cleanup);
            throw new ProgramStartException("cannot make the private copy of bin/java: " + e.getMessage());
        } catch (ProgramStartException | RuntimeException e) {
            close(cleanup);
            throw e;
        }
    }

    private static Path copy(Path source, Path target) throws ProgramStartException {
        if (!Files.isRegularFile(source)) {
            throw new ProgramStartException((Files.exists(source, LinkOption.NOFOLLOW_LINKS)
                    ? "not a jar file (directories are refused): " : "no such jar: ") + source);
        }
        try (InputStream in = Files.newInputStream(source)) {
            Files.createFile(target, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            try (var out = Files.newOutputStream(target, StandardOpenOption.WRITE)) {
                byte[] buf = new byte[64 << 10];
                long total = 0;
                for (int n = in.read(buf); n >= 0; n = in.read(buf)) {
                    total += n;
                    if (total > MAX_JAR_BYTES) {
                        throw new ProgramStartException(source + " is larger than " + MAX_JAR_BYTES + " bytes");
                    }
                    out.write(buf, 0, n);
                }
            }
            Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("r--------"));
            return target;
        } catch (IOException e) {
            throw new ProgramStartException("cannot copy " + source + ": " + e.getMessage());
        }
    }

    private static void close(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            // best effort
        }
    }

}
