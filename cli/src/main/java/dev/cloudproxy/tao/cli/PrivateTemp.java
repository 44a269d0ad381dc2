package dev.cloudproxy.tao.cli;

import dev.cloudproxy.tao.io.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/** A temporary directory only this user can enter (mode 0700), removed with its content when closed. */
final class PrivateTemp implements AutoCloseable {
    private final Path dir;

    private PrivateTemp(Path dir) {
        this.dir = dir;
    }

    static PrivateTemp create(String prefix) throws IOException {
        return new PrivateTemp(Files.createTempDirectory(prefix,
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"))));
    }

    Path dir() {
        return dir;
    }

    @Override
    public void close() {
        try {
            AtomicFiles.deleteTree(dir);
        } catch (IOException e) {
            // a private temporary directory left behind costs only space
        }
    }
}
