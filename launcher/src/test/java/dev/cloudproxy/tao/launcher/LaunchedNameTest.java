package dev.cloudproxy.tao.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.host.HostDirectory;
import dev.cloudproxy.tao.host.HostService;
import dev.cloudproxy.tao.host.HostSetup;
import dev.cloudproxy.tao.host.OpenedHost;
import dev.cloudproxy.tao.host.ProgramRunner;
import dev.cloudproxy.tao.host.ProgramUsers;
import dev.cloudproxy.tao.keys.Argon2Params;
import dev.cloudproxy.tao.keys.Keys;
import dev.cloudproxy.tao.launcher.LauncherProcess.Result;
import dev.cloudproxy.tao.launcher.apps.NameApp;
import dev.cloudproxy.tao.measurement.Measurement;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The name an app gets when it runs, the name {@code --print-name} prints and the name
 * {@link LaunchedProgram#measure(List, Path, Path)} (what {@code tao measure --launched} calls)
 * computes are one and the same, for every kind of launcher option that goes into it.
 */
class LaunchedNameTest {
    private static final Path JDK25 = Path.of("/usr/lib/jvm/temurin-25-jdk-amd64");

    @TempDir
    Path tmp;

    private Path home;
    private Map<String, String> env;
    private Path app;

    @BeforeEach
    void setUp() throws Exception {
        home = Files.createDirectory(tmp.resolve("home"));
        env = new HashMap<>(Map.of("TAO_HOME", home.toString(), "HOME", tmp.toString()));
        app = TestApps.jar(Files.createDirectories(tmp.resolve("name")), "name", NameApp.class, null);
    }

    @Test
    void plainApp_runPrintNameAndMeasure_agree() throws Exception {
        assertAllAgree(List.of());
    }

    @Test
    void appWithJvmOptions_runPrintNameAndMeasure_agree() throws Exception {
        assertAllAgree(List.of("--jvm-option=-Xmx200m", "--jvm-option", "-Dgreeting=hello world"));
    }

    @Test
    void appWithChannelRules_runPrintNameAndMeasure_agree_andOnlyTheConfigPartMoves() throws Exception {
        Measurement.Name plain = assertAllAgree(List.of());
        Measurement.Name ruled = assertAllAgree(List.of("--rule", "out 127.0.0.1 19092 DENY"));
        Measurement.Name ranged = assertAllAgree(List.of("--rule", "out 127.0.0.1 19092-19099 DENY"));
        assertThat(List.of(plain.config(), ruled.config(), ranged.config())).doesNotHaveDuplicates();
        for (Measurement.Name n : List.of(ruled, ranged)) {
            assertThat(new Measurement.Name(plain.runtime(), plain.agentVersion(), plain.agents(), plain.app(), n.config()))
                    .isEqualTo(n);
        }
    }

    @Test
    void appOnJdk25_runPrintNameAndMeasure_agree_andOnlyTheRuntimePartMoves() throws Exception {
        assumeTrue(Files.isRegularFile(JDK25.resolve("release")), "no JDK 25 at " + JDK25);
        assumeTrue(!JDK25.toRealPath().equals(Path.of(System.getProperty("java.home")).toRealPath()),
                "the tests already run on JDK 25");
        Measurement.Name own = assertAllAgree(List.of());
        Measurement.Name jdk25 = assertAllAgree(List.of("--java-home", JDK25.toString()));
        assertThat(jdk25.runtime()).isNotEqualTo(own.runtime());
        // JDK 22+ gets --enable-native-access from the launcher: a configuration change too.
        assertThat(jdk25.app()).isEqualTo(own.app());
        assertThat(jdk25.agents()).isEqualTo(own.agents());
        assertThat(jdk25.agentVersion()).isNotEmpty();
    }

    @Test
    void stackedOnAHost_runAndPrintNameGiveOneName_endingInTheMeasuredExtension() throws Exception {
        char[] password = "host password".toCharArray();
        HostDirectory dir = new HostDirectory(home.resolve("host"));
        HostSetup.initRoot(dir, password, Optional.empty(), Argon2Params.FLOOR);
        env.put("TAO_LAUNCHER_JAR", TestApps.launcherJar(Files.createDirectory(tmp.resolve("launcher"))).toString());
        List<String> options = List.of("--jvm-option=-Xmx200m");
        try (OpenedHost opened = HostSetup.openRoot(dir, password);
                HostService service = HostService.start(opened, ProgramRunner.defaultFactories(), ProgramUsers.hostUser())) {
            Prin ran = ranName(options);
            Prin printed = printedName(options);

            assertThat(printed).isEqualTo(ran);
            assertThat(ran.isExtensionOf(opened.host().name())).isTrue();
            assertThat(ran.lastExtension()).contains(measured(options).extension());
            // host.Jvm(launcher).LiberalGuard().Jvm(app): the launcher's part is what a
            // TrustedLauncher fact (tao domain policy --trust-launcher) is computed from.
            Measurement launcher = LaunchedProgram.onAHost(Path.of(env.get("TAO_LAUNCHER_JAR")),
                    Path.of(System.getProperty("java.home")));
            assertThat(ran.parent().flatMap(Prin::parent).flatMap(Prin::lastExtension)).contains(launcher.extension());
        }
    }

    /** Runs, prints and measures the app with {@code options} on the development root; returns the name's parts. */
    private Measurement.Name assertAllAgree(List<String> options) throws Exception {
        Prin ran = ranName(options);
        Prin printed = printedName(options);
        Prin root = Keys.readVerifier(home.resolve("launcher/root")).principal();
        Measurement m = measured(options);

        assertThat(printed).isEqualTo(ran);
        assertThat(ran).isEqualTo(root.extend(m.extension()));
        return m.name();
    }

    private Prin ranName(List<String> options) throws Exception {
        Result r = LauncherProcess.run(tmp, env, args(options));
        assertThat(r.status()).as(r.err()).isZero();
        return Prin.parse(r.out().strip().substring("name: ".length()));
    }

    private Prin printedName(List<String> options) throws Exception {
        List<String> a = new ArrayList<>(List.of("--print-name"));
        a.addAll(args(options));
        Result r = LauncherProcess.run(tmp, env, a);
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out().lines()).as("the app did not run").hasSize(1).noneMatch(l -> l.startsWith("name: "));
        return Prin.parse(r.out().strip());
    }

    private Measurement measured(List<String> options) throws Exception {
        Path agent = LaunchedProgram.bundledAgent(tmp.resolve("agent.jar"));
        Measurement m = LaunchedProgram.measure(args(options), agent, Files.createDirectories(tmp.resolve("scratch")));
        try (Stream<Path> left = Files.list(tmp.resolve("scratch"))) {
            assertThat(left).as("nothing left behind").isEmpty();
        }
        return m;
    }

    private List<String> args(List<String> options) {
        List<String> a = new ArrayList<>(options);
        a.add(app.toString());
        return a;
    }
}
