package dev.cloudproxy.tao.kms;

import dev.cloudproxy.tao.io.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * An {@link ObjectStore} in a directory: the link of {@code /zone/key/k#3} is the file
 * {@code DIR/objects/zone/key/k/#3}, written with {@link AtomicFiles} (temporary file, fsync,
 * rename; mode 0600). Names are validated strictly ({@link ObjectName}), so a segment can never
 * be {@code .}, {@code ..} or empty, and {@code #} (which no segment holds) keeps an epoch file
 * apart from a child object's directory.
 */
public final class DirectoryStore implements ObjectStore {
    private static final String OBJECTS = "objects";
    private static final String JOURNAL = "rewrap.journal";
    private static final int MAX_JOURNAL = 4096;

    private final Path dir;

    private DirectoryStore(Path dir) {
        this.dir = dir;
    }

    /** The store in {@code dir}, created (owner-only) if missing. */
    public static DirectoryStore open(Path dir) throws IOException {
        Objects.requireNonNull(dir, "dir");
        AtomicFiles.createPrivateDirectories(dir.resolve(OBJECTS));
        return new DirectoryStore(dir);
    }

    @Override
    public void put(ObjectId id, byte[] link) throws IOException {
        Path file = fileOf(id);
        AtomicFiles.createPrivateDirectories(file.getParent());
        AtomicFiles.writeOwnerOnly(file, link);
    }

    @Override
    public Optional<byte[]> get(ObjectId id) throws IOException {
        try {
            return Optional.of(AtomicFiles.readAtMost(fileOf(id), Link.MAX_BYTES + 1));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    @Override
    public List<ObjectId> list() throws IOException {
        Path objects = dir.resolve(OBJECTS);
        List<ObjectId> ids = new ArrayList<>();
        try (Stream<Path> files = Files.walk(objects, ObjectName.MAX_DEPTH + 1)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                String file = f.getFileName().toString();
                if (!file.startsWith("#") || !Files.isRegularFile(f)) {
                    continue; // directories and AtomicFiles' temporary files
                }
                Optional<ObjectId> id = idOf(objects.relativize(f.getParent()), file.substring(1));
                id.ifPresent(ids::add);
            }
        }
        ids.sort(null);
        return ids;
    }

    @Override
    public void putJournal(byte[] journal) throws IOException {
        AtomicFiles.writeOwnerOnly(dir.resolve(JOURNAL), journal);
    }

    @Override
    public Optional<byte[]> getJournal() throws IOException {
        try {
            return Optional.of(AtomicFiles.readAtMost(dir.resolve(JOURNAL), MAX_JOURNAL + 1));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    @Override
    public void deleteJournal() throws IOException {
        if (Files.deleteIfExists(dir.resolve(JOURNAL))) {
            AtomicFiles.syncDirectory(dir);
        }
    }

    private Path fileOf(ObjectId id) {
        if (id.name().isRoot()) {
            throw new IllegalArgumentException("the master key is not stored as a link");
        }
        Path p = dir.resolve(OBJECTS);
        for (String segment : id.name().segments()) {
            p = p.resolve(segment);
        }
        return p.resolve("#" + id.epoch());
    }

    /** The id of a stored file, or empty for a file that is not a link (skipped, not trusted). */
    private static Optional<ObjectId> idOf(Path relativeDir, String epochText) {
        try {
            StringBuilder name = new StringBuilder();
            for (Path segment : relativeDir) {
                name.append('/').append(segment);
            }
            if (epochText.isEmpty() || epochText.length() > 10 || !epochText.chars().allMatch(Character::isDigit)) {
                return Optional.empty();
            }
            return Optional.of(new ObjectId(ObjectName.of(name.toString()), Integer.parseInt(epochText)));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    @Override
    public String toString() {
        return "DirectoryStore[" + dir + "]";
    }
}
