package dev.cloudproxy.tao.measurement;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemLoopException;
import java.nio.file.FileVisitOption;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Enumeration;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.jar.Attributes;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Content digests of jars, directories and runtime images. One instance serves one measurement:
 * it holds the read buffer and the budget of entries and bytes that bounds the work a hostile
 * input can cause.
 */
final class Digests {
    /** Largest manifest read, as the JDK's own {@code JarFile} bounds it (it allows 2 GB). */
    static final int MAX_MANIFEST_BYTES = 8 << 20;

    static final String MANIFEST = "META-INF/MANIFEST.MF";

    /**
     * Main attributes that record how and when a jar was built, not what it does: neither the
     * JVM nor any library we know reads them, and build tools write a new value on every
     * build (bnd's timestamp) or every machine. Anything else in the manifest is measured.
     */
    static final Set<String> PROVENANCE_ATTRIBUTES =
            Set.of("created-by", "built-by", "build-jdk", "build-jdk-spec", "bnd-lastmodified");

    /**
     * Per-file digests of runtime images within this process, by what identifies a file's content
     * without reading it: real path, device, inode, size, modification time and change time
     * (which no unprivileged program can set back). Files without Unix attributes are not cached.
     */
    private static final Map<RuntimeDigestCache.Stamp, byte[]> RUNTIME_CACHE = new ConcurrentHashMap<>();

    private final byte[] buffer = new byte[1 << 16];
    private final MessageDigest sha256 = sha256();
    private final long maxEntries;
    private final RuntimeDigestCache persistent;
    private long entriesLeft;
    private long bytesLeft;

    /** With {@code persistent} null, runtime digests are cached within the process only. */
    Digests(long maxEntries, long maxBytes, RuntimeDigestCache persistent) {
        this.maxEntries = maxEntries;
        this.persistent = persistent;
        this.entriesLeft = maxEntries;
        this.bytesLeft = maxBytes;
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    /** A measured jar: its content digest and its manifest, if it has one. */
    record Jar(byte[] digest, Manifest manifest) {}

    /**
     * The content digest of a jar: the sorted (name, SHA-256 of uncompressed content) pairs of
     * its file entries, with the manifest replaced by its canonical form. Timestamps,
     * compression, entry order, comments, extra fields and directory entries do not count.
     */
    Jar jar(Path path) throws MeasurementException {
        TreeMap<byte[], byte[]> entries = new TreeMap<>(Arrays::compareUnsigned);
        Manifest manifest = null;
        try (ZipFile zip = new ZipFile(path.toFile())) {
            Set<String> names = new HashSet<>();
            String manifestName = null;
            Enumeration<? extends ZipEntry> all = zip.entries();
            while (all.hasMoreElements()) {
                ZipEntry e = all.nextElement();
                takeEntry(path);
                String name = e.getName();
                checkName(path, name);
                if (!names.add(name)) {
                    throw malformed(path, "duplicate entry " + quote(name));
                }
                if (name.endsWith("/")) {
                    if (e.getSize() > 0) {
                        throw malformed(path, "directory entry " + quote(name) + " has content");
                    }
                    continue;
                }
                if (name.equalsIgnoreCase(MANIFEST)) {
                    if (manifestName != null) {
                        throw malformed(path, "two manifests: " + quote(manifestName) + " and " + quote(name));
                    }
                    manifestName = name;
                    byte[] bytes = readManifest(path, zip, e);
                    manifest = parseManifest(path, bytes);
                    entries.put(utf8(MANIFEST), sha256.digest(canonicalManifest(manifest)));
                    continue;
                }
                try (InputStream in = zip.getInputStream(e)) {
                    entries.put(utf8(name), hash(path, name, in, e.getSize()));
                }
            }
        } catch (IOException | RuntimeException e) {
            throw malformedOrUnreadable(path, e);
        }
        return new Jar(tree("jar/v1", entries), manifest);
    }

    /**
     * The content digest of a directory on the classpath: its regular files by relative path
     * ({@code /}-separated) and content, in the same form as a jar's (under another label, so a
     * directory never measures as a jar). Symbolic links are refused, wherever they point: a
     * link can change target after measurement without any file in the tree changing.
     */
    byte[] directory(Path root) throws MeasurementException {
        TreeMap<byte[], byte[]> entries = new TreeMap<>(Arrays::compareUnsigned);
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    String name = relativeName(root, file);
                    if (attrs.isSymbolicLink()) {
                        throw new UncheckedMeasurement(new MeasurementException(
                                "symbolic link in classpath directory " + root + ": " + quote(name)));
                    }
                    if (!attrs.isRegularFile()) {
                        throw new UncheckedMeasurement(new MeasurementException(
                                "special file in classpath directory " + root + ": " + quote(name)));
                    }
                    try {
                        takeEntry(root);
                        try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
                            entries.put(utf8(name), hash(root, name, in, attrs.size()));
                        }
                    } catch (MeasurementException e) {
                        throw new UncheckedMeasurement(e);
                    }
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (UncheckedMeasurement e) {
            throw e.getCause();
        } catch (IOException e) {
            throw new MeasurementException("cannot read classpath directory " + root + ": " + e, e);
        }
        return tree("dir/v1", entries);
    }

