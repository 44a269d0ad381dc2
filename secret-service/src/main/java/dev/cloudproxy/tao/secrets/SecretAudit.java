package dev.cloudproxy.tao.secrets;

import dev.cloudproxy.tao.auth.Prin;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.Objects;

/**
 * The secret service's audit trail: one line per decision, written and flushed before the
 * answer is sent, so the service never discloses anything it has not recorded (if the line
 * cannot be written, the request is refused).
 *
 * <p>A line is {@code time TAB peer TAB op TAB object TAB decision TAB basis TAB reason}, each
 * field printable ASCII with tabs and controls replaced, the peer cut at {@value #MAX_PEER_CHARS}
 * characters and the reason at {@value SecretResponse#MAX_REASON}: one request adds a bounded
 * line. No field is secret: principals, object names and reasons are public; contents and key
 * material never reach this class.
 */
public final class SecretAudit implements Closeable {
    /** Longest peer name written; longer ones are cut and marked. */
    public static final int MAX_PEER_CHARS = 2048;

    /** What was decided. */
    public enum Decision {
        GRANTED, DENIED, FAILED
    }

    /** What a grant rested on. */
    public enum Basis {
        GUARD, DIRECTIVE, OPERATOR, NONE
    }

    private final Path file;
    private final OutputStream out;

    private SecretAudit(Path file, OutputStream out) {
        this.file = file;
        this.out = out;
    }

    /** Appends to {@code file}, creating it with mode 0600 where POSIX permissions exist. */
    public static SecretAudit open(Path file) throws IOException {
        Objects.requireNonNull(file, "file");
        if (!Files.exists(file)) {
            try {
                Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } catch (UnsupportedOperationException e) {
                Files.createFile(file);
            }
        }
        return new SecretAudit(file, Files.newOutputStream(file, StandardOpenOption.APPEND, StandardOpenOption.WRITE));
    }

    public Path file() {
        return file;
    }

    /** Writes and flushes one record; {@code op} is {@code null} for a connection refused before any request. */
    public synchronized void record(Instant time, Prin peer, SecretOp op, String object, Decision decision, Basis basis,
            String reason) throws IOException {
        String line = time.getEpochSecond() + "\t" + field(peer == null ? "-" : peer.toString(), MAX_PEER_CHARS) + "\t"
                + (op == null ? "-" : op) + "\t" + field(object, 512) + "\t" + decision + "\t" + basis + "\t"
                + field(reason, SecretResponse.MAX_REASON) + "\n";
        out.write(line.getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    private static String field(String s, int max) {
        StringBuilder b = new StringBuilder(Math.min(s.length(), max) + 3);
        for (int i = 0; i < s.length(); i++) {
            if (b.length() >= max) {
                return b.append("...").toString();
            }
            char c = s.charAt(i);
            b.append(c >= 0x20 && c <= 0x7e ? c : '?');
        }
        return b.length() == 0 ? "-" : b.toString();
    }

    @Override
    public synchronized void close() throws IOException {
        out.close();
    }

    @Override
    public String toString() {
        return "SecretAudit[" + file + "]";
    }
}
