package dev.cloudproxy.tao.domainservice;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Objects;

/**
 * The domain service's audit log: an append-only file with one line per decision, tab-separated:
 *
 * <pre>
 * time (ISO-8601 UTC) TAB peer (address:port) TAB decision TAB principal TAB serial (hex) TAB reason
 * </pre>
 *
 * <p>Decisions are {@code issued}, {@code refused} (the request was read and refused), {@code bad-request}
 * (it could not be read: bad TLS, bad frame, timeout, too many connections) and {@code error} (the
 * service failed). A field that does not apply is {@code -}. Tabs, line breaks and other control
 * characters inside a field become {@code ?}, so a line is always one decision whatever a client
 * sent; fields are cut at {@value #MAX_FIELD_CHARS} characters. The service sends its
 * {@code bad-request} decisions through an {@link AuditThrottle}, so a flood becomes a few lines
 * and a counted summary.
 *
 * <p>The file is opened with {@code O_APPEND} and created with mode {@code 0600}; each line is one
 * {@code write(2)}, so lines from concurrent connections never interleave. Lines are not
 * {@code fsync}'ed one by one (that would bound the issuance rate by the disk); an issued
 * certificate itself is written durably to {@code issued/} before the client gets it. Nothing
 * secret is ever in a decision: principals, serials and reasons are public.
 */
public final class AuditLog implements AuditSink {
    /** Longest field written. */
    public static final int MAX_FIELD_CHARS = 8192 + 64;

    /** What the service decided. */
    public enum Decision {
        ISSUED("issued"), REFUSED("refused"), BAD_REQUEST("bad-request"), ERROR("error");

        private final String text;

        Decision(String text) {
            this.text = text;
        }

        public String text() {
            return text;
        }
    }

    private final Path file;
    private final FileChannel channel;

    private AuditLog(Path file, FileChannel channel) {
        this.file = file;
        this.channel = channel;
    }

    /** Opens (creating with mode 0600 if missing) the log at {@code file} for appending. */
    public static AuditLog open(Path file) throws IOException {
        FileChannel channel = FileChannel.open(file,
                EnumSet.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        return new AuditLog(file, channel);
    }

    /** The log's file. */
    public Path file() {
        return file;
    }

    /** Appends one line (one {@code write(2)}). */
    @Override
    public IOException record(Instant time, String peer, Decision decision, String principal, String serial,
            String reason) {
        Objects.requireNonNull(decision, "decision");
        String line = String.join("\t", time.toString(), field(peer), decision.text(), field(principal),
                field(serial), field(reason)) + "\n";
        ByteBuffer buf = ByteBuffer.wrap(line.getBytes(StandardCharsets.UTF_8));
        synchronized (this) {
            try {
                while (buf.hasRemaining()) {
                    channel.write(buf);
                }
                return null;
            } catch (IOException e) {
                return e;
            }
        }
    }

    /** Forces what was written to disk. */
    public void sync() throws IOException {
        channel.force(false);
    }

    static String field(String s) {
        if (s == null || s.isEmpty()) {
            return "-";
        }
        int n = Math.min(s.length(), MAX_FIELD_CHARS);
        StringBuilder b = new StringBuilder(n);
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            b.append(Character.isISOControl(c) ? '?' : c);
        }
        return b.toString();
    }

    @Override
    public void close() throws IOException {
        synchronized (this) {
            channel.close();
        }
    }

    @Override
    public String toString() {
        return "AuditLog[" + file + "]";
    }
}
