package dev.cloudproxy.tao.measurement;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cloudproxy.tao.measurement.Measurement.Kind;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class JvmProgramTest {
    @TempDir
    Path tmp;

    private Path runtime;

    @BeforeEach
    void fakeRuntime() throws IOException {
        runtime = tmp.resolve("jdk");
        Files.createDirectories(runtime.resolve("bin"));
        Files.createDirectories(runtime.resolve("lib"));
        Files.writeString(runtime.resolve("release"), "JAVA_VERSION=\"17\"\n");
        Files.writeString(runtime.resolve("bin/java"), "#!/bin/false\n");
        Files.writeString(runtime.resolve("lib/modules"), "modules image");
    }

    static Map<String, String> content() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("com/example/Main.class", "main class bytes");
        m.put("com/example/Util.class", "util class bytes");
        m.put("app.properties", "greeting=hello\n");
        return m;
    }

    static Manifest manifest(String mainClass, String... more) {
        Manifest mf = new Manifest();
        mf.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        if (mainClass != null) {
            mf.getMainAttributes().put(Attributes.Name.MAIN_CLASS, mainClass);
        }
        for (int i = 0; i < more.length; i += 2) {
            mf.getMainAttributes().putValue(more[i], more[i + 1]);
        }
        return mf;
    }

    /** A jar with entries in the given order, timestamps from {@code time}, and a compression method. */
    static Path jar(Path file, Manifest mf, Map<String, String> entries, boolean reversed, long time, int method)
            throws IOException {
        List<Map.Entry<String, String>> list = new ArrayList<>(entries.entrySet());
        if (reversed) {
            java.util.Collections.reverse(list);
        }
        try (OutputStream os = Files.newOutputStream(file);
                ZipOutputStream out = mf == null ? new ZipOutputStream(os) : new JarOutputStream(os, mf)) {
            out.putNextEntry(dir("com/", time));
            out.closeEntry();
            for (Map.Entry<String, String> e : list) {
                byte[] data = e.getValue().getBytes(StandardCharsets.UTF_8);
                ZipEntry ze = new ZipEntry(e.getKey());
                ze.setTime(time);
                ze.setMethod(method);
                if (method == ZipEntry.STORED) {
                    java.util.zip.CRC32 crc = new java.util.zip.CRC32();
                    crc.update(data);
                    ze.setSize(data.length);
                    ze.setCompressedSize(data.length);
                    ze.setCrc(crc.getValue());
                }
                out.putNextEntry(ze);
                out.write(data);
                out.closeEntry();
            }
        }
        return file;
    }

    private static ZipEntry dir(String name, long time) {
        ZipEntry d = new ZipEntry(name);
        d.setTime(time);
        return d;
    }

    Path jar(String name, Manifest mf, Map<String, String> entries) throws IOException {
        return jar(tmp.resolve(name), mf, entries, false, 1_000_000_000_000L, ZipEntry.DEFLATED);
    }

    JvmProgram.Builder program(Path jar) {
        return JvmProgram.builder().jar(jar).runtime(runtime);
    }

    Measurement measure(Path jar) throws MeasurementException {
        return program(jar).build().measure();
    }

    @Test
    void measure_sameContentOtherOrderTimestampsCompression_sameHash() throws Exception {
        Path a = jar(tmp.resolve("a.jar"), manifest("com.example.Main"), content(), false, 1_000_000_000_000L,
                ZipEntry.DEFLATED);
        Manifest rebuilt = manifest("com.example.Main", "Created-By", "another build tool", "Build-Jdk-Spec", "25");
        Path b = jar(tmp.resolve("b.jar"), rebuilt, content(), true, 1_700_000_000_000L, ZipEntry.STORED);
        Files.setLastModifiedTime(b, FileTime.fromMillis(5));
        assertThat(Files.readAllBytes(a)).isNotEqualTo(Files.readAllBytes(b));

        assertThat(measure(a).hash()).isEqualTo(measure(b).hash());
    }

    @Test
    void measure_sameProgramTwice_sameHashAndExtension() throws Exception {
        Path a = jar("a.jar", manifest("com.example.Main"), content());
        Measurement m = measure(a);
        assertThat(measure(a)).isEqualTo(m);
        Measurement.Name n = m.name();
        assertThat(m.extension().toString()).isEqualTo("Jvm(ext.Runtime([" + n.runtime().hex() + "]), ext.Agent(\"\", ["
                + n.agents().hex() + "]), ext.App([" + n.app().hex() + "]), ext.Config([" + n.config().hex() + "]))");
        assertThat(m.items()).extracting(Measurement.Item::kind)
                .containsExactly(Kind.RUNTIME, Kind.JAR, Kind.MAIN_CLASS);
    }

    @Test
    void measure_anyChange_differentHash() throws Exception {
        Path base = jar("base.jar", manifest("com.example.Main"), content());
        Map<String, String> changedByte = content();
        changedByte.put("com/example/Util.class", "util class bytez");
        Map<String, String> extra = content();
        extra.put("extra.txt", "");
        Map<String, String> renamed = content();
        renamed.put("app2.properties", renamed.remove("app.properties"));
        Path lib1 = jar("lib1.jar", null, Map.of("l/One.class", "1"));
        Path lib2 = jar("lib2.jar", null, Map.of("l/One.class", "2"));
        Path agent = jar("agent.jar", manifest(null, "Premain-Class", "a.Agent"), Map.of("a/Agent.class", "x"));

        List<Measurement> all = new ArrayList<>();
        all.add(measure(base));
        all.add(measure(jar("changed.jar", manifest("com.example.Main"), changedByte)));
        all.add(measure(jar("extra.jar", manifest("com.example.Main"), extra)));
        all.add(measure(jar("renamed.jar", manifest("com.example.Main"), renamed)));
        all.add(measure(jar("otherManifest.jar", manifest("com.example.Main", "Add-Opens", "java.base/java.lang"),
                content())));
        all.add(program(base).mainClass("com.example.Util").build().measure());
        all.add(program(base).jvmOptions(List.of("-Xmx1g")).build().measure());
        all.add(program(base).jvmOptions(List.of("-Xmx2g")).build().measure());
        all.add(program(base).jvmOptions(List.of("-Da=1", "-Da=2")).build().measure());
        all.add(program(base).jvmOptions(List.of("-Da=2", "-Da=1")).build().measure());
        all.add(program(base).classpath(List.of(lib1, lib2)).build().measure());
        all.add(program(base).classpath(List.of(lib2, lib1)).build().measure());
        all.add(program(base).agent(agent).build().measure());
        all.add(program(base).agent(agent, "").build().measure());
        all.add(program(base).agent(agent, "verbose").build().measure());
        Files.writeString(runtime.resolve("lib/modules"), "other modules image");
        all.add(measure(base));

        assertThat(all.stream().map(Measurement::hash).distinct()).hasSameSizeAs(all);
    }

    /**
     * Each change moves exactly the part of the name it belongs to: a policy that trusts the
     * other parts still recognises the program.
     */
    @Test
    void name_eachChange_movesOnlyItsPart() throws Exception {
        Path app = jar("app.jar", manifest("com.example.Main"), content());
        Map<String, String> changed = content();
        changed.put("com/example/Util.class", "util class bytez");
        Path app2 = jar("app2.jar", manifest("com.example.Main"), changed);
        Path agent = jar("agent.jar", manifest(null, "Premain-Class", "a.Agent", "Implementation-Version", "1.2.3"),
                Map.of("a/Agent.class", "x"));
        Path agent2 = jar("agent2.jar", manifest(null, "Premain-Class", "a.Agent", "Implementation-Version", "1.2.4"),
                Map.of("a/Agent.class", "y"));
        Measurement.Name base = program(app).agent(agent, "rules=a").build().measure().name();
        assertThat(base.agentVersion()).isEqualTo("1.2.3");

        Measurement.Name newApp = program(app2).agent(agent, "rules=a").build().measure().name();
        assertThat(newApp).isEqualTo(new Measurement.Name(base.runtime(), "1.2.3", base.agents(), newApp.app(), base.config()));
        assertThat(newApp.app()).isNotEqualTo(base.app());

        Measurement.Name newRule = program(app).agent(agent, "rules=b").build().measure().name();
        assertThat(newRule).isEqualTo(new Measurement.Name(base.runtime(), "1.2.3", base.agents(), base.app(), newRule.config()));
        Measurement.Name newOption = program(app).jvmOptions(List.of("-Xmx1g")).agent(agent, "rules=a").build().measure().name();
        assertThat(newOption).isEqualTo(new Measurement.Name(base.runtime(), "1.2.3", base.agents(), base.app(), newOption.config()));
        assertThat(List.of(base.config(), newRule.config(), newOption.config())).doesNotHaveDuplicates();

        Measurement.Name newAgent = program(app).agent(agent2, "rules=a").build().measure().name();
        assertThat(newAgent).isEqualTo(new Measurement.Name(base.runtime(), "1.2.4", newAgent.agents(), base.app(), base.config()));
        assertThat(newAgent.agents()).isNotEqualTo(base.agents());

        Files.writeString(runtime.resolve("lib/modules"), "patched modules image");
        Measurement.Name newRuntime = program(app).agent(agent, "rules=a").build().measure().name();
        assertThat(newRuntime).isEqualTo(new Measurement.Name(newRuntime.runtime(), "1.2.3", base.agents(), base.app(), base.config()));
        assertThat(newRuntime.runtime()).isNotEqualTo(base.runtime());
    }

    /** The name depends on the agent jar's content only: a copy elsewhere, rebuilt with other timestamps, names the same. */
    @Test
    void name_agentRebuiltWithOtherTimestamps_sameName() throws Exception {
        Path app = jar("app.jar", manifest("com.example.Main"), content());
        Manifest mf = manifest(null, "Premain-Class", "a.Agent", "Implementation-Version", "0.1.0");
        Path agent = jar(tmp.resolve("agent.jar"), mf, Map.of("a/Agent.class", "x", "a/B.class", "y"), false,
                1_000_000_000_000L, ZipEntry.DEFLATED);
        Path rebuilt = jar(tmp.resolve("rebuilt.jar"), mf, Map.of("a/Agent.class", "x", "a/B.class", "y"), true,
                1_700_000_000_000L, ZipEntry.STORED);
        assertThat(program(app).agent(agent, "o").build().measure().extension())
                .isEqualTo(program(app).agent(rebuilt, "o").build().measure().extension());
    }

    @ParameterizedTest
    @ValueSource(strings = {"1 2", "1.0\"", "an-overlong-version-string-of-more-than-sixty-four-characters-in-all"})
    void name_malformedAgentVersion_refused(String version) throws Exception {
        Path app = jar("app.jar", manifest("com.example.Main"), content());
        Path agent = jar("agent.jar", manifest(null, "Premain-Class", "a.Agent", "Implementation-Version", version),
                Map.of("a/Agent.class", "x"));
        assertThatThrownBy(() -> program(app).agent(agent).build().measure())
                .isInstanceOf(MeasurementException.class).hasMessageContaining("Implementation-Version");
    }

    @Test
    void nameOf_ownExtension_roundTrips_otherExtensions_empty() throws Exception {
        Measurement.Name n = measure(jar("app.jar", manifest("com.example.Main"), content())).name();
        assertThat(Measurement.Name.of(n.extension())).contains(n);
        assertThat(Measurement.Name.of(dev.cloudproxy.tao.auth.PrinExt.of("Jvm", n.app()))).isEmpty();
        assertThat(Measurement.Name.of(dev.cloudproxy.tao.auth.PrinExt.of("Jvm", n.runtimeTerm(), n.agentTerm(),
                n.configTerm(), n.appTerm()))).as("parts out of order").isEmpty();
    }

    @Test
    void measure_manifestClassPath_followedDepthFirstAndPartOfTheHash() throws Exception {
        Files.createDirectories(tmp.resolve("lib dir"));
        Path inner = jar("lib dir/inner.jar", null, Map.of("i/I.class", "i"));
        Path lib = jar("lib dir/lib.jar", manifest(null, "Class-Path", "inner.jar"), Map.of("l/L.class", "l"));
        Path app = jar("app.jar", manifest("com.example.Main", "Class-Path", "lib%20dir/lib.jar"), content());
        Path after = jar("after.jar", null, Map.of("x/X.class", "x"));

        Measurement m = program(app).classpath(List.of(after, inner)).build().measure();
        assertThat(m.items()).filteredOn(i -> i.kind() == Kind.JAR).extracting(Measurement.Item::name)
                .containsExactly(app.toString(), tmp.resolve("lib dir/lib.jar").toString(),
                        tmp.resolve("lib dir/inner.jar").toString(), after.toString());

        jar("lib dir/inner.jar", null, Map.of("i/I.class", "changed"));
        assertThat(program(app).classpath(List.of(after)).build().measure().hash()).isNotEqualTo(m.hash());
    }

    /**
     * Names must not move under programs that did not change: this program (jars, a manifest
     * Class-Path, a directory, an agent) measured {@code PINNED} before absent Class-Path entries
     * were recorded and class path wildcards and directories were taken by the launcher.
     */
    @Test
    void measure_programWithoutAbsentEntries_hashAsBefore() throws Exception {
        Files.createDirectories(tmp.resolve("lib"));
        jar("lib/inner.jar", null, Map.of("i/I.class", "i"));
        Path app = jar("app.jar", manifest("com.example.Main", "Class-Path", "lib/inner.jar"), content());
        Path classes = Files.createDirectories(tmp.resolve("classes/x"));
        Files.writeString(classes.resolve("A.class"), "a");
        Path agent = jar("agent.jar", manifest(null, "Premain-Class", "a.Agent"), Map.of("a/Agent.class", "x"));

        Measurement m = program(app).classpath(List.of(tmp.resolve("classes"))).jvmOptions(List.of("-Xmx1g"))
                .agent(agent, "opts").build().measure();

        assertThat(m.hash().hex()).isEqualTo(PINNED);
    }

    private static final String PINNED = "d23f5ff5ebf9067ad520788a985be08fc2804f1bb9688e78110d14b3d7c5e516";

    @Test
    void measure_missingClassPathEntry_recordedAsAbsent_andItsArrivalChangesTheHash() throws Exception {
        Path app = jar("app.jar", manifest("com.example.Main", "Class-Path", "missing.jar lib/gone.jar"), content());

        Measurement m = recordingAbsent(app);

        assertThat(m.items()).filteredOn(i -> i.kind() == Kind.ABSENT)
                .extracting(Measurement.Item::name, Measurement.Item::digest)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(tmp.resolve("missing.jar").toString(), java.util.Optional.empty()),
                        org.assertj.core.groups.Tuple.tuple(tmp.resolve("lib/gone.jar").toString(), java.util.Optional.empty()));
        assertThat(recordingAbsent(app)).isEqualTo(m);
        jar("missing.jar", null, Map.of());
        assertThat(recordingAbsent(app).hash()).as("an empty jar where the absent one was").isNotEqualTo(m.hash());
    }

    /** Without recordAbsentClassPathEntries (the host's jvm factory, tao measure): refused as before. */
    @Test
    void measure_missingClassPathEntry_byDefault_clearError() throws Exception {
        Path app = jar("app.jar", manifest("com.example.Main", "Class-Path", "missing.jar"), content());
        assertThatThrownBy(() -> measure(app)).isInstanceOf(MeasurementException.class)
                .hasMessageContaining("class path entry not found").hasMessageContaining("missing.jar")
                .hasMessageContaining("Class-Path of");
    }

    private Measurement recordingAbsent(Path app) throws MeasurementException {
        return program(app).recordAbsentClassPathEntries().build().measure();
    }

    @Test
    void measure_absentEntryNamedByTwoJars_recordedOnce() throws Exception {
        Path lib = jar("lib.jar", manifest(null, "Class-Path", "locale.jar"), Map.of("l/L.class", "l"));
        Path app = jar("app.jar", manifest("com.example.Main", "Class-Path", "locale.jar lib.jar"), content());

        assertThat(recordingAbsent(app).items()).extracting(Measurement.Item::kind)
                .containsExactly(Kind.RUNTIME, Kind.JAR, Kind.ABSENT, Kind.JAR, Kind.MAIN_CLASS);
        assertThat(lib).exists();
    }

    @Test
    void measure_missingRoot_clearError() throws Exception {
        Path plain = jar("plain.jar", manifest("com.example.Main"), content());
        assertThatThrownBy(() -> program(plain).classpath(List.of(tmp.resolve("nope"))).build().measure())
                .isInstanceOf(MeasurementException.class).hasMessageContaining("not found");
    }

    @Test
    void measure_classPathDirectoryToken_measuredAsADirectory() throws Exception {
        Files.writeString(Files.createDirectories(tmp.resolve("classes/p")).resolve("C.class"), "c");
        Path app = jar("app.jar", manifest("com.example.Main", "Class-Path", "classes/"), content());

        assertThat(measure(app).items()).filteredOn(i -> i.kind() == Kind.DIRECTORY).extracting(Measurement.Item::name)
                .containsExactly(tmp.resolve("classes").toString());
    }

    /** The JVM opens 'x/' as a directory and 'x' as a jar, and finds nothing in the other kind. */
    @ParameterizedTest
    @ValueSource(strings = {"classes", "lib.jar/"})
    void measure_classPathTokenOfTheWrongKind_refused(String token) throws Exception {
        Files.createDirectories(tmp.resolve("classes"));
        jar("lib.jar", null, Map.of());
        Path app = jar("app.jar", manifest("com.example.Main", "Class-Path", token), content());

        assertThatThrownBy(() -> measure(app)).isInstanceOf(MeasurementException.class)
                .hasMessageContaining("so the JVM would ignore it");
    }

    @ParameterizedTest
    @ValueSource(strings = {"http://example.com/x.jar", "x.jar?q", "x.jar#f", "//host/x.jar"})
    void measure_classPathUrlThatIsNotALocalFile_refused(String token) throws Exception {
        Path app = jar("app.jar", manifest("com.example.Main", "Class-Path", token), content());

        assertThatThrownBy(() -> measure(app)).isInstanceOf(MeasurementException.class).hasMessageContaining(token);
    }

    /** The JVM canonicalizes a -cp entry, so a linked jar's Class-Path resolves beside its target. */
    @Test
    void measure_linkedRootJar_classPathResolvedBesideTheTarget() throws Exception {
        Path real = Files.createDirectories(tmp.resolve("real"));
        jar("real/dep.jar", null, Map.of("d/D.class", "d"));
        Path app = jar("real/app.jar", manifest("com.example.Main", "Class-Path", "dep.jar"), content());
        Path link = Files.createSymbolicLink(tmp.resolve("app-link.jar"), app);

        assertThat(measure(link).items()).filteredOn(i -> i.kind() == Kind.JAR).extracting(Measurement.Item::name)
                .containsExactly(link.toString(), real.resolve("dep.jar").toString());
    }

    @Test
    void measure_noMainClass_error() throws Exception {
        Path app = jar("app.jar", manifest(null), content());
        assertThatThrownBy(() -> measure(app)).isInstanceOf(MeasurementException.class)
                .hasMessageContaining("no main class");
        assertThat(program(app).mainClass("com.example.Main").build().measure().items())
                .anyMatch(i -> i.kind() == Kind.MAIN_CLASS && i.name().equals("com.example.Main"));
    }

    @Test
    void measure_directoryOnClassPath_byRelativePathAndContent() throws Exception {
        Path app = jar("app.jar", manifest("com.example.Main"), content());
        Path d1 = Files.createDirectories(tmp.resolve("c1/x/y"));
        Files.writeString(d1.resolve("A.class"), "a");
        Path d2 = Files.createDirectories(tmp.resolve("c2/x/y"));
        Files.writeString(d2.resolve("A.class"), "a");
        Files.createDirectories(tmp.resolve("c2/empty"));
        Measurement m1 = program(app).classpath(List.of(tmp.resolve("c1"))).build().measure();
        Measurement m2 = program(app).classpath(List.of(tmp.resolve("c2"))).build().measure();
        assertThat(m1.hash()).isEqualTo(m2.hash());
        Files.writeString(d2.resolve("A.class"), "b");
        assertThat(program(app).classpath(List.of(tmp.resolve("c2"))).build().measure().hash())
                .isNotEqualTo(m1.hash());
    }

    @Test
    void measure_symlinkInClassPathDirectory_refused() throws Exception {
        Path app = jar("app.jar", manifest("com.example.Main"), content());
        Path d = Files.createDirectories(tmp.resolve("classes"));
        Files.createSymbolicLink(d.resolve("link"), tmp.resolve("app.jar"));
        assertThatThrownBy(() -> program(app).classpath(List.of(d)).build().measure())
                .isInstanceOf(MeasurementException.class).hasMessageContaining("symbolic link");
    }

    @ParameterizedTest
    @ValueSource(strings = {"../evil.class", "/abs.class", "a/../../b", "back\\slash"})
    void measure_badEntryName_refused(String name) throws Exception {
        Path app = jar("app.jar", manifest("com.example.Main"), Map.of(name, "x"));
        assertThatThrownBy(() -> measure(app)).isInstanceOf(MeasurementException.class)
                .hasMessageContaining("bad entry name");
    }

    @Test
    void measure_duplicateEntry_refused() throws Exception {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("aaaa.class", "one");
        m.put("bbbb.class", "two");
        Path app = jar("app.jar", manifest("com.example.Main"), m);
        byte[] bytes = Files.readAllBytes(app);
        String latin = new String(bytes, StandardCharsets.ISO_8859_1).replace("bbbb.class", "aaaa.class");
        Files.write(app, latin.getBytes(StandardCharsets.ISO_8859_1));
        assertThatThrownBy(() -> measure(app)).isInstanceOf(MeasurementException.class)
                .hasMessageContaining("duplicate entry");
    }

    @Test
    void measure_truncatedOrGarbageJar_typedError() throws Exception {
        Path app = jar("app.jar", manifest("com.example.Main"), content());
        byte[] bytes = Files.readAllBytes(app);
        for (int cut : new int[] {0, 10, bytes.length / 2, bytes.length - 10}) {
            Files.write(app, java.util.Arrays.copyOf(bytes, cut));
            assertThrows(MeasurementException.class, () -> measure(app), "cut at " + cut);
        }
        Files.writeString(app, "not a zip at all");
        assertThrows(MeasurementException.class, () -> measure(app));
    }

    @Test
    void measure_bitFlips_neverCrash() throws Exception {
        Path good = jar("good.jar", manifest("com.example.Main"), content());
        byte[] bytes = Files.readAllBytes(good);
        byte[] goodHash = measure(good).hash().value();
        Path bad = tmp.resolve("bad.jar");
        for (int i = 0; i < bytes.length; i++) {
            byte[] flipped = bytes.clone();
            flipped[i] ^= 0x10;
            Files.write(bad, flipped);
            try {
                measure(bad);
            } catch (MeasurementException e) {
                assertThat(e.getMessage()).doesNotContain("\n");
            }
        }
        assertThat(measure(good).hash().value()).isEqualTo(goodHash);
    }

    @Test
    void measure_moreThanTheLimits_refused() throws Exception {
        Map<String, String> big = new LinkedHashMap<>();
        big.put("zeros", "\0".repeat(1 << 20));
        Path app = jar("app.jar", manifest("com.example.Main"), big);
        assertThat(Files.size(app)).isLessThan(10_000);
        assertThatThrownBy(() -> program(app).limits(1000, 100_000).build().measure())
                .isInstanceOf(MeasurementException.class).hasMessageContaining("zip bomb");
        assertThatThrownBy(() -> program(app).limits(2, 1 << 30).build().measure())
                .isInstanceOf(MeasurementException.class).hasMessageContaining("too many entries");
    }

    @ParameterizedTest
    @ValueSource(strings = {"-cp", "-classpath", "--class-path=x", "-jar", "-javaagent:a.jar",
        "-agentpath:/lib.so", "-agentlib:jdwp=x", "-Xbootclasspath/a:x.jar", "-XX:Flags=f",
        "-XX:VMOptionsFile=f", "-XX:SharedArchiveFile=a.jsa", "-Djava.class.path=x", "--module-path=x",
        "--patch-module=java.base=x", "@args", "Main", "", "-", "-splash:x.png"})
    void jvmOptions_unmeasurable_refused(String option) {
        assertThrows(IllegalArgumentException.class, () -> JvmProgram.builder().jvmOptions(List.of(option)));
    }

    @Test
    void jvmOptions_ordinary_accepted() {
        JvmProgram.builder().jvmOptions(List.of("-Xmx1g", "-XX:+UseG1GC", "-Dfoo=bar",
                "--add-opens=java.base/java.lang=ALL-UNNAMED", "--enable-preview", "-ea"));
    }

    @Test
    void measure_agentWithBootClassPath_refused() throws Exception {
        Path app = jar("app.jar", manifest("com.example.Main"), content());
        Path agent = jar("agent.jar", manifest(null, "Premain-Class", "a.A", "Boot-Class-Path", "boot.jar"),
                Map.of("a/A.class", "a"));
        assertThatThrownBy(() -> program(app).agent(agent).build().measure())
                .isInstanceOf(MeasurementException.class).hasMessageContaining("Boot-Class-Path");
    }

    @Test
    void measure_realRuntime_deterministic() throws Exception {
        Path app = jar("app.jar", manifest("com.example.Main"), content());
        Path home = Path.of(System.getProperty("java.home"));
        Measurement m1 = JvmProgram.builder().jar(app).build().measure();
        Measurement m2 = JvmProgram.builder().jar(app).runtime(home).build().measure();
        assertThat(m1.hash()).isEqualTo(m2.hash());
        assertThat(m1.items().get(0).kind()).isEqualTo(Kind.RUNTIME);
        assertThat(m1.hash()).isNotEqualTo(measure(app).hash());
    }

    @Test
    void measure_notARuntime_error() throws Exception {
        Path app = jar("app.jar", manifest("com.example.Main"), content());
        assertThatThrownBy(() -> JvmProgram.builder().jar(app).runtime(tmp).build().measure())
                .isInstanceOf(MeasurementException.class).hasMessageContaining("not a Java runtime");
    }
}
