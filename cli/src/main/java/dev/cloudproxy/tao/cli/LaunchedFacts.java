package dev.cloudproxy.tao.cli;

import dev.cloudproxy.tao.auth.Form;
import dev.cloudproxy.tao.domain.PolicyFacts;
import dev.cloudproxy.tao.io.AtomicFiles;
import dev.cloudproxy.tao.launcher.LaunchedProgram;
import dev.cloudproxy.tao.measurement.JvmProgram;
import dev.cloudproxy.tao.measurement.Measurement;
import dev.cloudproxy.tao.measurement.MeasurementException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

/**
 * The policy facts for launched JVM apps that {@code tao domain policy --trust-app/--retract-app/
 * --trust-runtime/--trust-agent/--trust-launcher} add or remove, each computed by the code that
 * names the program ({@link LaunchedProgram}, {@link JvmProgram}), so that a fact names exactly
 * the part the launcher or host will put in the name.
 */
record LaunchedFacts(List<Form> additions, List<Form> retractions) {
    static LaunchedFacts of(boolean trustApp, boolean retractApp, List<String> launcherArgs, List<Path> runtimes,
            List<Path> agents, List<Path> launchers) throws InputException {
        if (trustApp && retractApp) {
            throw new InputException("--trust-app and --retract-app take the same command line: give one of them");
        }
        if ((trustApp || retractApp) == launcherArgs.isEmpty()) {
            throw new InputException(launcherArgs.isEmpty()
                    ? "--trust-app and --retract-app need the launcher's command line after '--': [options] APP.jar"
                    : "unexpected arguments after DIR (the launcher's command line goes with --trust-app)");
        }
        List<Form> additions = new ArrayList<>();
        List<Form> retractions = new ArrayList<>();
        if (!trustApp && !retractApp && runtimes.isEmpty() && agents.isEmpty() && launchers.isEmpty()) {
            return new LaunchedFacts(additions, retractions);
        }
        Path scratch = null;
        try {
            scratch = Files.createTempDirectory("tao-policy-",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            if (trustApp || retractApp) {
                Path agent = LaunchedProgram.bundledAgent(scratch.resolve("tao-agent.jar"));
                Measurement.Name n = LaunchedProgram.measure(launcherArgs, agent, scratch).name();
                (trustApp ? additions : retractions).add(PolicyFacts.trustedApp(n.appTerm(), n.configTerm()));
            }
            for (Path home : runtimes) {
                additions.add(PolicyFacts.trustedRuntime(Measurement.Name.runtimeTerm(JvmProgram.runtimeDigest(home))));
            }
            for (Path launcher : agents) {
                additions.add(PolicyFacts.trustedAgent(LaunchedProgram.agentOfLauncher(launcher, scratch).agentTerm()));
            }
            for (Path launcher : launchers) {
                Measurement.Name n = LaunchedProgram.onAHost(launcher, Path.of(System.getProperty("java.home"))).name();
                additions.add(PolicyFacts.trustedLauncher(n.agentTerm(), n.appTerm(), n.configTerm()));
            }
        } catch (MeasurementException | IllegalArgumentException e) {
            throw new InputException(e.getMessage());
        } catch (IOException e) {
            throw new InputException("cannot measure: " + e.getMessage());
        } finally {
            if (scratch != null) {
                try {
                    AtomicFiles.deleteTree(scratch);
                } catch (IOException e) {
                    // a private temporary directory left behind costs only space
                }
            }
        }
        return new LaunchedFacts(additions, retractions);
    }
}
