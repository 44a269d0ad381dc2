package dev.cloudproxy.tao.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloudproxy.tao.measurement.JvmProgram;
import dev.cloudproxy.tao.measurement.Measurement;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Class paths as {@code java -cp} takes them, copied privately and measured, without starting a JVM. */
class AppCopyTest {
    @TempDir
    Path tmp;

    /** A jar with one class entry and, if given, a manifest Class-Path. */
    static Path jar(Path file, String classPath, String content) throws IOException {
        Files.createDirectories(file.getParent());
        Manifest mf = new Manifest();
        mf.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        mf.getMainAttributes().put(Attributes.Name.MAIN_CLASS, "p.Main");
        if (classPath != null) {
            mf.getMainAttributes().put(Attributes.Name.CLASS_PATH, classPath);
        }
        try (OutputStream os = Files.newOutputStream(file); JarOutputStream out = new JarOutputStream(os, mf)) {
            out.putNextEntry(new ZipEntry("p/" + file.getFileName() + ".class"));
            out.write(content.getBytes(StandardCharsets.UTF_8));
            out.closeEntry();
        }
        return file;
    }

    private AppCopy.Copied copy(Path app, List<Path> cp, String run) throws Exception {
        return AppCopy.copy(app, cp, Files.createDirectories(tmp.resolve(run)));
    }

    /** The copies measured as the launcher measures them, on a small fake runtime. */
    private Measurement measure(AppCopy.Copied c) throws Exception {
        Path jdk = tmp.resolve("jdk");
        if (!Files.exists(jdk)) {
            Files.createDirectories(jdk.resolve("bin"));
            Files.writeString(jdk.resolve("release"), "JAVA_VERSION=\"17\"\n");
            Files.writeString(jdk.resolve("bin/java"), "#!/bin/false\n");
        }
        return JvmProgram.builder().jar(c.appJar()).classpath(c.classpath()).runtime(jdk)
                .recordAbsentClassPathEntries().build().measure();
    }

    @Test
    void expand_wildcard_everyJarInTheDirectorySortedByName_notRecursive() throws Exception {
        Path lib = Files.createDirectories(tmp.resolve("lib"));
        for (String n : List.of("b.jar", "a.JAR", ".hidden.jar", "notes.txt", "c.jar.bak", "sub/d.jar")) {
            Files.createDirectories(lib.resolve(n).getParent());
            Files.writeString(lib.resolve(n), n);
        }

        assertThat(AppCopy.expand(List.of(tmp.resolve("x.jar"), lib.resolve("*"), lib.resolve("*.jar"))))
                .containsExactly(tmp.resolve("x.jar"), lib.resolve(".hidden.jar"), lib.resolve("a.JAR"),
                        lib.resolve("b.jar"), lib.resolve("*.jar"));
    }

    @Test
    void expand_wildcardOnAMissingDirectory_refused() {
        assertThatThrownBy(() -> AppCopy.expand(List.of(tmp.resolve("nope/*")))).isInstanceOf(LauncherException.class)
                .hasMessageContaining("no such directory");
    }

    /**
     * Derby's layout: jars that name each other and locale jars that do not exist. The shared jar
     * is copied once, beside the jars that name it; the absent ones stay absent, and are measured.
     */
    @Test
    void copy_wildcardWithClassPathsNamingEachOtherAndMissingJars_oneCopyEach_absentRecorded() throws Exception {
        Path lib = Files.createDirectories(tmp.resolve("lib"));
        jar(lib.resolve("engine.jar"), "shared.jar engineLocale_fr.jar", "engine");
        jar(lib.resolve("shared.jar"), "shared.jar engineLocale_fr.jar", "shared");
        jar(lib.resolve("net.jar"), "engine.jar shared.jar tools.jar", "net");
        Path app = jar(tmp.resolve("app.jar"), null, "app");

        AppCopy.Copied c = copy(app, List.of(lib.resolve("*")), "run");

        Path copies = tmp.resolve("run/app").resolve(lib.toRealPath().toString().substring(1));
        assertThat(c.classpath()).containsExactly(copies.resolve("engine.jar"), copies.resolve("net.jar"),
                copies.resolve("shared.jar"));
        try (var files = Files.list(copies)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("engine.jar", "net.jar",
                    "shared.jar");
        }
        assertThat(Files.getPosixFilePermissions(copies.resolve("net.jar")))
                .isEqualTo(PosixFilePermissions.fromString("r--------"));
        Measurement m = measure(c);
        assertThat(m.items()).filteredOn(i -> i.kind() == Measurement.Kind.ABSENT)
                .extracting(i -> Path.of(i.name()).getFileName().toString())
                .containsExactly("engineLocale_fr.jar", "tools.jar");
    }

