package dev.cloudproxy.tao.cli;

import dev.cloudproxy.tao.auth.Form;
import dev.cloudproxy.tao.domain.PolicyFacts;
import dev.cloudproxy.tao.launcher.LaunchedProgram;
import dev.cloudproxy.tao.measurement.JvmProgram;
import dev.cloudproxy.tao.measurement.Measurement;
import dev.cloudproxy.tao.measurement.MeasurementException;
import java.io.IOException;
import java.nio.file.Path;
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
        try (PrivateTemp temp = PrivateTemp.create("tao-policy-")) {
            Path scratch = temp.dir();
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
        }
        return new LaunchedFacts(additions, retractions);
    }
}
