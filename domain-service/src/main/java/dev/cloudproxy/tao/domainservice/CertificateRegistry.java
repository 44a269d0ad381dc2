package dev.cloudproxy.tao.domainservice;

import dev.cloudproxy.tao.VerificationException;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.domain.Domain;
import dev.cloudproxy.tao.domain.ProgramCertificate;
import dev.cloudproxy.tao.domain.RevocationList;
import dev.cloudproxy.tao.io.AtomicFiles;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.CertificateException;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What a domain has issued and revoked, kept in its directory:
 *
 * <pre>
 * issued.journal      every certificate the domain service issued, appended in batches, each
 *                     batch forced to disk before any of its programs receives its certificate
 *                     ({@link FileStore#recordIssued}, {@link IssuedJournal})
 * issued/SERIAL.pem   every certificate issued (SERIAL in lower-case hex): written durably by
 *                     {@link #record}, or as an index of the journal (rebuilt from it at start)
 * crl.pem             the current CRL, signed by the policy key
 * .crl.lock           lock file: one writer of crl.pem at a time, across processes
 * </pre>
 *
 * <p>The CRL is the record of revocations: {@link #revoke} reads it (checking its signature),
 * adds entries and writes a new one with the next CRL number, under the lock, so a running service
 * and {@code tao domain revoke} never lose each other's changes. A CRL is valid for
 * {@link #CRL_VALIDITY}; {@link #currentCrl} signs a fresh one (same entries, next number) once
 * half of that has passed. Reads of {@code crl.pem} are cached by size, modification time and
 * inode, so revocations made by another process are seen at the next request.
 *
 * <p>Thread-safe. Signing needs a domain opened with its policy key. This is the default
 * {@link CertificateStore} ({@link FileStore}); its format is unchanged since before stores existed.
 */
public final class CertificateRegistry implements CertificateStore {
    public static final String ISSUED_DIR = "issued";
    public static final String CRL_FILE = "crl.pem";
    public static final String LOCK_FILE = ".crl.lock";
    /** How long each CRL is valid (its nextUpdate). */
    public static final Duration CRL_VALIDITY = Duration.ofDays(7);
    /** Largest issued certificate file read. */
    private static final int MAX_CERT_FILE = 64 << 10;
    /** Most issued certificates a search by principal reads. */
    static final int MAX_ISSUED_SCANNED = 1_000_000;

    /**
     * File locks belong to the whole process, and a second lock on the same file from this JVM
     * throws instead of waiting; so writers in this JVM also take this monitor first.
     */
    private static final Object JVM_WIDE = new Object();

    private final Domain domain;
    private final Path issuedDir;
    private final Path journalFile;
    private final Path crlFile;
    private final Path lockFile;
    private Snapshot snapshot;

    private record Snapshot(Object fileKey, long size, long modified, X509CRL crl, Set<BigInteger> revoked) {}

    public CertificateRegistry(Domain domain) {
        this.domain = Objects.requireNonNull(domain, "domain");
        this.issuedDir = domain.directory().resolve(ISSUED_DIR);
        this.journalFile = domain.directory().resolve(IssuedJournal.FILE);
        this.crlFile = domain.directory().resolve(CRL_FILE);
        this.lockFile = domain.directory().resolve(LOCK_FILE);
    }

    /** SERIAL as the file name and audit log write it: lower-case hex. */
    public static String serialText(BigInteger serial) {
        return serial.toString(16);
    }

    /**
     * Parses a serial as {@code openssl} and this registry print it: hex, optionally with a
     * {@code 0x} prefix and colons between bytes.
     *
     * @throws IllegalArgumentException if it is not a positive hex number of at most 20 bytes
     */
    public static BigInteger parseSerial(String text) {
        String s = text.strip().toLowerCase(Locale.ROOT).replace(":", "");
        if (s.startsWith("0x")) {
            s = s.substring(2);
        }
        if (s.isEmpty() || s.length() > 40 || !s.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
            throw new IllegalArgumentException("a serial is a positive hex number of at most 20 bytes: " + text);
        }
        BigInteger serial = new BigInteger(s, 16);
        if (serial.signum() <= 0) {
            throw new IllegalArgumentException("a serial is positive: " + text);
        }
        return serial;
    }

    /** The domain directory the registry keeps its files in. */
    public Path directory() {
        return domain.directory();
    }

    /**
     * Records an issued certificate durably (temporary file, fsync, rename, fsync of the directory).
     * One service process writes a directory, so checking for an existing file first is enough to
     * keep serials unique.
     */
    @Override
    public void record(X509Certificate cert) throws IOException {
        AtomicFiles.createPrivateDirectories(issuedDir);
        Path file = issuedDir.resolve(serialText(cert.getSerialNumber()) + ".pem");
        if (Files.exists(file)) {
            throw new DuplicateSerialException("serial " + serialText(cert.getSerialNumber()) + " is already recorded");
        }
        AtomicFiles.write(file,
                ProgramCertificate.toPem(cert).getBytes(StandardCharsets.US_ASCII), AtomicFiles.PUBLIC_READ);
    }

    /** The journal of certificates recorded in batches ({@link FileStore}). */
    Path journalFile() {
        return journalFile;
    }

    /** Whether {@code serial} has its file in {@code issued/}. */
    boolean hasFile(BigInteger serial) {
        return Files.exists(issuedDir.resolve(serialText(serial) + ".pem"));
    }

    /**
     * Writes {@code issued/SERIAL.pem} for a certificate the journal already holds durably:
     * atomically (a reader sees all of it or none) but without {@code fsync}, since the journal,
     * not this file, is what survives a crash.
     */
    void writeIndex(X509Certificate cert) throws IOException {
        AtomicFiles.createPrivateDirectories(issuedDir);
        Path file = issuedDir.resolve(serialText(cert.getSerialNumber()) + ".pem");
        Path tmp = issuedDir.resolve("." + file.getFileName() + ".tmp");
        Files.write(tmp, ProgramCertificate.toPem(cert).getBytes(StandardCharsets.US_ASCII));
        Files.setPosixFilePermissions(tmp, AtomicFiles.PUBLIC_READ);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** The issued certificate with this serial, if one was recorded (in {@code issued/} or the journal). */
    @Override
    public Optional<X509Certificate> issued(BigInteger serial) throws IOException {
        Path file = issuedDir.resolve(serialText(serial) + ".pem");
        try {
            return Optional.of(ProgramCertificate.parsePem(AtomicFiles.readAtMost(file, MAX_CERT_FILE + 1)));
        } catch (NoSuchFileException e) {
            for (X509Certificate c : IssuedJournal.read(journalFile)) {
                if (c.getSerialNumber().equals(serial)) {
                    return Optional.of(c);
                }
            }
            return Optional.empty();
        } catch (CertificateException e) {
            throw new IOException(file + " is not a certificate: " + e.getMessage(), e);
        }
    }

    /**
     * The serials of every recorded certificate (in {@code issued/} or the journal) that names
     * {@code principal} and was issued by the policy key (checked, whether or not the certificate
     * has expired since).
     */
    @Override
    public List<BigInteger> issuedTo(Prin principal) throws IOException {
        // Both: a certificate recorded in a batch is in the journal from the moment it is
        // durable; its file follows (and is rebuilt from the journal if a crash lost it).
        Set<BigInteger> out = new TreeSet<>();
        for (X509Certificate cert : IssuedJournal.read(journalFile)) {
            if (names(cert, principal)) {
                out.add(cert.getSerialNumber());
            }
        }
        if (!Files.isDirectory(issuedDir)) {
            return List.copyOf(out);
        }
        int seen = 0;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(issuedDir, "*.pem")) {
            for (Path file : files) {
                if (++seen > MAX_ISSUED_SCANNED) {
                    throw new IOException("more than " + MAX_ISSUED_SCANNED + " files in " + issuedDir);
                }
                try {
                    X509Certificate cert = ProgramCertificate.parsePem(AtomicFiles.readAtMost(file, MAX_CERT_FILE + 1));
                    if (names(cert, principal)) {
                        out.add(cert.getSerialNumber());
                    }
                } catch (CertificateException e) {
                    // Not one of ours (or damaged): it names nobody.
                }
            }
        }
        return List.copyOf(out);
    }

    /** Whether {@code cert} was issued by the policy key and names {@code principal}. */
    private boolean names(X509Certificate cert, Prin principal) {
        try {
            // As of its own start: the signature and shape count, not whether it expired.
            return ProgramCertificate.verify(cert, domain.policyCertificate(), cert.getNotBefore().toInstant())
                    .equals(principal);
        } catch (VerificationException | RuntimeException e) {
            return false;
        }
    }

    /** Whether {@code serial} is on the current CRL (as last written by anyone). */
    @Override
    public boolean isRevoked(BigInteger serial) throws IOException, VerificationException {
        Snapshot s = read();
        return s != null && s.revoked().contains(serial);
    }

    /**
     * Revokes {@code serials} at {@code now}: adds those not yet revoked to the CRL and writes it,
     * signed with the next CRL number. Returns the serials newly revoked (possibly none, and then
     * nothing is written).
     */
    @Override
    public List<BigInteger> revoke(Collection<BigInteger> serials, Instant now) throws IOException, VerificationException {
        synchronized (JVM_WIDE) {
            try (FileChannel lock = lockChannel(); FileLock held = lock.lock()) {
                Snapshot current = read();
                TreeMap<BigInteger, RevocationList.Entry> entries = new TreeMap<>();
                if (current != null) {
                    for (RevocationList.Entry e : RevocationList.entries(current.crl())) {
                        entries.put(e.serial(), e);
                    }
                }
                List<BigInteger> added = new ArrayList<>();
                for (BigInteger serial : serials) {
                    if (!entries.containsKey(serial)) {
                        entries.put(serial, new RevocationList.Entry(serial, now));
                        added.add(serial);
                    }
                }
                if (!added.isEmpty() || current == null) {
                    write(entries.values(), current, now);
                }
                return added;
            }
        }
    }

    /**
     * The current CRL: the one in {@code crl.pem} if it is valid for at least half of
     * {@link #CRL_VALIDITY} more, else a freshly signed one with the same entries (written back).
     */
    @Override
    public X509CRL currentCrl(Instant now) throws IOException, VerificationException {
        Snapshot s = read();
        if (s != null && s.crl().getNextUpdate().toInstant().isAfter(now.plus(CRL_VALIDITY.dividedBy(2)))
                && !s.crl().getThisUpdate().toInstant().isAfter(now.plusSeconds(60))) {
            return s.crl();
        }
        synchronized (JVM_WIDE) {
            try (FileChannel lock = lockChannel(); FileLock held = lock.lock()) {
                Snapshot again = read();
                if (again != null && again != s) {
                    return again.crl();
                }
                List<RevocationList.Entry> entries = again == null ? List.of() : RevocationList.entries(again.crl());
                return write(entries, again, now);
            }
        }
    }

    private X509CRL write(Collection<RevocationList.Entry> entries, Snapshot previous, Instant now) throws IOException {
        BigInteger number = previous == null ? BigInteger.ONE : RevocationList.number(previous.crl()).add(BigInteger.ONE);
        X509CRL crl = domain.issueRevocationList(entries, number, now.minusSeconds(60), now.plus(CRL_VALIDITY));
        AtomicFiles.write(crlFile, RevocationList.toPem(crl).getBytes(StandardCharsets.US_ASCII), AtomicFiles.PUBLIC_READ);
        return crl;
    }

    private FileChannel lockChannel() throws IOException {
        return FileChannel.open(lockFile, EnumSet.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    }

    /** The CRL in crl.pem, verified, re-read only when the file changed; null if there is none. */
    private synchronized Snapshot read() throws IOException, VerificationException {
        BasicFileAttributes attrs;
        try {
            attrs = Files.readAttributes(crlFile, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            snapshot = null;
            return null;
        }
        Snapshot s = snapshot;
        if (s != null && Objects.equals(s.fileKey(), attrs.fileKey()) && s.size() == attrs.size()
                && s.modified() == attrs.lastModifiedTime().toMillis()) {
            return s;
        }
        byte[] pem = AtomicFiles.readAtMost(crlFile, RevocationList.MAX_BYTES + 1);
        X509CRL crl = RevocationList.verifySignature(pem, domain.policyCertificate());
        Set<BigInteger> revoked = new HashSet<>();
        for (RevocationList.Entry e : RevocationList.entries(crl)) {
            revoked.add(e.serial());
        }
        snapshot = new Snapshot(attrs.fileKey(), attrs.size(), attrs.lastModifiedTime().toMillis(), crl,
                Set.copyOf(revoked));
        return snapshot;
    }

    @Override
    public String toString() {
        return "CertificateRegistry[" + domain.directory() + "]";
    }
}
