package dev.cloudproxy.tao.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudproxy.tao.CoreTao;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.PrinExt;
import dev.cloudproxy.tao.auth.Str;
import dev.cloudproxy.tao.auth.SubPrin;
import dev.cloudproxy.tao.host.HostDirectory;
import dev.cloudproxy.tao.host.HostService;
import dev.cloudproxy.tao.host.HostSetup;
import dev.cloudproxy.tao.host.HostedPrograms;
import dev.cloudproxy.tao.host.OpenedHost;
import dev.cloudproxy.tao.host.ProgramRunner;
import dev.cloudproxy.tao.host.ProgramUsers;
import dev.cloudproxy.tao.keys.Argon2Params;
import dev.cloudproxy.tao.keys.Keys;
import dev.cloudproxy.tao.launcher.LauncherProcess.Result;
import dev.cloudproxy.tao.launcher.apps.GroupKeyApp;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Group keys two levels up, end to end: a running root host starts the launcher, the launcher is
 * the stacked host of the app, and the app asks (through the app API and the agent) for the key of
 * itself and a program of the root host. The launcher is not an ancestor of that program: it
 * forwards the request on the app's behalf, and the root host answers.
 */
class GroupKeyLauncherTest {
    private static final char[] PASSWORD = "host password".toCharArray();

    @TempDir
    Path tmp;

    @Test
    void launchedAppAndARootProgram_getTheSameKeyFromTheRoot_aStrangerIsRefused() throws Exception {
        Path home = Files.createDirectory(tmp.resolve("home"));
        HostDirectory dir = new HostDirectory(home.resolve("host"));
        HostSetup.initRoot(dir, PASSWORD, Optional.empty(), Argon2Params.FLOOR);
        Path launcherJar = TestApps.launcherJar(Files.createDirectory(tmp.resolve("launcher")));
        Path appJar = TestApps.jar(Files.createDirectories(tmp.resolve("group")), "group", GroupKeyApp.class, null);
        Map<String, String> env = Map.of("TAO_HOME", home.toString(), "HOME", tmp.toString(),
                "TAO_LAUNCHER_JAR", launcherJar.toString());

        try (OpenedHost opened = HostSetup.openRoot(dir, PASSWORD);
                HostService service = HostService.start(opened, ProgramRunner.defaultFactories(),
                        ProgramUsers.hostUser());
                Keys elsewhere = Keys.generate()) {
            // A program of the root host (this JVM, as the host's RPC server would serve it).
            CoreTao rootProgram = opened.host().taoFor(new HostedPrograms()
                    .register(ProcessHandle.current().pid(), SubPrin.of(PrinExt.of("Program", new Str("peer")))));
            Prin peer = rootProgram.getTaoName();
            Prin stranger = elsewhere.principal().extend(PrinExt.of("Program", new Str("peer")));

            Result r = LauncherProcess.run(tmp, env, List.of(appJar.toString(), hex(peer)));
            Result refused = LauncherProcess.run(tmp, env, List.of(appJar.toString(), hex(stranger)));

            assertThat(r.status()).as(r.err()).isZero();
            List<String> lines = r.out().strip().lines().toList();
            Prin app = Prin.parse(lines.get(0).substring("name: ".length()));
            // The app is below the launcher, which is below the root host: two levels.
            assertThat(app.ext().size()).isEqualTo(opened.host().name().ext().size() + 3);
            byte[] key = HexFormat.of().parseHex(lines.get(1).substring("key: ".length()));
            assertThat(rootProgram.getGroupKey(List.of(peer, app), 32)).isEqualTo(key);

            assertThat(refused.status()).as(refused.err()).isEqualTo(3);
            assertThat(refused.out()).contains("refused: ").contains("ancestor");
        }
    }

    private static String hex(Prin p) {
        return HexFormat.of().formatHex(p.encode());
    }
}
