package dev.cloudproxy.tao.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudproxy.tao.launcher.LauncherProcess.Result;
import dev.cloudproxy.tao.launcher.apps.EnvApp;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Attacks on the launcher and its app by another program on the machine (issue 14, attacks 1-4
 * and 11), each run as the attacker would, each failing for the attacker.
 */
class LauncherAttackTest {
    @TempDir
    Path tmp;

    Path home;
    Map<String, String> env;

    @BeforeEach
    void setUp() throws Exception {
        home = Files.createDirectory(tmp.resolve("home"));
        env = new HashMap<>();
        env.put("TAO_HOME", home.toString());
        env.put("HOME", tmp.toString());
    }

    private Path app(String name, Class<?> main) throws Exception {
        return TestApps.jar(Files.createDirectories(tmp.resolve(name)), name, main, null);
    }

    @Test
    void jvmOption_jmxRemote_isRefusedWith125AndOneLine() throws Exception {
        Path jar = app("env", EnvApp.class);

        Result r = LauncherProcess.run(tmp, env, List.of("--jvm-option=-Dcom.sun.management.jmxremote.port=9010",
                "--jvm-option=-Dcom.sun.management.jmxremote.authenticate=false", jar.toString()));

        assertThat(r.status()).isEqualTo(Main.LAUNCHER_FAILED);
        assertThat(r.err()).isEqualTo("tao-launcher: JVM option '-Dcom.sun.management.jmxremote.port=...' is refused:"
                + " it opens a remote management (JMX) channel into the app\n");
        assertThat(r.out()).isEmpty();
        try (var runs = Files.list(home)) {
            assertThat(runs).as("nothing was created: the refusal comes before any key is opened").isEmpty();
        }
    }

    @Test
    void jvmOption_refusedByTheMeasurementOrThePolicy_exits125WithOneLineAndNoStackTrace() throws Exception {
        Path jar = app("env", EnvApp.class);
        for (String bad : List.of("--class-path=/tmp/x", "-XX:Flags=/tmp/flags", "@/tmp/args", "-cp",
                "--add-opens=java.base/java.lang=ALL-UNNAMED", "-XX:+UnlockDiagnosticVMOptions")) {
            Result r = LauncherProcess.run(tmp, env, List.of("--jvm-option=" + bad, jar.toString()));

            assertThat(r.status()).as(bad).isEqualTo(Main.LAUNCHER_FAILED);
            assertThat(r.err().lines()).as(bad).hasSize(1).allMatch(l -> l.startsWith("tao-launcher: JVM option '"));
            assertThat(r.err()).as(bad).doesNotContain("Exception").doesNotContain("\tat ");
        }
    }
}
