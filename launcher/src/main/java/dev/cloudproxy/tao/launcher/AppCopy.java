package dev.cloudproxy.tao.launcher;

import dev.cloudproxy.tao.measurement.ManifestClassPath;
import dev.cloudproxy.tao.measurement.MeasurementException;
import java.io.File;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

/**
 * Private copies of the app's class path, so that the app runs the bytes that were measured even
 * if the originals change (a rebuild, another writer) while it runs. Copies are read-only for
 * their owner, in directories only the owner can enter.
 *
 * <p>The class path is taken as {@code java -cp} takes it: each {@code --cp} value is split at
 * {@code :} ({@link File#pathSeparator}); an element {@code dir/*} (or {@code *}) stands for every
 * file in {@code dir} whose name ends in {@code .jar} or {@code .JAR}, not recursively, <em>sorted
 * by name</em> (the JVM's order is unspecified, and the order is measured); other elements are
 * jars or directories of classes. Then every jar's manifest {@code Class-Path}, depth first, as
 * the JVM follows it ({@link ManifestClassPath}).
 *
 * <p>Every file is copied to the same absolute path under the copy root ({@code /home/u/app.jar}
 * to {@code ROOT/home/u/app.jar}), entries given on the command line by their real path (the JVM
 * canonicalizes them), entries named by {@code Class-Path} by their path resolved as a URL
 * (textually). So a {@code Class-Path} entry of a copy resolves to the copy of the file it named,
 * two jars that name the same file share one copy (as the JVM opens it once), and an entry that
 * does not exist does not exist in the copy either: the JVM skips it, and the measurement records
 * it as absent. Since the copy root is private to the run, nothing appears there afterwards except
 * through the user or root, the same boundary as for the copies themselves.
 *
 * <p>Refused: a {@code Class-Path} entry that is absolute or climbs above {@code /} (its copy
 * would be the original itself), symbolic links and special files inside class path directories
 * (a link can be retargeted after measurement without any file in the tree changing), a path that
 * cannot stand on a {@code -cp} line (it holds {@code :} or ends in {@code *}), more than
 * {@link #MAX_FILES} files or {@link #MAX_BYTES} bytes in all (a class path directory like
 * {@code .} may be a whole project).
 */
final class AppCopy {
    static final int MAX_FILES = 65_536;
    static final long MAX_BYTES = 2L << 30;

    /** The copies, in class path order: the app jar, then the {@code --cp} entries, wildcards expanded. */
    record Copied(Path appJar, List<Path> classpath) {}

    private final Path root;
    private final Set<Path> seen = new HashSet<>();
    private int files;
    private long bytes;

    private AppCopy(Path root) {
        this.root = root;
    }

    /** Copies the app jar and the class path {@code cp} (elements as {@code java -cp} takes them) under {@code dest/app}. */
    static Copied copy(Path appJar, List<Path> cp, Path dest) throws LauncherException {
        try {
            AppCopy c = new AppCopy(dest.resolve("app"));
            privateDir(c.root);
            if (Files.isDirectory(appJar) || !Files.exists(appJar)) {
                throw new LauncherException((Files.exists(appJar) ? "not a jar file: " : "no such jar: ") + appJar);
            }
            Path app = c.copyRoot(appJar);
            List<Path> more = new ArrayList<>();
            for (Path element : expand(cp)) {
                more.add(c.copyRoot(element));
            }
            return new Copied(app, List.copyOf(more));
        } catch (IOException e) {
            throw new LauncherException("cannot copy the app: " + e.getMessage(), e);
        }
    }

    /**
     * The class path elements with each wildcard replaced by the jars it stands for, sorted by
     * name. As for {@code java -cp}, only a whole last element {@code *} is a wildcard
     * ({@code lib/*.jar} names a file), and a directory without jars stands for nothing.
     */
    static List<Path> expand(List<Path> elements) throws LauncherException {
        List<Path> out = new ArrayList<>();
        for (Path e : elements) {
            Path name = e.getFileName();
            if (name == null || !name.toString().equals("*")) {
                out.add(e);
                continue;
            }
            Path dir = e.getParent() == null ? Path.of(".") : e.getParent();
            if (!Files.isDirectory(dir)) {
                throw new LauncherException("class path wildcard " + e + ": no such directory: " + dir);
            }
            List<String> jars = new ArrayList<>();
            try (DirectoryStream<Path> list = Files.newDirectoryStream(dir)) {
                for (Path f : list) {
                    String n = f.getFileName().toString();
                    if (n.endsWith(".jar") || n.endsWith(".JAR")) {
                        jars.add(n);
                    }
                    if (jars.size() > MAX_FILES) {
                        throw new LauncherException("class path wildcard " + e + " names more than " + MAX_FILES + " jars");
                    }
                }
            } catch (IOException x) {
                throw new LauncherException("class path wildcard " + e + ": cannot list " + dir + ": " + x.getMessage(), x);
            }
            jars.sort(null);
            jars.forEach(n -> out.add(dir.resolve(n)));
        }
        return out;
    }

