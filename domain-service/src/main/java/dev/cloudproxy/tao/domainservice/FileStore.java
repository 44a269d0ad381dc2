package dev.cloudproxy.tao.domainservice;

import dev.cloudproxy.tao.domain.Domain;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The embedded default: issued certificates and the CRL in the domain directory
 * ({@link CertificateRegistry}) and the audit log in a file ({@link AuditLog}). No server; one
 * service process per directory (other processes such as {@code tao domain revoke} may share the
 * CRL, which is written under a lock).
 *
 * <p>{@link #recordIssued} commits in groups: the certificates issued while one flush runs are
 * appended to {@code issued.journal} and their {@code issued} audit records to the audit log, and
 * each file is forced to disk once for the whole batch (two {@code fsync}s per batch, not two per
 * certificate). The audit log is forced after the journal, so a certificate whose audit record
 * is durable is durable too.
 */
public final class FileStore implements DomainStore {
    private static final System.Logger LOG = System.getLogger(FileStore.class.getName());
    /** Most certificates committed in one flush. */
    static final int MAX_BATCH = 512;

    private final CertificateRegistry registry;
    private final AuditLog audit;
    private final IssuedJournal journal;
    private final GroupCommit<Issue> commits;
    // Guarded by commits' single flusher: serials in the journal (one writer per directory).
    private final Set<BigInteger> journalled;

    private record Issue(X509Certificate cert, AuditRecord audit) {}

    private FileStore(CertificateRegistry registry, AuditLog audit, IssuedJournal journal, Set<BigInteger> journalled) {
        this.registry = registry;
        this.audit = audit;
        this.journal = journal;
        this.journalled = journalled;
        this.commits = new GroupCommit<>(this::flush, MAX_BATCH, "the certificate and its audit record");
    }

    /**
     * The store of {@code domain}'s directory, with the audit log at {@code auditFile} (opened for
     * appending). Rebuilds the {@code issued/} file of every journalled certificate that lacks one
     * (a crash after the journal was forced but before the index was written).
     */
    public static FileStore open(Domain domain, Path auditFile) throws IOException {
        CertificateRegistry registry = new CertificateRegistry(domain);
        IssuedJournal journal = IssuedJournal.open(registry.journalFile());
        try {
            Set<BigInteger> journalled = new HashSet<>();
            for (X509Certificate cert : IssuedJournal.read(registry.journalFile())) {
                journalled.add(cert.getSerialNumber());
                if (!registry.hasFile(cert.getSerialNumber())) {
                    registry.writeIndex(cert);
                }
            }
            return new FileStore(registry, AuditLog.open(auditFile), journal, journalled);
        } catch (IOException | RuntimeException e) {
            journal.close();
            throw e;
        }
    }

    @Override
    public CertificateRegistry certificates() {
        return registry;
    }

    @Override
    public AuditLog audit() {
        return audit;
    }

    @Override
    public void recordIssued(X509Certificate cert, AuditRecord record) throws IOException {
        commits.commit(new Issue(cert, record));
    }

    /** One batch: journal (forced), then audit records (forced), then the index files. */
    private List<IOException> flush(List<Issue> batch) throws IOException {
        List<IOException> outcome = new ArrayList<>(batch.size());
        List<X509Certificate> certs = new ArrayList<>();
        List<AuditRecord> records = new ArrayList<>();
        Set<BigInteger> serials = new HashSet<>();
        for (Issue i : batch) {
            BigInteger serial = i.cert().getSerialNumber();
            if (journalled.contains(serial) || registry.hasFile(serial) || !serials.add(serial)) {
                outcome.add(new DuplicateSerialException("serial " + CertificateRegistry.serialText(serial)
                        + " is already recorded"));
                continue;
            }
            outcome.add(null);
            certs.add(i.cert());
            records.add(i.audit());
        }
        if (certs.isEmpty()) {
            return outcome;
        }
        long before = journal.size();
        journal.appendDurably(certs);
        try {
            audit.appendDurably(records);
        } catch (IOException e) {
            journal.cutBack(before, e);
            throw e;
        }
        journalled.addAll(serials);
        for (X509Certificate cert : certs) {
            try {
                registry.writeIndex(cert);
            } catch (IOException e) {
                // The journal holds it durably and readers consult it; the file is rebuilt at start.
                LOG.log(System.Logger.Level.WARNING, "cannot write the index file of serial {0}: {1}",
                        CertificateRegistry.serialText(cert.getSerialNumber()), e.getMessage());
            }
        }
        return outcome;
    }

    /** Flushes and certificates committed so far (tests). */
    long[] commitCounts() {
        return commits.counts();
    }

    @Override
    public String description() {
        return "files in " + registry.directory() + ", audit log " + audit.file();
    }

    @Override
    public void close() throws IOException {
        try {
            journal.close();
        } finally {
            audit.close();
        }
    }

    @Override
    public String toString() {
        return "FileStore[" + description() + "]";
    }
}
