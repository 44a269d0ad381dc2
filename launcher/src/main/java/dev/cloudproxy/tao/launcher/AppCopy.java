package dev.cloudproxy.tao.launcher;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

/**
 * Private copies of the app's jars, so that the app runs the bytes that were measured even if the
 * originals change (a rebuild, another writer) while it runs. The app jar goes to {@code app/},
 * each {@code --cp} jar to {@code cp/N/}, and every jar a copied manifest's {@code Class-Path}
 * names to the same relative place beside its copy, so the JVM resolves {@code Class-Path}
 * exactly as it would have, but within the copies. Copies are read-only for their owner, in
 * directories only the owner can enter.
 *
 * <p>Refused: directories on the class path, {@code Class-Path} entries that are absolute, are
 * URLs or leave the jar's directory ({@code ../lib/x.jar}): copying those faithfully would need
 * the whole tree around the app.
 */
final class AppCopy {
    static final int MAX_FILES = 4096;

    /** The copies, in class path order: the app jar, then the {@code --cp} jars. */
    record Copied(Path appJar, List<Path> classpath) {}

    private AppCopy() {}

    static Copied copy(Path appJar, List<Path> cp, Path dest) throws LauncherException {
        int[] files = {0};
        try {
            Path app = copyTree(appJar, dest.resolve("app"), files);
            List<Path> more = new ArrayList<>();
            for (int i = 0; i < cp.size(); i++) {
                more.add(copyTree(cp.get(i), dest.resolve("cp").resolve(Integer.toString(i)), files));
            }
            return new Copied(app, List.copyOf(more));
        } catch (IOException e) {
            throw new LauncherException("cannot copy the app: " + e.getMessage(), e);
        }
    }

    /** Copies {@code jar} into {@code dir} and, depth first, what its manifest's Class-Path names. */
    private static Path copyTree(Path jar, Path dir, int[] files) throws IOException, LauncherException {
        record Pending(Path source, Path relative, Path via) {}
        privateDir(dir);
        Path top = jar.getFileName();
        if (top == null) {
            throw new LauncherException("not a jar file: " + jar);
        }
        Deque<Pending> todo = new ArrayDeque<>();
        todo.push(new Pending(jar, top, null));
        Set<Path> seen = new HashSet<>();
        while (!todo.isEmpty()) {
            Pending p = todo.pop();
            if (!seen.add(p.relative.normalize())) {
                continue;
            }
            String where = p.via == null ? "" : " (in the Class-Path of " + p.via + ")";
            if (Files.isDirectory(p.source)) {
                throw new LauncherException("class path directories are not supported, only jars: " + p.source + where);
            }
            if (!Files.isRegularFile(p.source)) {
                throw new LauncherException("no such jar: " + p.source + where);
            }
            if (++files[0] > MAX_FILES) {
                throw new LauncherException("the app has more than " + MAX_FILES + " jars");
            }
            Path target = dir.resolve(p.relative);
            if (target.getParent() != null && !Files.isDirectory(target.getParent(), LinkOption.NOFOLLOW_LINKS)) {
                Files.createDirectories(target.getParent(), PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rwx------")));
            }
            Files.copy(p.source, target, StandardCopyOption.REPLACE_EXISTING);
            Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("r--------"));
            List<Path> next = classPath(target, p.source);
            for (int i = next.size() - 1; i >= 0; i--) {
                Path rel = p.relative.resolveSibling(next.get(i)).normalize();
                Path sourceDir = p.source.toAbsolutePath().getParent();
                todo.push(new Pending(sourceDir.resolve(next.get(i)), rel, p.source));
            }
        }
        return dir.resolve(top);
    }

    /** The relative paths in the copy's manifest Class-Path (read from the copy: that is what runs). */
    private static List<Path> classPath(Path copy, Path original) throws IOException, LauncherException {
        Manifest m;
        try (JarFile jf = new JarFile(copy.toFile(), false)) {
            m = jf.getManifest();
        } catch (IOException e) {
            throw new LauncherException("not a readable jar: " + original + " (" + e.getMessage() + ")");
        }
        String value = m == null ? null : m.getMainAttributes().getValue(Attributes.Name.CLASS_PATH);
        List<Path> out = new ArrayList<>();
        if (value == null) {
            return out;
        }
        for (String token : value.trim().split("\\s+")) {
            if (token.isEmpty()) {
                continue;
            }
            Path rel;
            try {
                URI uri = new URI(token);
                if (uri.getScheme() != null || uri.getPath() == null || uri.getPath().startsWith("/")) {
                    throw new LauncherException("Class-Path of " + original + " names " + LauncherOptions.quote(token)
                            + ", which is not a relative path; the launcher copies the app and cannot follow it");
                }
                rel = Path.of(uri.getPath()).normalize();
            } catch (URISyntaxException | IllegalArgumentException e) {
                throw new LauncherException("bad Class-Path entry in " + original + ": " + LauncherOptions.quote(token));
            }
            if (rel.startsWith("..") || rel.toString().isEmpty()) {
                throw new LauncherException("Class-Path of " + original + " names " + LauncherOptions.quote(token)
                        + ", outside the jar's directory; the launcher copies the app and cannot follow it");
            }
            out.add(rel);
        }
        return out;
    }

    static void privateDir(Path dir) throws IOException {
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
    }
}
