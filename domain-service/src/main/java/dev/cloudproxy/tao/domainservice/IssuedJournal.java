package dev.cloudproxy.tao.domainservice;

import dev.cloudproxy.tao.domain.ProgramCertificate;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;

/**
 * The file store's durable record of issued certificates ({@code issued.journal} in the domain
 * directory): append-only, one record per certificate, a 4-byte big-endian length and the DER.
 *
 * <p>Why a journal: making each {@code issued/SERIAL.pem} durable costs two {@code fsync}s (the
 * file and the directory) per certificate. The journal takes a whole batch of certificates
 * ({@link GroupCommit}) in one {@code write} and one {@code fsync}; the per-serial files are then
 * written without {@code fsync} as an index that {@code ls} and older tools read, and rebuilt
 * from the journal when the store is opened after a crash. Readers of the registry consult both,
 * so a certificate is found and revocable from the moment its batch is durable.
 *
 * <p>A crash during an append leaves at most a partial last record, which was never acknowledged
 * (the append returns only after the {@code fsync}); readers ignore it and {@link #open} cuts it
 * off. A failed append is cut back, so nothing of its batch stays. The file holds only public
 * certificates (mode 0644, as {@code issued/}). One writer: the service process of the directory.
 */
final class IssuedJournal implements AutoCloseable {
    static final String FILE = "issued.journal";
    /** Largest record (as the registry reads at most per certificate file). */
    private static final int MAX_RECORD = 64 << 10;

    private final Path file;
    private final FileChannel channel;
    // Guarded by this: why appends are refused (a failed append could not be cut back), or null.
    private String broken;

    private IssuedJournal(Path file, FileChannel channel) {
        this.file = file;
        this.channel = channel;
    }

    /** Opens {@code file} for appending (creating it), cutting off a partial last record. */
    static IssuedJournal open(Path file) throws IOException {
        FileChannel channel = FileChannel.open(file,
                EnumSet.of(StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r--r--")));
        try {
            long whole = scan(file, channel, null);
            if (whole < channel.size()) {
                channel.truncate(whole);
                channel.force(false);
            }
            channel.position(whole);
            return new IssuedJournal(file, channel);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /** Every certificate in the journal at {@code file} (none if there is no journal), in order of issue. */
    static List<X509Certificate> read(Path file) throws IOException {
        List<X509Certificate> out = new ArrayList<>();
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            scan(file, channel, out);
        } catch (NoSuchFileException e) {
            // No certificate was ever journalled here.
        }
        return out;
    }

    /** Reads whole records into {@code out} (if not null); returns where the last whole record ends. */
    private static long scan(Path file, FileChannel channel, List<X509Certificate> out) throws IOException {
        long size = channel.size();
        long at = 0;
        ByteBuffer length = ByteBuffer.allocate(4);
        while (size - at >= 4) {
            length.clear();
            readFully(channel, length, at);
            int n = length.getInt(0);
            if (n <= 0 || n > MAX_RECORD) {
                throw new IOException(file + " is damaged at byte " + at + " (a record of " + n + " bytes)");
            }
            if (size - at - 4 < n) {
                break;
            }
            if (out != null) {
                ByteBuffer der = ByteBuffer.allocate(n);
                readFully(channel, der, at + 4);
                try {
                    out.add(ProgramCertificate.parseDer(der.array()));
                } catch (CertificateException e) {
                    throw new IOException(file + " is damaged at byte " + at + " (not a certificate)", e);
                }
            }
            at += 4 + n;
        }
        return at;
    }

    private static void readFully(FileChannel channel, ByteBuffer buf, long at) throws IOException {
        while (buf.hasRemaining()) {
            if (channel.read(buf, at + buf.position()) < 0) {
                throw new IOException("the journal shrank while it was read");
            }
        }
    }

    /**
     * Appends {@code certs} and forces them to disk (one {@code write}, one {@code fsync}). On
     * failure the journal is cut back to where it was, so none of them stays, and the failure is
     * thrown; if even that fails, every later append is refused.
     */
    synchronized void appendDurably(List<X509Certificate> certs) throws IOException {
        if (broken != null) {
            throw new StoreException(broken);
        }
        List<byte[]> ders = new ArrayList<>(certs.size());
        int total = 0;
        for (X509Certificate c : certs) {
            try {
                byte[] der = c.getEncoded();
                ders.add(der);
                total += 4 + der.length;
            } catch (CertificateEncodingException e) {
                throw new IllegalArgumentException("an issued certificate does not encode", e);
            }
        }
        ByteBuffer buf = ByteBuffer.allocate(total);
        for (byte[] der : ders) {
            buf.putInt(der.length).put(der);
        }
        buf.flip();
        long size = channel.position();
        try {
            while (buf.hasRemaining()) {
                channel.write(buf);
            }
            channel.force(false);
        } catch (IOException e) {
            cutBack(size, e);
            throw e;
        }
    }

    /**
     * Removes what was appended since the journal was {@code size} bytes long (a batch whose audit
     * records could not be written); on failure, refuses every later append.
     */
    synchronized void cutBack(long size, IOException cause) {
        try {
            channel.truncate(size);
            channel.position(size);
            channel.force(false);
        } catch (IOException again) {
            broken = "the issued-certificate journal " + file + " could not be restored after a failed write: restart"
                    + " the service";
            cause.addSuppressed(again);
        }
    }

    /** The journal's length: where the next append starts. */
    synchronized long size() throws IOException {
        return channel.position();
    }

    @Override
    public synchronized void close() throws IOException {
        channel.close();
    }

    @Override
    public String toString() {
        return "IssuedJournal[" + file + "]";
    }
}
