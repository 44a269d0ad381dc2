package dev.cloudproxy.tao.launcher;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;

/**
 * Jars of the test apps: {@code app.jar} with the app's classes and a {@code Class-Path} naming
 * {@code lib/*.jar}, the libraries the apps use (core and what it needs, tao-api), taken
 * from this test's class path (jarred up where the class path has directories).
 */
final class TestApps {
    private static final String[] LIBS = {"tao-core", "tao-auth", "protobuf-java", "bcprov", "bcpkix", "bcutil",
        "tao-api", "/api/target/classes", "/core/target/classes", "/auth/target/classes"};

    private TestApps() {}

    /** Builds {@code dir/NAME.jar} (and {@code dir/lib/}) for app class {@code main}; {@code extra} adds one more entry. */
    static Path jar(Path dir, String name, Class<?> main, String extra) throws IOException {
        return write(dir.resolve(name + ".jar"), main, libraries(dir.resolve("lib")), extra);
    }

    /**
     * Builds {@code dir/NAME.jar} with only the classes of {@code main}'s package and a
     * {@code Class-Path} naming copies of {@code libs} in {@code dir/lib} (none: no class path).
     */
    static Path jarWith(Path dir, String name, Class<?> main, List<Path> libs) throws IOException {
        Path lib = Files.createDirectories(dir.resolve("lib"));
        List<String> classPath = new ArrayList<>();
        for (Path l : libs) {
            Path copy = lib.resolve(l.getFileName() + (Files.isDirectory(l) ? ".jar" : ""));
            if (Files.isDirectory(l)) {
                jarDirectory(l, copy);
            } else {
                Files.copy(l, copy);
            }
            classPath.add("lib/" + copy.getFileName());
        }
        return write(dir.resolve(name + ".jar"), main, classPath, null);
    }

    /** The classes of {@code main}'s package, a manifest, and {@code version.txt} holding {@code extra} if not null. */
    private static Path write(Path jar, Class<?> main, List<String> classPath, String extra) throws IOException {
        Manifest mf = new Manifest();
        mf.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        mf.getMainAttributes().put(Attributes.Name.MAIN_CLASS, main.getName());
        if (!classPath.isEmpty()) {
            mf.getMainAttributes().put(Attributes.Name.CLASS_PATH, String.join(" ", classPath));
        }
        Path classes = Path.of(main.getProtectionDomain().getCodeSource().getLocation().getPath());
        String pkg = main.getPackageName().replace('.', '/');
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar), mf);
                Stream<Path> files = Files.list(classes.resolve(pkg))) {
            for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile).sorted()::iterator) {
                add(out, pkg + "/" + f.getFileName(), Files.readAllBytes(f));
            }
            if (extra != null) {
                add(out, "version.txt", extra.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            }
        }
        return jar;
    }

    /** The entry of this test's class path whose path contains {@code part}. */
    static Path classPathEntry(String part) {
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (entry.contains(part)) {
                return Path.of(entry);
            }
        }
        throw new IllegalStateException("nothing on the test class path contains " + part);
    }

    private static List<String> libraries(Path lib) throws IOException {
        List<String> out = new ArrayList<>();
        if (Files.isDirectory(lib)) {
            try (Stream<Path> s = Files.list(lib)) {
                s.sorted().forEach(p -> out.add("lib/" + p.getFileName()));
            }
            return out;
        }
        Files.createDirectories(lib);
        String cp = System.getProperty("java.class.path");
        int n = 0;
        for (String entry : cp.split(File.pathSeparator)) {
            boolean wanted = false;
            for (String l : LIBS) {
                wanted |= entry.contains(l);
            }
            if (!wanted) {
                continue;
            }
            Path src = Path.of(entry);
            String name = (n++) + "-" + src.getFileName() + (Files.isDirectory(src) ? ".jar" : "");
            if (Files.isDirectory(src)) {
                jarDirectory(src, lib.resolve(name));
            } else {
                Files.copy(src, lib.resolve(name));
            }
            out.add("lib/" + name);
        }
        return out;
    }

    private static void jarDirectory(Path dir, Path jar) throws IOException {
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar));
                Stream<Path> files = Files.walk(dir)) {
            for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile).sorted()::iterator) {
                String name = dir.relativize(f).toString().replace(File.separatorChar, '/');
                if (!name.equals("META-INF/MANIFEST.MF")) {
                    add(out, name, Files.readAllBytes(f));
                }
            }
        }
    }

    private static void add(JarOutputStream out, String name, byte[] content) throws IOException {
        out.putNextEntry(new JarEntry(name));
        out.write(content);
        out.closeEntry();
    }

    /**
     * The launcher as one jar, as the package phase builds it, from this test's class path (the
     * launcher's classes, the agent jar inside them, and every library): what a host starts.
     */
    static Path launcherJar(Path dir) throws IOException {
        Path jar = dir.resolve("tao-launcher.jar");
        Manifest mf = new Manifest();
        mf.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        mf.getMainAttributes().put(Attributes.Name.MAIN_CLASS, Main.class.getName());
        mf.getMainAttributes().putValue("Premain-Class", LauncherAgent.class.getName());
        java.util.Set<String> seen = new java.util.HashSet<>();
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar), mf)) {
            for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
                if (entry.matches(".*(junit|assertj|opentest4j|apiguardian|surefire|jazzer|test-classes|byte-buddy).*")) {
                    continue;
                }
                Path src = Path.of(entry);
                if (Files.isDirectory(src)) {
                    try (Stream<Path> files = Files.walk(src)) {
                        for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile).sorted()::iterator) {
                            String name = src.relativize(f).toString().replace(File.separatorChar, '/');
                            if (keep(name) && seen.add(name)) {
                                add(out, name, Files.readAllBytes(f));
                            }
                        }
                    }
                } else if (Files.isRegularFile(src)) {
                    try (java.util.jar.JarFile jf = new java.util.jar.JarFile(src.toFile())) {
                        for (JarEntry e : (Iterable<JarEntry>) jf.stream()::iterator) {
                            if (!e.isDirectory() && keep(e.getName()) && seen.add(e.getName())) {
                                try (java.io.InputStream in = jf.getInputStream(e)) {
                                    add(out, e.getName(), in.readAllBytes());
                                }
                            }
                        }
                    }
                }
            }
        }
        return jar;
    }

    private static boolean keep(String name) {
        return !name.equals("META-INF/MANIFEST.MF") && !name.matches("META-INF/[^/]*\\.(SF|RSA|DSA|EC)")
                && !name.endsWith("module-info.class");
    }

    /** Writes {@code text} to a new file. */
    static Path file(Path dir, String name, String text) throws IOException {
        Path p = dir.resolve(name);
        try (OutputStream o = Files.newOutputStream(p)) {
            o.write(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        return p;
    }
}