    /** Copies a command-line entry (by its real path) and what its Class-Path names; returns its copy. */
    private Path copyRoot(Path entry) throws IOException, LauncherException {
        Path real;
        try {
            real = entry.toRealPath();
        } catch (IOException e) {
            throw new LauncherException("no such class path entry: " + entry);
        }
        String text = real.toString();
        if (text.contains(File.pathSeparator) || text.endsWith("*")) {
            throw new LauncherException("class path entry " + LauncherOptions.quote(text)
                    + " cannot be put on a class path (it holds '" + File.pathSeparator + "' or ends in '*')");
        }
        Path target = mirror(real.getRoot().relativize(real));
        if (Files.isDirectory(real)) {
            if (seen.add(target)) {
                copyDirectory(real, target);
            }
        } else {
            copyJars(real, target);
        }
        return target;
    }

    /** Copies {@code jar} to {@code target} and, depth first, what its manifest's Class-Path names. */
    private void copyJars(Path jar, Path target) throws IOException, LauncherException {
        record Pending(Path source, Path via) {}
        Deque<Pending> todo = new ArrayDeque<>();
        todo.push(new Pending(jar, null));
        while (!todo.isEmpty()) {
            Pending p = todo.pop();
            Path copy = mirror(p.source.getRoot().relativize(p.source));
            if (!seen.add(copy)) {
                continue;
            }
            if (p.via != null && !Files.exists(p.source)) {
                continue; // absent: the JVM skips it, and so the copy has none either
            }
            if (Files.isDirectory(p.source)) {
                copyDirectory(p.source, copy);
                continue;
            }
            copyFile(p.source, copy, p.via);
            List<ManifestClassPath.Entry> next = classPath(copy, p.source);
            for (int i = next.size() - 1; i >= 0; i--) {
                todo.push(new Pending(resolve(p.source, next.get(i)), p.source));
            }
        }
    }

    /**
     * Where a Class-Path entry of {@code jar} points, as a URL resolves it against the jar's:
     * textually, {@code ..} removed. Refused if absolute or above {@code /}: its copy would not be
     * where the copied jar looks.
     */
    private static Path resolve(Path jar, ManifestClassPath.Entry e) throws LauncherException {
        if (e.absolute()) {
            throw new LauncherException("Class-Path of " + jar + " names " + LauncherOptions.quote(e.token())
                    + ", an absolute path; the launcher copies the app and cannot follow it (make it relative)");
        }
        Path fromRoot = jar.getRoot().relativize(jar).resolveSibling(e.path()).normalize();
        if (fromRoot.startsWith("..")) {
            throw new LauncherException("Class-Path of " + jar + " names " + LauncherOptions.quote(e.token())
                    + ", which climbs above /");
        }
        return jar.getRoot().resolve(fromRoot);
    }

    /** The entries of the copy's manifest Class-Path (read from the copy: that is what runs). */
    private static List<ManifestClassPath.Entry> classPath(Path copy, Path original) throws LauncherException {
        Manifest m;
        try (JarFile jf = new JarFile(copy.toFile(), false)) {
            m = jf.getManifest();
        } catch (IOException e) {
            throw new LauncherException("not a readable jar: " + original + " (" + e.getMessage() + ")");
        }
        try {
            return ManifestClassPath.of(original, m);
        } catch (MeasurementException e) {
            throw new LauncherException(e.getMessage(), e);
        }
    }

    /**
     * Copies a class path directory: its regular files and subdirectories, nothing else. Links
     * are refused wherever they point, as the measurement refuses them.
     */
    private void copyDirectory(Path source, Path target) throws IOException, LauncherException {
        copyDirectory(source, source, target);
    }

    private void copyDirectory(Path top, Path source, Path target) throws IOException, LauncherException {
        privateDir(target);
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(source)) {
            for (Path e : entries) {
                Path copy = target.resolve(e.getFileName().toString());
                BasicFileAttributes a = Files.readAttributes(e, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                if (a.isDirectory()) {
                    copyDirectory(top, e, copy);
                } else if (a.isRegularFile()) {
                    copyFile(e, copy, null);
                } else {
                    throw new LauncherException((a.isSymbolicLink() ? "symbolic link" : "special file")
                            + " in class path directory " + top + ": " + top.relativize(e)
                            + " (links are refused wherever they point: copy the file in)");
                }
            }
        }
    }

    private void copyFile(Path source, Path target, Path via) throws IOException, LauncherException {
        if (!Files.isRegularFile(source)) {
            throw new LauncherException("not a jar file: " + source + (via == null ? "" : " (in the Class-Path of " + via + ")"));
        }
        if (++files > MAX_FILES) {
            throw new LauncherException("the app's class path has more than " + MAX_FILES + " files");
        }
        bytes += Files.size(source);
        if (bytes > MAX_BYTES) {
            throw new LauncherException("the app's class path holds more than " + (MAX_BYTES >> 30) + " GiB");
        }
        privateDir(target.getParent());
        Files.copy(source, target, StandardCopyOption.REPLACE_EXISTING);
        Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("r--------"));
    }

    /** The copy of the file at {@code fromRoot} (a path relative to {@code /}). */
    private Path mirror(Path fromRoot) {
        return root.resolve(fromRoot.toString());
    }

    static void privateDir(Path dir) throws IOException {
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
    }
}
