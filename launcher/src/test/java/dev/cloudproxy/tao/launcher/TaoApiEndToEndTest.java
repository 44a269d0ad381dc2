package dev.cloudproxy.tao.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.PrinExt;
import dev.cloudproxy.tao.launcher.LauncherProcess.Result;
import dev.cloudproxy.tao.launcher.apps.bare.ReflectiveNameApp;
import dev.cloudproxy.tao.launcher.apps.oldlibs.OldLibrariesApp;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Apps that see only the Tao API (docs/agent.md#the-tao-api), under the launcher: one that bundles
 * nothing at all, and one that bundles tao-api with old versions of the libraries the agent's
 * tier 3 uses.
 */
class TaoApiEndToEndTest {
    @TempDir
    Path tmp;

    Map<String, String> env;

    @BeforeEach
    void setUp() throws Exception {
        env = new HashMap<>();
        env.put("TAO_HOME", Files.createDirectory(tmp.resolve("home")).toString());
        env.put("HOME", tmp.toString());
    }

    @Test
    void appOfOneClass_findingTaoByReflection_printsItsLaunchedName() throws Exception {
        Path jar = TestApps.jarWith(Files.createDirectories(tmp.resolve("bare")), "bare", ReflectiveNameApp.class, List.of());
        try (JarFile j = new JarFile(jar.toFile())) {
            assertThat(j.stream().map(JarEntry::getName).filter(n -> n.endsWith(".class")))
                    .containsExactly("dev/cloudproxy/tao/launcher/apps/bare/ReflectiveNameApp.class");
        }

        Result r = LauncherProcess.run(tmp, env, "", List.of(jar.toString()));

        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.err().lines()).allMatch(l -> l.startsWith("tao-launcher: ")); // nothing from the JVM or the agent
        Prin name = Prin.parse(r.out().strip().substring("name: ".length()));
        PrinExt last = name.lastExtension().orElseThrow();
        assertThat(last.name()).isEqualTo("Jvm");
    }

    @Test
    void appBundlingOldBouncyCastleAndProtobuf_usesThemAndItsTao() throws Exception {
        Path old = Path.of("target", "old-app-libraries");
        Path api = TestApps.classPathEntry("/api/target/");
        List<Path> libs = List.of(old.resolve("bcprov-jdk15on-1.60.jar"), old.resolve("protobuf-java-3.5.1.jar"), api);
        Path jar = TestApps.jarWith(Files.createDirectories(tmp.resolve("old")), "old", OldLibrariesApp.class, libs);

        Result r = LauncherProcess.run(tmp, env, "", List.of(jar.toString()));

        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out()).contains("bc: BouncyCastle Security Provider v1.60 from bcprov-jdk15on-1.60.jar\n")
                .contains("sha256: ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\n")
                .contains("protobuf: 1767225600 from protobuf-java-3.5.1.jar\n")
                .contains("unsealed: kept self\n");
        // the app's own copy of the API, not the agent's
        String bundled = api.getFileName() + (Files.isDirectory(api) ? ".jar" : "");
        assertThat(r.out()).contains("api: " + bundled + "\n");
        String name = r.out().lines().filter(l -> l.startsWith("name: ")).findFirst().orElseThrow();
        assertThat(Prin.parse(name.substring("name: ".length())).lastExtension().orElseThrow().name()).isEqualTo("Jvm");
    }
}
