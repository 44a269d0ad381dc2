package dev.cloudproxy.tao.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.host.HostDirectory;
import dev.cloudproxy.tao.host.HostService;
import dev.cloudproxy.tao.host.HostSetup;
import dev.cloudproxy.tao.host.OpenedHost;
import dev.cloudproxy.tao.host.ProgramRunner;
import dev.cloudproxy.tao.host.ProgramUserTable;
import dev.cloudproxy.tao.host.ProgramUsers;
import dev.cloudproxy.tao.host.unix.Users;
import dev.cloudproxy.tao.keys.Argon2Params;
import dev.cloudproxy.tao.launcher.LauncherProcess.Result;
import dev.cloudproxy.tao.launcher.apps.NameApp;
import dev.cloudproxy.tao.launcher.apps.SealedApp;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher in front of a running Linux host: the host starts and measures the launcher, the
 * launcher inside is a stacked host for the app, and the names show the whole chain.
 */
class StackedLauncherTest {
    private static final char[] PASSWORD = "host password".toCharArray();

    @TempDir
    Path tmp;

    /** A root host's directory in TAO_HOME (not started), the launcher jar and two app jars. */
    private record Setup(Path home, HostDirectory dir, Path nameJar, Path sealedJar, Map<String, String> env) {}

    private Setup setUp() throws Exception {
        Path home = Files.createDirectory(tmp.resolve("home"));
        HostDirectory dir = new HostDirectory(home.resolve("host"));
        HostSetup.initRoot(dir, PASSWORD, Optional.empty(), Argon2Params.FLOOR);
        Path launcherJar = TestApps.launcherJar(Files.createDirectory(tmp.resolve("launcher")));
        Path nameJar = TestApps.jar(Files.createDirectories(tmp.resolve("name")), "name", NameApp.class, null);
        Path sealedJar = TestApps.jar(Files.createDirectories(tmp.resolve("sealed")), "sealed", SealedApp.class, null);
        return new Setup(home, dir, nameJar, sealedJar, new HashMap<>(Map.of("TAO_HOME", home.toString(),
                "HOME", tmp.toString(), "TAO_LAUNCHER_JAR", launcherJar.toString())));
    }

    @Test
    void withARunningHost_theHostRunsTheLauncher_andTheAppIsNamedUnderBoth() throws Exception {
        Setup t = setUp();

        // As the host's user, the launcher keeps its stacked host's state in TAO_HOME.
        try (OpenedHost opened = HostSetup.openRoot(t.dir(), PASSWORD);
                HostService service = HostService.start(opened, ProgramRunner.defaultFactories(),
                        ProgramUsers.hostUser())) {
            Result r = LauncherProcess.run(tmp, t.env(), List.of(t.nameJar().toString(), "7"));
            Result again = LauncherProcess.run(tmp, t.env(), List.of(t.nameJar().toString(), "0"));
            Result first = LauncherProcess.run(tmp, t.env(), List.of(t.sealedJar().toString(), "stacked"));
            Result second = LauncherProcess.run(tmp, t.env(), List.of(t.sealedJar().toString(), "again"));
            Result devRoot = LauncherProcess.run(tmp, t.env(), List.of("--dev-root", t.sealedJar().toString()));

            assertThat(r.status()).as(r.err()).isEqualTo(7);
            assertThat(r.err()).doesNotContain("DEVELOPMENT ROOT");
            Prin name = Prin.parse(r.out().strip().substring("name: ".length()));
            String host = opened.host().name().toString();
            assertThat(name.toString()).startsWith(host + ".Jvm(ext.Runtime([").contains("])).LiberalGuard().Jvm(ext.Runtime([");
            assertThat(name.ext().exts()).hasSize(opened.host().name().ext().exts().size() + 3);
            assertThat(again.out()).isEqualTo(r.out()); // the stacked host's keys were unsealed again

            assertThat(first.out()).as(first.err()).startsWith("runs=0 ");
            assertThat(second.out()).as(second.err()).startsWith("runs=1 total=110 note=stacked ");
            // the development root is another host: it cannot read what the stacked app sealed
            assertThat(devRoot.status()).isNotZero();
            assertThat(devRoot.err()).contains("DEVELOPMENT ROOT").contains("cannot be unsealed by this program");
        }
    }

