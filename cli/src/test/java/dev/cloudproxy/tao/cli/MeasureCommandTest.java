package dev.cloudproxy.tao.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudproxy.tao.cli.CliRunner.Result;
import dev.cloudproxy.tao.launcher.LaunchedProgram;
import dev.cloudproxy.tao.measurement.JvmProgram;
import dev.cloudproxy.tao.measurement.Measurement;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MeasureCommandTest {
    private static final String ERR = "tao measure: ";

    @TempDir
    Path tmp;

    private Path runtime;
    private Path app;
    private Path lib1;
    private Path lib2;

    @BeforeEach
    void files() throws IOException {
        runtime = tmp.resolve("jdk");
        Files.createDirectories(runtime.resolve("bin"));
        Files.writeString(runtime.resolve("release"), "JAVA_VERSION=\"17\"\n");
        Files.writeString(runtime.resolve("bin/java"), "java");
        app = jar("app.jar", "com.example.Main", "com/example/Main.class", "main");
        lib1 = jar("lib1.jar", null, "l/L.class", "one");
        lib2 = jar("lib2.jar", null, "l/L.class", "two");
    }

    private Path jar(String name, String mainClass, String entry, String content) throws IOException {
        Manifest mf = new Manifest();
        mf.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        if (mainClass != null) {
            mf.getMainAttributes().put(Attributes.Name.MAIN_CLASS, mainClass);
        }
        Path file = tmp.resolve(name);
        try (OutputStream os = Files.newOutputStream(file); JarOutputStream out = new JarOutputStream(os, mf)) {
            out.putNextEntry(new ZipEntry(entry));
            out.write(content.getBytes(StandardCharsets.UTF_8));
            out.closeEntry();
        }
        return file;
    }

    private Result measure(String... args) {
        String[] all = new String[args.length + 3];
        all[0] = "measure";
        all[1] = "--java-home=" + runtime;
        System.arraycopy(args, 0, all, 2, args.length);
        all[all.length - 1] = app.toString();
        return CliRunner.run("", all);
    }

    private static String hash(Result r) {
        return r.out().lines().findFirst().orElseThrow().substring("hash: ".length());
    }

    @Test
    void measure_jar_printsHashExtensionAndItems() throws Exception {
        Result r = measure();

        assertThat(r.status()).isZero();
        assertThat(r.err()).isEmpty();
        Measurement m = JvmProgram.builder().jar(app).runtime(runtime).build().measure();
        String hash = m.hash().hex();
        List<String> lines = r.out().lines().toList();
        assertThat(lines).hasSize(5);
        assertThat(lines.get(0)).isEqualTo("hash: " + hash);
        assertThat(lines.get(1)).isEqualTo("extension: " + m.extension());
        assertThat(lines.get(1)).startsWith("extension: Jvm(ext.Runtime([");
        assertThat(lines.get(2)).matches("runtime [0-9a-f]{64} " + java.util.regex.Pattern.quote(runtime.toString()));
        assertThat(lines.get(3)).matches("jar [0-9a-f]{64} " + java.util.regex.Pattern.quote(app.toString()));
        assertThat(lines.get(4)).isEqualTo("main-class - com.example.Main");
    }

    /** The extension line of {@code tao measure --launched ...} (on the runtime running the test). */
    private static String launchedExtension(String... args) {
        String[] all = new String[args.length + 2];
        all[0] = "measure";
        all[1] = "--launched";
        System.arraycopy(args, 0, all, 2, args.length);
        Result r = CliRunner.run("", all);
        assertThat(r.status()).as(r.err()).isZero();
        return r.out().lines().skip(1).findFirst().orElseThrow();
    }

    @Test
    void measureLaunched_sharedAndLauncherOnlyOptions_theLaunchersMeasurement() throws Exception {
        // Launcher options end at the app jar, as on the launcher's command line.
        String printed = launchedExtension("--jvm-option=-Xmx1g", "--", "--rule", "out 127.0.0.1 19092 DENY",
                app.toString());

        Path agent = LaunchedProgram.bundledAgent(tmp.resolve("agent.jar"));
        Measurement expected = LaunchedProgram.measure(List.of("--jvm-option=-Xmx1g", "--rule",
                "out 127.0.0.1 19092 DENY", app.toString()), agent, Files.createDirectories(tmp.resolve("scratch")));
        assertThat(printed).isEqualTo("extension: " + expected.extension());
        assertThat(expected.items()).extracting(Measurement.Item::name)
                .contains("-Xmx1g", "-XX:+DisableAttachMechanism", "-Xshare:off")
                .anyMatch(o -> o.contains("rules=out 127.0.0.1 19092 DENY"));
        assertThat(printed).doesNotContain("Agent(\"\"").as("the agent has a version");
    }

    @Test
    void measureLaunched_launcherJarWithTheSameAgent_sameExtension() throws Exception {
        Path launcher = tmp.resolve("tao-launcher.jar");
        try (OutputStream os = Files.newOutputStream(launcher); JarOutputStream out = new JarOutputStream(os)) {
            out.putNextEntry(new ZipEntry("dev/cloudproxy/tao/launcher/tao-agent.jar"));
            out.write(Files.readAllBytes(LaunchedProgram.bundledAgent(tmp.resolve("agent.jar"))));
            out.closeEntry();
        }
        assertThat(launchedExtension("--launcher", launcher.toString(), app.toString()))
                .isEqualTo(launchedExtension(app.toString()));
    }

    @Test
    void measureLaunched_withAgentOrNotALauncher_oneLineInputError() {
        Result withAgent = CliRunner.run("", "measure", "--launched", "--agent", lib1.toString(), app.toString());
        Result notALauncher = CliRunner.run("", "measure", "--launched", "--launcher", lib1.toString(), app.toString());
        Result refusedOption = CliRunner.run("", "measure", "--launched", "--", "--no-such-option", app.toString());
        Result twoJars = CliRunner.run("", "measure", app.toString(), lib1.toString());

        for (Result r : List.of(withAgent, notALauncher, refusedOption, twoJars)) {
            assertThat(r.status()).isEqualTo(TaoCli.EXIT_INPUT);
            assertThat(r.out()).isEmpty();
            assertThat(r.errLines()).singleElement().asString().startsWith(ERR);
        }
        assertThat(notALauncher.err()).contains("not a launcher jar");
    }

    @Test
    void measure_everyOption_itemized() {
        Result r = measure("--cp", lib1 + java.io.File.pathSeparator + lib2, "--main", "com.example.Other",
                "--jvm-option", "-Xmx1g", "--jvm-option=--add-opens=java.base/java.lang=ALL-UNNAMED",
                "--agent", lib1 + "=verbose,x=y");

        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out()).contains("\njar ", lib2.toString(), "\nmain-class - com.example.Other\n",
                "\njvm-option - -Xmx1g\n", "\njvm-option - --add-opens=java.base/java.lang=ALL-UNNAMED\n",
                "\nagent ", "\nagent-options - verbose,x=y\n");
    }

    @Test
    void measure_classPathOrder_changesTheHash() {
        Result a = measure("--cp", lib1.toString(), "--cp", lib2.toString());
        Result b = measure("--cp", lib2.toString(), "--cp", lib1.toString());

        assertThat(a.status()).isZero();
        assertThat(b.status()).isZero();
        assertThat(hash(a)).isNotEqualTo(hash(b));
        assertThat(hash(measure("--cp", lib1 + java.io.File.pathSeparator + lib2))).isEqualTo(hash(a));
    }

    @Test
    void measure_missingEntry_oneLineInputError() {
        Result r = measure("--cp", tmp.resolve("missing.jar").toString());

        assertThat(r.status()).isEqualTo(TaoCli.EXIT_INPUT);
        assertThat(r.out()).isEmpty();
        assertThat(r.errLines()).singleElement().asString()
                .startsWith(ERR + "class path entry not found: ").contains("missing.jar");
    }

    @Test
    void measure_unmeasurableOption_inputError() {
        Result r = measure("--jvm-option=-javaagent:evil.jar");

        assertThat(r.status()).isEqualTo(TaoCli.EXIT_INPUT);
        assertThat(r.errLines()).singleElement().asString().startsWith(ERR + "JVM option '-javaagent:evil.jar'");
    }

    @Test
    void measure_notAJar_inputError() throws IOException {
        Files.writeString(app, "not a zip");
        Result r = measure();

        assertThat(r.status()).isEqualTo(TaoCli.EXIT_INPUT);
        assertThat(r.errLines()).singleElement().asString().startsWith(ERR + "malformed or unreadable jar ");
    }

    @Test
    void measure_noJar_usageError() {
        Result r = CliRunner.run("", "measure");

        assertThat(r.status()).isEqualTo(TaoCli.EXIT_USAGE);
    }
}