    /** A missing Class-Path jar is measured as absent: once it exists, the next launch has another name. */
    @Test
    void copy_missingClassPathJarThatAppearsLater_nextLaunchMeasuresDifferently() throws Exception {
        Path app = jar(tmp.resolve("app.jar"), "locale.jar", "app");
        Measurement before = measure(copy(app, List.of(), "run1"));
        assertThat(measure(copy(app, List.of(), "run2")).hash()).isEqualTo(before.hash());

        jar(tmp.resolve("locale.jar"), null, "");

        Measurement after = measure(copy(app, List.of(), "run3"));
        assertThat(after.hash()).isNotEqualTo(before.hash());
        assertThat(after.items()).noneMatch(i -> i.kind() == Measurement.Kind.ABSENT);
    }

    @Test
    void copy_classPathEntriesOutsideTheJarsDirectory_followedToTheirOwnCopies() throws Exception {
        Path shared = jar(tmp.resolve("shared/s.jar"), null, "s");
        Path app = jar(tmp.resolve("app/app.jar"), "../shared/s.jar", "app");

        AppCopy.Copied c = copy(app, List.of(), "run");

        Path copyOfShared = tmp.resolve("run/app").resolve(shared.toRealPath().toString().substring(1));
        assertThat(copyOfShared).hasSameBinaryContentAs(shared);
        assertThat(measure(c).items()).filteredOn(i -> i.kind() == Measurement.Kind.JAR).extracting(Measurement.Item::name)
                .containsExactly(c.appJar().toString(), copyOfShared.toString());
    }

    @Test
    void copy_absoluteClassPathEntry_refused_present_or_not() throws Exception {
        Path app = jar(tmp.resolve("app.jar"), tmp.resolve("elsewhere.jar").toString(), "app");

        assertThatThrownBy(() -> copy(app, List.of(), "run")).isInstanceOf(LauncherException.class)
                .hasMessageContaining("an absolute path");
    }

    @Test
    void copy_classPathEntryAboveTheRoot_refused() throws Exception {
        String up = "../".repeat(tmp.getNameCount() + 2) + "x.jar";
        Path app = jar(tmp.resolve("app.jar"), up, "app");

        assertThatThrownBy(() -> copy(app, List.of(), "run")).isInstanceOf(LauncherException.class)
                .hasMessageContaining("climbs above /");
    }

    @Test
    void copy_classDirectory_copiedWithItsTree_andMeasuredByContent() throws Exception {
        Path classes = Files.createDirectories(tmp.resolve("classes/p/q"));
        Files.writeString(classes.resolve("C.class"), "c");
        Files.writeString(tmp.resolve("classes/app.properties"), "k=v");
        Path app = jar(tmp.resolve("app.jar"), null, "app");

        AppCopy.Copied c = copy(app, List.of(tmp.resolve("classes")), "run");

        assertThat(c.classpath()).hasSize(1);
        assertThat(c.classpath().get(0).resolve("p/q/C.class")).hasContent("c");
        assertThat(c.classpath().get(0).resolve("app.properties")).hasContent("k=v");
        Measurement m = measure(c);
        assertThat(m.items()).filteredOn(i -> i.kind() == Measurement.Kind.DIRECTORY).hasSize(1);

        Files.writeString(classes.resolve("C.class"), "changed");
        assertThat(measure(copy(app, List.of(tmp.resolve("classes")), "run2")).hash()).isNotEqualTo(m.hash());
    }

    @Test
    void copy_linkInAClassDirectory_refused() throws Exception {
        Path classes = Files.createDirectories(tmp.resolve("classes"));
        Files.createSymbolicLink(classes.resolve("C.class"), Files.writeString(tmp.resolve("outside"), "x"));
        Path app = jar(tmp.resolve("app.jar"), null, "app");

        assertThatThrownBy(() -> copy(app, List.of(classes), "run")).isInstanceOf(LauncherException.class)
                .hasMessageContaining("symbolic link in class path directory");
    }

    @Test
    void copy_missingCommandLineEntry_refused() throws Exception {
        Path app = jar(tmp.resolve("app.jar"), null, "app");

        assertThatThrownBy(() -> copy(app, List.of(tmp.resolve("gone.jar")), "run")).isInstanceOf(LauncherException.class)
                .hasMessageContaining("no such class path entry");
        assertThatThrownBy(() -> copy(tmp.resolve("gone.jar"), List.of(), "run2")).isInstanceOf(LauncherException.class)
                .hasMessageContaining("no such jar");
    }

    /** The same jar on the command line through a link and by its real path is one entry, as the JVM has it. */
    @Test
    void copy_linkedCommandLineJar_copiedAtItsRealPath() throws Exception {
        Path real = jar(tmp.resolve("real/lib.jar"), null, "lib");
        Path link = Files.createSymbolicLink(tmp.resolve("link.jar"), real);
        Path app = jar(tmp.resolve("app.jar"), null, "app");

        AppCopy.Copied c = copy(app, List.of(link, real), "run");

        assertThat(c.classpath().get(0)).isEqualTo(c.classpath().get(1));
        assertThat(measure(c).items()).filteredOn(i -> i.kind() == Measurement.Kind.JAR).hasSize(2);
    }
}