    @Test
    void onARootHost_theLauncherRunsUnderItsOwnUid_andItsStateSurvivesItsRunsAndAHostRestart() throws Exception {
        assumeTrue(Users.currentUid() == 0, "a root host runs the launcher under a user id of its own;"
                + " CI runs this test in its root pass");
        // The launcher runs under its own uid: it must be able to read the app jars where they are.
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
        Setup t = setUp();

        Prin name;
        try (OpenedHost opened = HostSetup.openRoot(t.dir(), PASSWORD); HostService service = HostService.start(opened)) {
            assumeTrue(service.runner().stateMount().isPresent(), "this root may not make mount namespaces (no"
                    + " CAP_SYS_ADMIN): the launcher's app could not find the launcher's state directory");
            Result r = LauncherProcess.run(tmp, t.env(), List.of(t.nameJar().toString(), "7"));
            Result first = LauncherProcess.run(tmp, t.env(), List.of(t.sealedJar().toString(), "stacked"));
            Result second = LauncherProcess.run(tmp, t.env(), List.of(t.sealedJar().toString(), "again"));

            assertThat(r.status()).as(r.err()).isEqualTo(7);
            name = Prin.parse(r.out().strip().substring("name: ".length()));
            assertThat(name.toString()).startsWith(opened.host().name() + ".Jvm(ext.Runtime([").contains("])).LiberalGuard().Jvm(ext.Runtime([");
            assertThat(first.out()).as(first.err()).startsWith("runs=0 ");
            assertThat(second.out()).as(second.err()).startsWith("runs=1 total=110 note=stacked ");
        }
        // The launcher's state is in its name's state directory, owned by its uid, not in TAO_HOME
        // (where the launcher in front, the caller's, keeps only its own JVM's files).
        assertThat(t.home().resolve("launcher/state")).doesNotExist();
        assertThat(t.home().resolve("launcher/stacked")).doesNotExist();
        try (Stream<Path> states = Files.list(t.dir().root().resolve(ProgramUserTable.STATE))) {
            assertThat(states.filter(d -> Files.isDirectory(d.resolve("launcher/state")))).hasSize(1);
        }
        try (OpenedHost opened = HostSetup.openRoot(t.dir(), PASSWORD); HostService service = HostService.start(opened)) {
            Result afterRestart = LauncherProcess.run(tmp, t.env(), List.of(t.sealedJar().toString(), "restarted"));
            Result again = LauncherProcess.run(tmp, t.env(), List.of(t.nameJar().toString(), "0"));
            assertThat(afterRestart.out()).as(afterRestart.err()).startsWith("runs=2 ");
            assertThat(again.out().strip()).isEqualTo("name: " + name); // the stacked host's keys unsealed again
        }
    }

    @Test
    void aNamedHostThatIsNotThere_isAnError_notTheDevelopmentRoot() throws Exception {
        Path home = Files.createDirectory(tmp.resolve("home"));
        Path nameJar = TestApps.jar(Files.createDirectories(tmp.resolve("name")), "name", NameApp.class, null);
        Path launcherJar = TestApps.launcherJar(Files.createDirectory(tmp.resolve("launcher")));
        Map<String, String> env = Map.of("TAO_HOME", home.toString(), "HOME", tmp.toString(),
                "TAO_LAUNCHER_JAR", launcherJar.toString());

        Result byOption = LauncherProcess.run(tmp, env, List.of("--host-socket", tmp.resolve("none.sock").toString(),
                nameJar.toString()));
        Map<String, String> withAdmin = new HashMap<>(env);
        withAdmin.put("TAO_HOST_ADMIN", tmp.resolve("none.sock").toString());
        Result byEnv = LauncherProcess.run(tmp, withAdmin, List.of(nameJar.toString()));
        Files.createDirectories(home.resolve("host"));
        Files.createFile(home.resolve("host/admin.sock")); // stale: no host listens
        Result byDefault = LauncherProcess.run(tmp, env, List.of(nameJar.toString()));
        Result devRoot = LauncherProcess.run(tmp, env, List.of("--dev-root", nameJar.toString()));

        for (Result r : List.of(byOption, byEnv, byDefault)) {
            assertThat(r.status()).isEqualTo(Main.LAUNCHER_FAILED);
            assertThat(r.err()).contains("cannot run on the Tao host found via").contains("--dev-root")
                    .doesNotContain("DEVELOPMENT ROOT");
            assertThat(r.out()).isEmpty();
        }
        assertThat(devRoot.status()).as(devRoot.err()).isZero();
        assertThat(devRoot.out()).startsWith("name: key(");
    }
}
