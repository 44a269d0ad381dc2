package dev.cloudproxy.tao.launcher;

import dev.cloudproxy.tao.io.AtomicFiles;
import dev.cloudproxy.tao.measurement.JvmProgram;
import dev.cloudproxy.tao.measurement.Measurement;
import dev.cloudproxy.tao.measurement.MeasurementException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * What the launcher measures for an app: the one place that turns launcher options into the
 * JVM options, agent options and runtime of the app's measurement, used by a run, by
 * {@code --print-name} and by {@code tao measure --launched}, so that all three give the same
 * name for the same options, jars and agent.
 *
 * <p>The name depends on the launcher only through the agent jar's content and these options: a
 * launcher rebuilt from the same commit (byte-identical agent, {@code .ci/reproducible}) gives
 * every app the same name.
 */
public final class LaunchedProgram {
    private LaunchedProgram() {}

    /** The measured JVM options: the user's, then what the launcher adds for this runtime and rules. */
    static List<String> jvmOptions(LauncherOptions options, int runtimeFeature) throws LauncherException {
        return JvmOptions.of(options.jvmOptions(), runtimeFeature, options.rules().needsHooks());
    }

    /** The agent's options string, measured: everything the agent is told that changes what it does. */
    static String agentOptions(LauncherOptions options) {
        return "seal-every=" + options.sealEverySeconds()
                + (options.rules().isEmpty() ? "" : "|rules=" + options.rules().toLine())
                + options.domainService().map(d -> "|domain-service=" + d).orElse("")
                + options.policyCertificate().map(c -> "|policy-cert=" + Base64.getUrlEncoder()
                        .withoutPadding().encodeToString(c)).orElse("")
                // Only when asked for, so that the names of apps that do not ask stay as they were.
                + (options.crlRefreshSeconds().isPresent() ? "|crl-refresh=" + options.crlRefreshSeconds().getAsLong() : "")
                + (options.crlAllowStale() ? "|crl-stale=allow" : "");
    }

    /** The app's runtime: {@code --java-home} or the launcher's own. */
    static Path javaHome(LauncherOptions options) {
        return options.javaHome().orElse(Path.of(System.getProperty("java.home"))).toAbsolutePath();
    }

    /**
     * Measures the copied app as the launcher runs it. Absent {@code Class-Path} entries resolve
     * inside the private copy ({@link AppCopy}), where nothing appears later.
     */
    static Measurement measure(LauncherOptions options, AppCopy.Copied app, List<String> jvmOptions, Path agentJar,
            String agentOptions, Path javaHome, Optional<Path> runtimeDigestCache) throws LauncherException {
        JvmProgram.Builder b = JvmProgram.builder().jar(app.appJar()).classpath(app.classpath())
                .jvmOptions(jvmOptions).agent(agentJar, agentOptions).runtime(javaHome).recordAbsentClassPathEntries();
        runtimeDigestCache.ifPresent(b::runtimeDigestCache);
        options.mainClass().ifPresent(b::mainClass);
        try {
            return b.build().measure();
        } catch (MeasurementException | IllegalArgumentException e) {
            throw new LauncherException("cannot measure the app: " + e.getMessage(), e);
        }
    }

    /**
     * The measurement the launcher would make for {@code launcherArgs} ({@code [options] app.jar
     * [app args]}, as given to {@code java -jar tao-launcher.jar}) with {@code agentJar} as its
     * agent, without running anything. The app is copied into {@code scratch} (a new private
     * directory there, removed before this returns) and measured there, as a run does; no
     * persistent runtime digest cache is used (it changes no digest, only time).
     *
     * @throws IllegalArgumentException for options the launcher refuses, a file it cannot read or
     *     an app it cannot measure, with the launcher's one-line message
     */
    public static Measurement measure(List<String> launcherArgs, Path agentJar, Path scratch) throws IOException {
        Path dir = Files.createTempDirectory(scratch, "launched-");
        try {
            LauncherOptions options = LauncherOptions.parse(launcherArgs);
            Path javaHome = javaHome(options);
            List<String> jvmOptions = jvmOptions(options, Launch.runtimeFeature(javaHome));
            AppCopy.Copied app = AppCopy.copy(options.appJar(), options.classpath(), dir.resolve("app"));
            return measure(options, app, jvmOptions, agentJar, agentOptions(options), javaHome, Optional.empty());
        } catch (LauncherException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        } finally {
            AtomicFiles.deleteTree(dir);
        }
    }

