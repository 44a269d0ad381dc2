package dev.cloudproxy.tao.launcher;

import dev.cloudproxy.tao.host.AdminClient;
import dev.cloudproxy.tao.host.HostException;
import dev.cloudproxy.tao.host.ProgramSpec;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * In front of a running host: has the host start this launcher jar as a hosted JVM program with
 * the same arguments (the host measures the launcher, and the launcher inside becomes a stacked
 * host for the app), and relays standard input, output, error and the exit status over the admin
 * connection. If this process goes away first, the host stops the launcher, which stops the app.
 */
final class StackedFrontEnd {
    /** Environment variable naming the launcher jar to hand to the host (default: this jar). */
    static final String LAUNCHER_JAR_ENV = "TAO_LAUNCHER_JAR";

    private StackedFrontEnd() {}

    static int run(HostLocator.Found host, List<String> args, TaoHome home, Map<String, String> env, PrintStream err,
            boolean verbose) throws LauncherException {
        Path jar = launcherJar(env);
        ProgramSpec spec = ProgramSpec.jvm(jar, args).withJvmOptions(LaunchedProgram.jvmOptionsOnAHost())
                .withEnv(forwardedEnvironment(home, env))
                .withDirectory(Path.of("").toAbsolutePath());
        try (AdminClient client = AdminClient.connect(host.adminSocket())) {
            return client.run(spec, System.in, System.out, System.err, started -> {
                if (verbose) {
                    err.println("tao-launcher: the Tao host at " + host.adminSocket() + " runs the launcher as "
                            + started.getName());
                }
            });
        } catch (IOException | HostException e) {
            throw new LauncherException("cannot run on the Tao host found via " + host.how() + " at " + host.adminSocket()
                    + ": " + e.getMessage() + ". Refusing rather than running the app unprotected on the development"
                    + " root; pass --dev-root to run on the development root anyway.", e);
        }
    }

    private static Path launcherJar(Map<String, String> env) throws LauncherException {
        String named = env.get(LAUNCHER_JAR_ENV);
        Path jar;
        if (named != null && !named.isEmpty()) {
            jar = Path.of(named);
        } else {
            try {
                jar = Path.of(StackedFrontEnd.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            } catch (URISyntaxException | RuntimeException e) {
                throw new LauncherException("cannot tell which jar this launcher runs from");
            }
        }
        if (!Files.isRegularFile(jar)) {
            throw new LauncherException("running on a Tao host needs the launcher as one jar (tao-launcher.jar),"
                    + " not " + jar + "; set " + LAUNCHER_JAR_ENV);
        }
        return jar.toAbsolutePath();
    }

    /**
     * The caller's environment for the launcher (and so the app) on the host: everything the host
     * accepts, minus the launcher's own {@code TAO_*} settings (the password above all) and the
     * variables that inject code or JVM options (the launcher inside would otherwise restart
     * itself with options the host did not measure), plus
     * {@code TAO_HOME} so the launcher inside finds the same directories.
     */
    static List<String> forwardedEnvironment(TaoHome home, Map<String, String> env) {
        Map<String, String> out = new TreeMap<>();
        for (Map.Entry<String, String> e : env.entrySet()) {
            String entry = e.getKey() + "=" + e.getValue();
            if (e.getKey().startsWith("TAO_") || e.getKey().equals("PATH") || ChildEnvironment.injects(e.getKey())) {
                // (already gone from this hardened launcher's own environment, HardenedJvm)
                continue;
            }
            try {
                ProgramSpec.checkEnv(entry);
                out.put(e.getKey(), e.getValue());
            } catch (IllegalArgumentException refusedByTheHost) {
                // the host would refuse the whole start; the launcher scrubs these anyway
            }
        }
        out.put(TaoHome.ENV, home.dir().toString());
        List<String> entries = new ArrayList<>();
        out.forEach((k, v) -> entries.add(k + "=" + v));
        return entries;
    }
}
