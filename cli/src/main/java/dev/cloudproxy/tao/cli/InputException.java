package dev.cloudproxy.tao.cli;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Input a command cannot process: malformed text or hex, an over-long line, unreadable standard
 * input, a file that cannot be read or written, an attestation that does not verify. {@link TaoCli}
 * prints the message on one line after the command's name and exits 1, without a stack trace,
 * because the problem is in the input and the message says where.
 */
public final class InputException extends Exception {
    private static final long serialVersionUID = 1L;

    /** An error whose message says what is wrong with the input and where. */
    public InputException(String message) {
        super(message);
    }

    /**
     * A file operation on {@code path} that failed: {@code "cannot read x: no such file or
     * directory"}. The file the system names is added when it is not {@code path} itself (a
     * missing parent directory, say).
     *
     * @param action what was being done, e.g. {@code "cannot read x"}
     */
    public static InputException file(String action, Path path, IOException e) {
        String reason;
        if (e instanceof FileSystemException fse) {
            if (e instanceof NoSuchFileException) {
                reason = "no such file or directory";
            } else if (e instanceof AccessDeniedException) {
                reason = "permission denied";
            } else if (e instanceof FileAlreadyExistsException) {
                reason = "already exists";
            } else {
                reason = fse.getReason() != null ? fse.getReason() : String.valueOf(fse.getMessage());
            }
            if (fse.getFile() != null && !fse.getFile().equals(path.toString())) {
                reason += " (" + fse.getFile() + ")";
            }
        } else {
            reason = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
        }
        return new InputException(action + ": " + reason);
    }

    /** The same error, located further: {@code "line 3: " + message}. */
    public InputException prefixed(String where) {
        return new InputException(where + ": " + getMessage());
    }
}
