package dev.cloudproxy.tao.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.PrinExt;
import dev.cloudproxy.tao.cli.CliRunner.Result;
import dev.cloudproxy.tao.launcher.LaunchedProgram;
import dev.cloudproxy.tao.measurement.Measurement;
import java.io.ByteArrayInputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tao domain policy --trust-app/--retract-app/--trust-runtime/--trust-agent} on the sample
 * template: one command per change, and the facts it adds admit exactly the name
 * {@code tao measure --launched} computes (which the launcher uses: {@code LaunchedNameTest}).
 */
class DomainPolicyLaunchedTest {
    private static final Map<String, String> WITH_PASSWORD = Map.of(Passwords.ENV, "policy password");
    private static final String HOST = "key([" + "11".repeat(32) + "])";
    private static final Path JDK25 = Path.of("/usr/lib/jvm/temurin-25-jdk-amd64");
    private static final Path JDK17 = Path.of("/usr/lib/jvm/java-17-openjdk-amd64");

    /** A Java runtime other than the one the tests run on: JDK 25, or JDK 17 when they run on 25. */
    private static Path otherRuntime() throws Exception {
        Path current = Path.of(System.getProperty("java.home")).toRealPath();
        for (Path candidate : List.of(JDK25, JDK17)) {
            if (Files.isRegularFile(candidate.resolve("release")) && !candidate.toRealPath().equals(current)) {
                return candidate;
            }
        }
        return null;
    }

    @TempDir
    Path tmp;

    private Path dir;
    private Path launcher;
    private Path appV1;
    private Path appV2;

    @BeforeEach
    void domainLauncherAndApps() throws Exception {
        dir = tmp.resolve("domain");
        Result init = CliRunner.run(new ByteArrayInputStream(new byte[0]), WITH_PASSWORD, "domain", "init",
                "--template", Path.of("..", "docs", "domain_template.txt").toString(), dir.toString());
        assertThat(init.status()).as(init.err()).isZero();
        launcher = tmp.resolve("tao-launcher.jar");
        try (OutputStream os = Files.newOutputStream(launcher); JarOutputStream out = new JarOutputStream(os)) {
            out.putNextEntry(new ZipEntry("dev/cloudproxy/tao/launcher/tao-agent.jar"));
            out.write(Files.readAllBytes(LaunchedProgram.bundledAgent(tmp.resolve("agent.jar"))));
            out.closeEntry();
        }
        appV1 = app("app-v1.jar", "v1");
        appV2 = app("app-v2.jar", "v2");
    }

    private Path app(String name, String content) throws Exception {
        Manifest mf = new Manifest();
        mf.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        mf.getMainAttributes().put(Attributes.Name.MAIN_CLASS, "com.example.Main");
        Path file = Files.createDirectories(tmp.resolve(content)).resolve(name);
        try (OutputStream os = Files.newOutputStream(file); JarOutputStream out = new JarOutputStream(os, mf)) {
            out.putNextEntry(new ZipEntry("com/example/Main.class"));
            out.write(content.getBytes(StandardCharsets.UTF_8));
            out.closeEntry();
        }
        return file;
    }

    private Result policy(String... args) {
        List<String> all = new ArrayList<>(List.of("domain", "policy", dir.toString()));
        all.addAll(List.of(args));
        return CliRunner.run(new ByteArrayInputStream(new byte[0]), WITH_PASSWORD, all.toArray(String[]::new));
    }

    /** The app's name on HOST, from {@code tao measure --launched}. */
    private static String launchedName(String... launcherArgs) throws Exception {
        List<String> all = new ArrayList<>(List.of("measure", "--launched", "--"));
        all.addAll(List.of(launcherArgs));
        Result r = CliRunner.run("", all.toArray(String[]::new));
        assertThat(r.status()).as(r.err()).isZero();
        String ext = r.out().lines().skip(1).findFirst().orElseThrow().substring("extension: ".length());
        return HOST + "." + ext;
    }