    /**
     * The digest of a Java runtime: every file the JVM may read when it starts and runs a
     * program ({@code release}, {@code bin/java}, {@code conf/} and {@code lib/} except the
     * sources in {@code lib/src.zip}), by relative path and content. Links are followed, because
     * distributions build runtimes out of them (Debian links {@code conf/} into {@code /etc});
     * a link to nothing is measured as its target's name. Digests of unchanged files are reused
     * within the process, and across processes through the persistent cache if there is one.
     */
    byte[] runtime(Path javaHome) throws MeasurementException {
        Path home = javaHome.toAbsolutePath().normalize();
        if (!Files.isRegularFile(home.resolve("release")) || !Files.isRegularFile(home.resolve("bin/java"))) {
            throw new MeasurementException("not a Java runtime (no release file or bin/java): " + home);
        }
        TreeMap<byte[], byte[]> entries = new TreeMap<>(Arrays::compareUnsigned);
        for (String part : List.of("release", "bin/java", "conf", "lib")) {
            Path start = home.resolve(part);
            if (!Files.exists(start, LinkOption.NOFOLLOW_LINKS)) {
                continue;
            }
            try {
                Files.walkFileTree(start, EnumSet.of(FileVisitOption.FOLLOW_LINKS), Integer.MAX_VALUE,
                        new SimpleFileVisitor<>() {
                            @Override
                            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                                String name = relativeName(home, file);
                                if (name.equals("lib/src.zip") || !attrs.isRegularFile()) {
                                    return FileVisitResult.CONTINUE;
                                }
                                try {
                                    entries.put(utf8(name), runtimeFile(home, name, file, attrs));
                                } catch (MeasurementException e) {
                                    throw new UncheckedMeasurement(e);
                                }
                                return FileVisitResult.CONTINUE;
                            }

                            @Override
                            public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                                String name = relativeName(home, file);
                                if (e instanceof NoSuchFileException && Files.isSymbolicLink(file)) {
                                    entries.put(utf8(name), sha256.digest(
                                            utf8("dangling link to " + Files.readSymbolicLink(file))));
                                    return FileVisitResult.CONTINUE;
                                }
                                if (e instanceof FileSystemLoopException || name.equals("lib/src.zip")) {
                                    return FileVisitResult.CONTINUE;
                                }
                                throw e;
                            }
                        });
            } catch (UncheckedMeasurement e) {
                throw e.getCause();
            } catch (IOException e) {
                throw new MeasurementException("cannot read Java runtime " + home + ": " + e, e);
            }
        }
        if (persistent != null) {
            persistent.save();
        }
        return tree("runtime/v1", entries);
    }

    /**
     * A runtime file's digest: from the persistent cache if it has one for exactly this file and
     * may be trusted for it (see {@link RuntimeDigestCache}), else from this process's own cache,
     * else by hashing. The persistent cache comes first so that what it is trusted for is what
     * it is used for, whatever this process has seen before; its entries never enter the
     * process's cache, which other measurements share.
     */
    private byte[] runtimeFile(Path home, String name, Path file, BasicFileAttributes attrs)
            throws IOException, MeasurementException {
        Optional<RuntimeDigestCache.FileFacts> facts = RuntimeDigestCache.FileFacts.of(file);
        if (facts.isEmpty()) {
            try (InputStream in = Files.newInputStream(file)) {
                return hash(home, name, in, attrs.size());
            }
        }
        RuntimeDigestCache.Stamp stamp = facts.get().stamp();
        if (persistent != null) {
            Optional<byte[]> cached = persistent.get(file, facts.get());
            if (cached.isPresent()) {
                return cached.get();
            }
        }
        byte[] digest = RUNTIME_CACHE.get(stamp);
        if (digest == null) {
            // The real path, as stamped: a digest is only ever stored for the file it describes.
            try (InputStream in = Files.newInputStream(facts.get().path(), LinkOption.NOFOLLOW_LINKS)) {
                digest = hash(home, name, in, stamp.size());
            }
            RUNTIME_CACHE.put(stamp, digest.clone());
        }
        if (persistent != null) {
            persistent.put(file, facts.get(), digest);
        }
        return digest.clone();
    }

    /**
     * SHA-256 of a stream, read in 64 KiB pieces against the measurement's byte budget; a
     * declared size (zip central directory, file attributes), when there is one, must match.
     */
    private byte[] hash(Path where, String name, InputStream in, long declaredSize) throws IOException, MeasurementException {
        sha256.reset();
        long total = 0;
        int n;
        while ((n = in.read(buffer)) > 0) {
            total += n;
            bytesLeft -= n;
            if (bytesLeft < 0) {
                throw new MeasurementException("too much to measure in " + where
                        + ": the content exceeds the limit of bytes read (a zip bomb?)");
            }
            if (declaredSize >= 0 && total > declaredSize) {
                break;
            }
            sha256.update(buffer, 0, n);
        }
        if (declaredSize >= 0 && total != declaredSize) {
            throw malformed(where, quote(name) + " holds " + total + " bytes, not the " + declaredSize + " declared");
        }
        return sha256.digest();
    }

    private byte[] readManifest(Path path, ZipFile zip, ZipEntry e) throws IOException, MeasurementException {
        if (e.getSize() > MAX_MANIFEST_BYTES) {
            throw malformed(path, "the manifest is larger than " + MAX_MANIFEST_BYTES + " bytes");
        }
        byte[] bytes;
        try (InputStream in = zip.getInputStream(e)) {
            bytes = in.readNBytes(MAX_MANIFEST_BYTES + 1);
        }
        if (bytes.length > MAX_MANIFEST_BYTES || (e.getSize() >= 0 && bytes.length != e.getSize())) {
            throw malformed(path, "the manifest's size does not match its entry");
        }
        bytesLeft -= bytes.length;
        return bytes;
    }

    private static Manifest parseManifest(Path path, byte[] bytes) throws MeasurementException {
        try {
            return new Manifest(new ByteArrayInputStream(bytes));
        } catch (IOException | RuntimeException e) {
            throw malformed(path, "bad manifest: " + e.getMessage());
        }
    }

    /**
     * The manifest as the JVM reads it, in canonical form: main attributes (less the build
     * provenance ones), then per-entry sections, each sorted, attribute names lowercased since
     * they are case-insensitive. Line wrapping, attribute order and line ends do not count.
     */
    static byte[] canonicalManifest(Manifest manifest) {
        Canonical c = new Canonical().field("manifest/v1");
        attributes(c, manifest.getMainAttributes(), true);
        TreeMap<byte[], Attributes> sections = new TreeMap<>(Arrays::compareUnsigned);
        for (Map.Entry<String, Attributes> s : manifest.getEntries().entrySet()) {
            sections.put(utf8(s.getKey()), s.getValue());
        }
        c.varint(sections.size());
        for (Map.Entry<byte[], Attributes> s : sections.entrySet()) {
            c.bytes(s.getKey());
            attributes(c, s.getValue(), false);
        }
        return c.toByteArray();
    }

    private static void attributes(Canonical c, Attributes attributes, boolean main) {
        TreeMap<String, String> sorted = new TreeMap<>();
        for (Map.Entry<Object, Object> a : attributes.entrySet()) {
            String name = a.getKey().toString().toLowerCase(Locale.ROOT);
            if (main && PROVENANCE_ATTRIBUTES.contains(name)) {
                continue;
            }
            sorted.put(name, a.getValue().toString());
        }
        c.varint(sorted.size());
        for (Map.Entry<String, String> a : sorted.entrySet()) {
            c.string(a.getKey()).string(a.getValue());
        }
    }

    private byte[] tree(String label, TreeMap<byte[], byte[]> entries) {
        Canonical c = new Canonical().field(label).varint(entries.size());
        for (Map.Entry<byte[], byte[]> e : entries.entrySet()) {
            c.bytes(e.getKey()).bytes(e.getValue());
        }
        sha256.reset();
        return sha256.digest(c.toByteArray());
    }

    private void takeEntry(Path where) throws MeasurementException {
        if (--entriesLeft < 0) {
            throw new MeasurementException("too many entries to measure in " + where + " (limit " + maxEntries + ")");
        }
    }

    /**
     * Names that would be read as another file when extracted or resolved: absolute, with a
     * {@code ..} segment, a backslash or a NUL.
     */
    private static void checkName(Path path, String name) throws MeasurementException {
        if (name.isEmpty() || name.startsWith("/") || name.indexOf('\\') >= 0 || name.indexOf('\0') >= 0) {
            throw malformed(path, "bad entry name " + quote(name));
        }
        for (String segment : name.split("/", -1)) {
            if (segment.equals("..")) {
                throw malformed(path, "bad entry name " + quote(name));
            }
        }
    }

    private static String relativeName(Path root, Path file) {
        Path rel = root.relativize(file);
        StringBuilder name = new StringBuilder();
        for (Path part : rel) {
            if (name.length() > 0) {
                name.append('/');
            }
            name.append(part);
        }
        return name.toString();
    }

    private static MeasurementException malformedOrUnreadable(Path path, Exception e) {
        if (e instanceof NoSuchFileException) {
            return new MeasurementException("no such jar: " + path, e);
        }
        return new MeasurementException("malformed or unreadable jar " + path + ": " + e.getMessage(), e);
    }

    private static MeasurementException malformed(Path path, String why) {
        return new MeasurementException("malformed jar " + path + ": " + why);
    }

    /** A name from an input, quoted and cut short, so a message stays one bounded line. */
    static String quote(String s) {
        String cut = s.length() > 200 ? s.substring(0, 200) + "..." : s;
        StringBuilder out = new StringBuilder("'");
        for (char ch : cut.toCharArray()) {
            out.append(Character.isISOControl(ch) ? '?' : ch);
        }
        return out.append('\'').toString();
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Carries a {@link MeasurementException} out of a file visitor. */
    private static final class UncheckedMeasurement extends RuntimeException {
        private static final long serialVersionUID = 1L;

        UncheckedMeasurement(MeasurementException cause) {
            super(cause);
        }

        @Override
        public synchronized MeasurementException getCause() {
            return (MeasurementException) super.getCause();
        }
    }
}