    /**
     * The JVM options with which the launcher in front of a Tao host has the host run it
     * ({@link StackedFrontEnd}): measured by the host into the launcher's own name.
     */
    public static List<String> jvmOptionsOnAHost() {
        List<String> options = new ArrayList<>(List.of("--enable-native-access=ALL-UNNAMED"));
        options.addAll(JvmOptions.HARDENING);
        return List.copyOf(options);
    }

    /**
     * The launcher jar as a Tao host's {@code jvm} factory measures it when the launcher runs in
     * front of that host: no agent, its own {@code Main-Class}, {@link #jvmOptionsOnAHost()}, on
     * {@code javaHome}. Its name's agent, app and config parts are what a
     * {@code TrustedLauncher} fact names.
     *
     * @throws IllegalArgumentException if it cannot be measured, with a one-line reason
     */
    public static Measurement onAHost(Path launcherJar, Path javaHome) {
        try {
            return JvmProgram.builder().jar(launcherJar).jvmOptions(jvmOptionsOnAHost()).runtime(javaHome)
                    .build().measure();
        } catch (MeasurementException e) {
            throw new IllegalArgumentException("cannot measure the launcher: " + e.getMessage(), e);
        }
    }

    /**
     * The agent part ({@code ext.Agent("V", [a])}) of every app that {@code launcherJar} runs,
     * measured as a run measures it (the agent jar first and only), whatever the app.
     *
     * @throws IOException if the launcher jar has no agent or a file cannot be written
     * @throws IllegalArgumentException if the agent cannot be measured
     */
    public static Measurement.Name agentOfLauncher(Path launcherJar, Path scratch) throws IOException {
        Path dir = Files.createTempDirectory(scratch, "agent-");
        try {
            Path agent = agentOf(launcherJar, dir.resolve("tao-agent.jar"));
            // Any app will do: the agent part covers the agent jars only.
            return JvmProgram.builder().jar(agent).mainClass("Agent").agent(agent, "").build().measure().name();
        } catch (MeasurementException e) {
            throw new IllegalArgumentException("cannot measure the agent of " + launcherJar + ": " + e.getMessage(), e);
        } finally {
            AtomicFiles.deleteTree(dir);
        }
    }

    /**
     * Writes the agent jar carried inside {@code launcherJar} (a {@code tao-launcher.jar}) to
     * {@code target}, so that a launcher other than the one on this class path can be measured.
     *
     * @throws IOException if it is not a launcher jar or cannot be read
     */
    public static Path agentOf(Path launcherJar, Path target) throws IOException {
        String entry = LaunchedProgram.class.getPackageName().replace('.', '/') + "/" + AgentJar.RESOURCE;
        try (ZipFile zip = new ZipFile(launcherJar.toFile())) {
            ZipEntry e = zip.getEntry(entry);
            if (e == null) {
                throw new IOException(launcherJar + " is not a launcher jar: it has no " + entry);
            }
            try (InputStream in = zip.getInputStream(e)) {
                return write(in, target);
            }
        }
    }

    /** Writes the agent jar of the launcher on this class path to {@code target}. */
    public static Path bundledAgent(Path target) throws IOException {
        try (InputStream in = AgentJar.class.getResourceAsStream(AgentJar.RESOURCE)) {
            if (in == null) {
                throw new IOException("no " + AgentJar.RESOURCE + " on the class path (a broken build?)");
            }
            return write(in, target);
        }
    }

    private static Path write(InputStream agent, Path target) throws IOException {
        byte[] jar = agent.readNBytes(AgentJar.MAX_BYTES + 1);
        if (jar.length > AgentJar.MAX_BYTES) {
            throw new IOException("the agent jar is larger than " + AgentJar.MAX_BYTES + " bytes");
        }
        AtomicFiles.writeOwnerOnly(target, jar);
        return target;
    }
}
