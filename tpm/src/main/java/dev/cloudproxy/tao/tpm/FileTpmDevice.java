package dev.cloudproxy.tao.tpm;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * A TPM character device: {@code /dev/tpmrm0} (the kernel's resource manager, which virtualizes
 * handles per open file and is the one to use) or {@code /dev/tpm0} (raw, one user at a time). One
 * write is one command, one read is the whole response. TSS.Java's own Linux device ignores the
 * path it is given and prints failures, so this one is used instead.
 */
final class FileTpmDevice extends HeldResponseDevice {
    private static final int MAX_RESPONSE = 1 << 16;
    private final Path path;
    private RandomAccessFile file;

    FileTpmDevice(Path path) {
        this.path = path;
    }

    void open() throws IOException {
        file = new RandomAccessFile(path.toFile(), "rw");
    }

    @Override
    public boolean connect() {
        try {
            open();
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public void dispatchCommand(byte[] command) {
        clearResponse();
        try {
            file.write(command);
            byte[] buf = new byte[MAX_RESPONSE];
            int n = file.read(buf);
            if (n < 10) {
                throw new IOException("short TPM response (" + n + " bytes)");
            }
            holdResponse(Arrays.copyOf(buf, n));
        } catch (IOException e) {
            throw new UncheckedIOException("TPM device " + path + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        try {
            if (file != null) {
                file.close();
            }
        } catch (IOException ignored) {
            // nothing left to release
        } finally {
            file = null;
        }
    }

    @Override
    public String toString() {
        return "TPM device " + path;
    }
}
