package dev.cloudproxy.tao.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.PrinExt;
import dev.cloudproxy.tao.keys.Keys;
import dev.cloudproxy.tao.launcher.LauncherProcess.Result;
import dev.cloudproxy.tao.launcher.apps.BadSealedApp;
import dev.cloudproxy.tao.launcher.apps.EnvApp;
import dev.cloudproxy.tao.launcher.apps.NameApp;
import dev.cloudproxy.tao.launcher.apps.SealedApp;
import dev.cloudproxy.tao.launcher.apps.UpperApp;
import dev.cloudproxy.tao.launcher.apps.WaitApp;
import java.io.BufferedReader;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The launcher as users run it, on a development root in a temporary TAO_HOME. */
class LauncherEndToEndTest {
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

    private Result launchWithInput(String stdin, Object... args) throws Exception {
        List<String> a = new ArrayList<>();
        for (Object o : args) {
            a.add(o.toString());
        }
        return LauncherProcess.run(tmp, env, stdin, a);
    }

    private Result launch(Object... args) throws Exception {
        return launchWithInput("", args);
    }

    private Path app(String name, Class<?> main) throws Exception {
        return TestApps.jar(Files.createDirectories(tmp.resolve(name)), name, main, null);
    }

    @Test
    void app_onFreshHome_printsItsNameUnderTheRootKeyAndExitsWithItsStatus() throws Exception {
        Path jar = app("name", NameApp.class);

        Result r = launch(jar, 42);

        assertThat(r.status()).as(r.err()).isEqualTo(42);
        assertThat(r.err()).contains("DEVELOPMENT ROOT").contains("not hardware-protected");
        assertThat(r.err().lines()).allMatch(l -> l.startsWith("tao-launcher: ")); // no JVM warnings on 17 or 25
        Prin root = Keys.readVerifier(home.resolve("launcher/root")).principal();
        Prin name = Prin.parse(r.out().strip().substring("name: ".length()));
        assertThat(name.parent()).contains(root);
        PrinExt ext = name.lastExtension().orElseThrow();
        assertThat(ext.name()).isEqualTo("Jvm");
        assertThat(dev.cloudproxy.tao.measurement.Measurement.Name.of(ext)).isPresent();
        // the key set is private, its password random and private too
        assertThat(Files.getPosixFilePermissions(home.resolve("launcher/root.password"), LinkOption.NOFOLLOW_LINKS))
                .isEqualTo(PosixFilePermissions.fromString("rw-------"));
        assertThat(Files.getPosixFilePermissions(home.resolve("launcher/root/keys.tao")))
                .isEqualTo(PosixFilePermissions.fromString("rw-------"));

        Result again = launch(jar, 0);
        assertThat(again.status()).as(again.err()).isZero();
        assertThat(again.out()).isEqualTo(r.out());
        // every run's private directory is gone afterwards
        try (Stream<Path> runs = Files.list(home.resolve("launcher/run"))) {
            assertThat(runs).isEmpty();
        }
        // root could change any runtime file, so it keeps no runtime digests across runs
        Path digests = home.resolve("launcher/runtime-digests");
        if ((Integer) Files.getAttribute(tmp, "unix:uid") == 0) {
            assertThat(digests).doesNotExist();
        } else {
            assertThat(Files.getPosixFilePermissions(digests, LinkOption.NOFOLLOW_LINKS))
                    .isEqualTo(PosixFilePermissions.fromString("rw-------"));
        }
    }

    @Test
    void name_withVerbose_isTheMeasuredProgramUnderTheRoot() throws Exception {
        Path jar = app("name", NameApp.class);

        Result r = launch("-v", jar);

        assertThat(r.status()).as(r.err()).isZero();
        String printed = r.out().strip().substring("name: ".length());
        assertThat(r.err()).contains("tao-launcher: app name: " + printed)
                .contains("measured runtime").contains("measured agent").contains("measured jvm-option - -XX:+DisableAttachMechanism");
    }