    private boolean executes(String name) {
        Result r = policy("--query", "Authorized(" + name + ", \"Execute\")");
        return r.status() == 0 && r.out().equals("true\n");
    }

    @Test
    void trustRuntimeAgentApp_admitTheLaunchedName_andNothingElse() throws Exception {
        Result added = policy("--add-host", HOST, "--trust-runtime", System.getProperty("java.home"),
                "--trust-agent", launcher.toString(), "--trust-app", "--", "--jvm-option=-Xmx1g", appV1.toString());
        assertThat(added.status()).as(added.err()).isZero();
        assertThat(added.err()).contains(": add TrustedRuntime(ext.Runtime([", ": add TrustedAgent(ext.Agent(\"",
                ": add TrustedApp(ext.App([");

        assertThat(executes(launchedName("--jvm-option=-Xmx1g", appV1.toString()))).isTrue();
        assertThat(executes(launchedName("--jvm-option=-Xmx2g", appV1.toString()))).as("other config").isFalse();
        assertThat(executes(launchedName("--jvm-option=-Xmx1g", appV2.toString()))).as("other app").isFalse();
    }

    @Test
    void newVersion_oneCommandEach_toTrustV2_andToRetractV1() throws Exception {
        policy("--add-host", HOST, "--trust-runtime", System.getProperty("java.home"), "--trust-agent",
                launcher.toString(), "--trust-app", "--", appV1.toString());
        String v1 = launchedName(appV1.toString());
        String v2 = launchedName(appV2.toString());
        assertThat(executes(v2)).isFalse();

        assertThat(policy("--trust-app", "--", appV2.toString()).status()).isZero();
        assertThat(executes(v2)).isTrue();
        assertThat(executes(v1)).isTrue();

        Result retracted = policy("--retract-app", "--", appV1.toString());
        assertThat(retracted.status()).as(retracted.err()).isZero();
        assertThat(executes(v1)).isFalse();
        assertThat(executes(v2)).isTrue();
    }

    @Test
    void secondRuntime_oneCommand_theSameAppAdmittedOnBoth() throws Exception {
        Path other = otherRuntime();
        assumeTrue(other != null, "no second Java runtime at " + JDK25 + " or " + JDK17);
        policy("--add-host", HOST, "--trust-runtime", System.getProperty("java.home"), "--trust-agent",
                launcher.toString(), "--trust-app", "--", appV1.toString());
        String onOther = launchedName("--java-home", other.toString(), appV1.toString());
        assertThat(executes(onOther)).isFalse();

        // One command: the runtime, and the app as it runs there (the launcher adds
        // --enable-native-access on JDK 22+, a configuration of its own).
        Result r = policy("--trust-runtime", other.toString(), "--trust-app", "--", "--java-home", other.toString(),
                appV1.toString());
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(executes(onOther)).isTrue();
        assertThat(executes(launchedName(appV1.toString()))).isTrue();
        Measurement.Name n17 = Measurement.Name.of(lastExt(launchedName(appV1.toString()))).orElseThrow();
        Measurement.Name n25 = Measurement.Name.of(lastExt(onOther)).orElseThrow();
        assertThat(n25.app()).isEqualTo(n17.app());
        assertThat(n25.agents()).isEqualTo(n17.agents());
    }

    @Test
    void launchedOptions_misused_oneLineErrors() {
        for (Result r : List.of(policy("--trust-app"), policy("--trust-app", "--retract-app", "--", appV1.toString()),
                policy("--", appV1.toString()), policy("--trust-agent", appV1.toString()),
                policy("--trust-runtime", tmp.toString()))) {
            assertThat(r.status()).as(r.err()).isEqualTo(TaoCli.EXIT_INPUT);
            assertThat(r.errLines()).singleElement().asString().startsWith("tao domain policy: ");
        }
    }

    private static PrinExt lastExt(String name) throws Exception {
        return Prin.parse(name).lastExtension().orElseThrow();
    }
}
