package dev.cloudproxy.tao.domainservice;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;

/**
 * The domain service's audit log: an append-only file with one line per decision, tab-separated:
 *
 * <pre>
 * time (ISO-8601 UTC) TAB peer (address:port) TAB decision TAB principal TAB serial (hex) TAB reason TAB chain
 * </pre>
 *
 * <p>{@code chain} links each record to the one before it by hash ({@link AuditChain}): an edited,
 * deleted, inserted or moved record breaks the chain, and {@code tao audit verify} finds where. A
 * log from before the chain (six fields per line) is continued, its old lines kept as an
 * unchained prefix. A log that ends in a partial record (a crash or a full disk during a write)
 * is not appended to: {@link #open} refuses it with the remedy.
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
 * {@code fsync}'ed one by one (that would bound the issuance rate by the disk); the {@code issued}
 * records are written by {@link FileStore#recordIssued} together with their certificates and
 * forced to disk in one {@code fsync} per batch, before the client gets the certificate. Nothing
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
    // Guarded by this: the chain value of the newest record written.
    private byte[] head;
    // Guarded by this: why the log refuses records (a failed write could not be undone), or null.
    private String broken;

    private AuditLog(Path file, FileChannel channel) {
        this.file = file;
        this.channel = channel;
    }

    /** Longest record line {@link #open} reads back to find the chain's head. */
    static final int MAX_LINE_BYTES = 4 * (4 * MAX_FIELD_CHARS + 256);

    /**
     * Opens (creating with mode 0600 if missing) the log at {@code file} for appending, continuing
     * its chain from its newest record.
     *
     * @throws AuditLogException if the log ends in a partial or unreadable record
     */
    public static AuditLog open(Path file) throws IOException {
        FileChannel channel = FileChannel.open(file,
                EnumSet.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try {
            AuditLog log = new AuditLog(file, channel);
            try (FileChannel reader = FileChannel.open(file, StandardOpenOption.READ)) {
                log.head = head(file, reader);
            }
            return log;
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /** The chain value of the newest record (read from the last line only; the whole log if it is unchained). */
    private static byte[] head(Path file, FileChannel channel) throws IOException {
        long size = channel.size();
        if (size == 0) {
            return AuditChain.genesis();
        }
        int n = (int) Math.min(size, MAX_LINE_BYTES + 1L);
        ByteBuffer tail = ByteBuffer.allocate(n);
        while (tail.hasRemaining()) {
            if (channel.read(tail, size - n + tail.position()) < 0) {
                throw new AuditLogException("the audit log " + file + " shrank while it was opened");
            }
        }
        byte[] bytes = tail.array();
        String remedy = "; check it with 'tao audit verify " + file + "', then keep it elsewhere and start a new log";
        if (bytes[n - 1] != '\n') {
            throw new AuditLogException("the audit log " + file + " ends in a partial record (a crash or a full disk"
                    + " during a write)" + remedy);
        }
        int start = n - 2;
        while (start >= 0 && bytes[start] != '\n') {
            start--;
        }
        if (start < 0 && n < size) {
            throw new AuditLogException("the last record of the audit log " + file + " is longer than any record"
                    + " the service writes" + remedy);
        }
        String last = new String(bytes, start + 1, n - start - 2, StandardCharsets.UTF_8);
        String[] fields = last.split("\t", -1);
        if (fields.length == AuditChain.FIELDS) {
            return AuditChain.parseValue(fields[AuditChain.FIELDS - 1]).orElseThrow(() -> new AuditLogException(
                    "the last record of the audit log " + file + " has no valid chain value" + remedy));
        }
        if (fields.length != AuditChain.FIELDS - 1) {
            throw new AuditLogException("the last line of the audit log " + file + " is not an audit record" + remedy);
        }
        // A log from before the chain: the chain starts from the hash of all of it.
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            AuditChain.Verification v = AuditChain.verify(r, true);
            if (!v.intact()) {
                throw new AuditLogException("the audit log " + file + " cannot be continued: " + v.firstBreak().get()
                        + remedy);
            }
            return v.head();
        }
    }

    /** The log's file. */
    public Path file() {
        return file;
    }

    /** Appends one line (one {@code write(2)}), not forced to disk. */
    @Override
    public IOException record(Instant time, String peer, Decision decision, String principal, String serial,
            String reason) {
        String record = new AuditRecord(time, peer, decision, principal, serial, reason).text();
        synchronized (this) {
            if (broken != null) {
                return new AuditLogException(broken);
            }
            byte[] value = AuditChain.next(head, record);
            ByteBuffer buf = ByteBuffer.wrap((record + "\t" + AuditChain.hex(value) + "\n").getBytes(StandardCharsets.UTF_8));
            try {
                while (buf.hasRemaining()) {
                    channel.write(buf);
                }
                head = value;
                return null;
            } catch (IOException e) {
                return e;
            }
        }
    }

    /**
     * Appends {@code records} (one {@code write(2)}) and forces them to disk: when it returns, all
     * of them are durable. If that fails, the log is cut back to where it was and the failure
     * thrown, so none of them stays; if even that fails, the log refuses every later record
     * (restart the service, which then refuses a log with a partial record) rather than chain
     * new records after ones that may be half written. Records of other callers wait meanwhile.
     */
    void appendDurably(List<AuditRecord> records) throws IOException {
        StringBuilder lines = new StringBuilder();
        synchronized (this) {
            if (broken != null) {
                throw new AuditLogException(broken);
            }
            byte[] value = head;
            for (AuditRecord r : records) {
                String record = r.text();
                value = AuditChain.next(value, record);
                lines.append(record).append('\t').append(AuditChain.hex(value)).append('\n');
            }
            long size = channel.size();
            ByteBuffer buf = ByteBuffer.wrap(lines.toString().getBytes(StandardCharsets.UTF_8));
            try {
                while (buf.hasRemaining()) {
                    channel.write(buf);
                }
                channel.force(false);
                head = value;
            } catch (IOException e) {
                try {
                    channel.truncate(size);
                    channel.force(false);
                } catch (IOException again) {
                    broken = "the audit log " + file + " could not be restored after a failed write: restart the"
                            + " service";
                    e.addSuppressed(again);
                }
                throw e;
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