    @Test
    void changedJar_getsAnotherName_andKeepsTheAppsState_onTheLiberalDevelopmentRoot() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("v"));
        Path v1 = TestApps.jar(dir, "app", SealedApp.class, "version 1");
        List<String> opts = List.of("--main", NameApp.class.getName(), "--state", "shared");
        Result name1 = launch(opts.get(0), opts.get(1), opts.get(2), opts.get(3), v1);
        Result sealed1 = launch("--state", "shared", v1, "from-v1");
        assertThat(sealed1.status()).as(sealed1.err()).isZero();
        assertThat(sealed1.out()).startsWith("runs=0 ");

        Path v2 = TestApps.jar(Files.createDirectories(tmp.resolve("v2")), "app", SealedApp.class, "version 2");
        Result name2 = launch(opts.get(0), opts.get(1), opts.get(2), opts.get(3), v2);
        Result sealed2 = launch("--state", "shared", v2, "from-v2");

        assertThat(name1.status()).isZero();
        assertThat(name2.status()).isZero();
        assertThat(name2.out()).isNotEqualTo(name1.out());
        // The state is the app's ("shared"), and the development root admits every name to it.
        assertThat(sealed2.out()).as(sealed2.err()).startsWith("runs=1 total=110 note=from-v1 ");
        Result back = launch("--state", "shared", v1, "again");
        assertThat(back.out()).as(back.err()).startsWith("runs=2 total=120 note=from-v2 ");
    }

    @Test
    void sealedValues_surviveRestarts_ofEverySupportedType() throws Exception {
        Path jar = app("sealed", SealedApp.class);

        Result first = launch(jar, "one");
        Result second = launch(jar, "two");
        Result third = launch(jar, "three", "no-flush"); // sealed at exit instead
        Result fourth = launch(jar, "four");

        assertThat(first.out()).as(first.err())
                .isEqualTo("runs=0 total=100 note=initial bytes=null flag=null ratio=0.5 notSealed=7\n");
        assertThat(second.out()).as(second.err())
                .isEqualTo("runs=1 total=110 note=one bytes=[1, 2] flag=true ratio=1.5 notSealed=7\n");
        assertThat(third.out()).isEqualTo("runs=2 total=120 note=two bytes=[2, 2] flag=false ratio=4.5 notSealed=7\n");
        assertThat(fourth.out()).isEqualTo("runs=3 total=130 note=three bytes=[3, 2] flag=true ratio=13.5 notSealed=7\n");
        Path state = home.resolve("launcher/state/sealed.sealed");
        assertThat(Files.getPosixFilePermissions(state)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        assertThat(new String(Files.readAllBytes(state), java.nio.charset.StandardCharsets.ISO_8859_1))
                .doesNotContain("three");
    }

    @Test
    void sealedState_olderCopyPutBack_isRefusedAsStale_acrossLauncherRestarts() throws Exception {
        Path jar = app("sealed", SealedApp.class);
        assertThat(launch(jar, "one").status()).isZero();
        Path state = home.resolve("launcher/state/sealed.sealed");
        byte[] v1 = Files.readAllBytes(state);
        Result second = launch(jar, "two");
        assertThat(second.out()).as(second.err()).startsWith("runs=1 ");
        Files.write(state, v1);

        Result r = launch(jar, "three");

        assertThat(r.status()).isNotZero();
        assertThat(r.out()).doesNotContain("runs=");
        assertThat(r.err()).contains("@TaoSealed field " + SealedApp.class.getName() + ".runs refused")
                .contains("stale state: counter 1, expected 2");
        assertThat(Files.readAllBytes(state)).isEqualTo(v1);
    }

    @Test
    void sealedState_tamperedWith_isRefusedAndLeftAlone() throws Exception {
        Path jar = app("sealed", SealedApp.class);
        launch(jar, "one");
        Path state = home.resolve("launcher/state/sealed.sealed");
        byte[] blob = Files.readAllBytes(state);
        blob[blob.length - 5] ^= 1;
        Files.write(state, blob);

        Result r = launch(jar, "two");

        assertThat(r.status()).isNotZero();
        assertThat(r.err()).contains("cannot be unsealed by this program");
        assertThat(Files.readAllBytes(state)).isEqualTo(blob);
    }

    @Test
    void unsupportedSealedFields_areRefusedWhenTheirClassInitializes() throws Exception {
        Path jar = app("bad", BadSealedApp.class);

        Result instance = launch(jar, "instance");
        Result constant = launch(jar, "final");
        Result type = launch(jar, "type");

        assertThat(instance.status()).isNotZero();
        assertThat(instance.err()).contains("@TaoSealed field " + BadSealedApp.class.getName()
                + "$Instance.perObject refused: only static fields can be sealed");
        assertThat(constant.err()).contains("$Final.CONSTANT refused: final fields cannot be restored");
        assertThat(type.err()).contains("$WrongType.list refused: type java.util.List is not supported");
    }

    @Test
    void injectedAgentsAndOptions_inTheEnvironment_areRemoved() throws Exception {
        Path jar = app("env", EnvApp.class);
        env.put("JAVA_TOOL_OPTIONS", "-Dinjected=tool");
        env.put("JDK_JAVA_OPTIONS", "-Dinjected=jdk");
        env.put("_JAVA_OPTIONS", "-Dinjected=underscore");
        env.put("CLASSPATH", "/tmp/evil.jar");
        env.put("TAO_PASSWORD", "a-secret-password");
        env.put("KEEP_ME", "kept");

        Result r = launch(jar);

        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out()).contains("env JAVA_TOOL_OPTIONS=null", "env JDK_JAVA_OPTIONS=null", "env _JAVA_OPTIONS=null",
                "env CLASSPATH=null", "env TAO_PASSWORD=null", "env KEEP_ME=kept", "property injected=null",
                "-XX:+DisableAttachMechanism", "-XX:-UsePerfData", "-XX:-HeapDumpOnOutOfMemoryError",
                "-XX:-CreateCoredumpOnCrash", "-javaagent:");
        assertThat(r.err()).contains("removed JAVA_TOOL_OPTIONS from the app's environment")
                .contains("removed _JAVA_OPTIONS").doesNotContain("a-secret-password");
    }

    @Test
    void jvmOptions_thatInjectCodeOrDebugging_areRefused() throws Exception {
        Path jar = app("env", EnvApp.class);
        for (String bad : List.of("-javaagent:/tmp/evil.jar", "-agentlib:jdwp=transport=dt_socket,server=y",
                "-agentpath:/tmp/evil.so", "-Xbootclasspath/a:/tmp/evil.jar", "-Xrunjdwp:transport=dt_socket",
                "-XX:-DisableAttachMechanism", "-XX:+HeapDumpOnOutOfMemoryError", "-XX:+EnableDynamicAgentLoading")) {
            Result r = launch("--jvm-option=" + bad, jar);
            assertThat(r.status()).as(bad).isEqualTo(Main.LAUNCHER_FAILED);
            assertThat(r.err()).as(bad).contains("is refused");
            assertThat(r.out()).as(bad).isEmpty();
        }
        Result ok = launch("--jvm-option=-Dinjected=by-the-user", jar);
        assertThat(ok.out()).as(ok.err()).contains("property injected=by-the-user");
    }

    @Test
    void standardStreams_passThrough() throws Exception {
        Path jar = app("upper", UpperApp.class);

        Result r = launchWithInput("hello\nworld\n", jar);

        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo("HELLO\nWORLD\n");
        assertThat(r.err()).endsWith("done\n");
    }

    @Test
    void sigterm_toTheLauncher_stopsTheAppThroughItsShutdownHooks() throws Exception {
        Path jar = app("wait", WaitApp.class);
        try (LauncherProcess p = LauncherProcess.start(tmp, env, true, List.of(jar.toString()))) {
            BufferedReader out = p.stdout();
            p.awaitLine(out, "ready");

            p.process().toHandle().destroy(); // SIGTERM; Process.destroy() would also close our end of its output

            p.awaitLine(out, "stopping");
            assertThat(p.process().waitFor()).isEqualTo(143); // 128 + SIGTERM, as the app's own JVM exits
        }
        try (Stream<Path> runs = Files.list(home.resolve("launcher/run"))) {
            assertThat(runs).isEmpty();
        }
    }

    @Test
    void rootCreatedWithPassword_needsItAgain() throws Exception {
        Path jar = app("name", NameApp.class);
        env.put("TAO_PASSWORD", "correct horse");
        assertThat(launch(jar).status()).isZero();

        env.put("TAO_PASSWORD", "wrong horse");
        Result wrong = launch(jar);
        env.remove("TAO_PASSWORD");
        Result missing = launch(jar);

        assertThat(wrong.status()).isEqualTo(Main.LAUNCHER_FAILED);
        assertThat(wrong.err()).contains("cannot open the development root").doesNotContain("horse");
        assertThat(missing.err()).contains("was created with TAO_PASSWORD");
        assertThat(Files.exists(home.resolve("launcher/root.password"))).isFalse();
    }

    @Test
    void badArguments_areReportedWithoutStartingAnything() throws Exception {
        Path jar = app("name", NameApp.class);
        Path rules = TestApps.file(tmp, "rules.txt", "out 10.0.0.0/8 443 TAO\nout example.com 80 DENY\n");

        Result badRules = launch("--rules", rules, jar);
        Result badRule = launch("--rule", "sideways * * DENY", jar);
        Result noJar = launch("--verbose");
        Result missingJar = launch(tmp.resolve("missing.jar"));
        Result unknown = launch("--frobnicate", jar);

        assertThat(badRules.err()).contains("rule 2: address must be *, an IP address or a CIDR block (no host names)");
        assertThat(badRule.err()).contains("direction must be 'out' or 'in'");
        assertThat(noJar.err()).contains("no app jar given");
        assertThat(missingJar.err()).contains("no such jar");
        assertThat(unknown.err()).contains("unknown option '--frobnicate'");
        for (Result r : List.of(badRules, badRule, noJar, missingJar, unknown)) {
            assertThat(r.status()).isEqualTo(Main.LAUNCHER_FAILED);
        }
    }
}
