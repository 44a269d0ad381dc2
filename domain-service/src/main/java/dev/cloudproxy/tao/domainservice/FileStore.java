package dev.cloudproxy.tao.domainservice;

import dev.cloudproxy.tao.domain.Domain;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The embedded default: issued certificates and the CRL in the domain directory
 * ({@link CertificateRegistry}) and the audit log in a file ({@link AuditLog}). No server; one
 * service process per directory (other processes such as {@code tao domain revoke} may share the
 * CRL, which is written under a lock).
 */
public final class FileStore implements DomainStore {
    private final CertificateRegistry registry;
    private final AuditLog audit;

    private FileStore(CertificateRegistry registry, AuditLog audit) {
        this.registry = registry;
        this.audit = audit;
    }

    /** The store of {@code domain}'s directory, with the audit log at {@code auditFile} (opened for appending). */
    public static FileStore open(Domain domain, Path auditFile) throws IOException {
        return new FileStore(new CertificateRegistry(domain), AuditLog.open(auditFile));
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
    public String description() {
        return "files in " + registry.directory() + ", audit log " + audit.file();
    }

    @Override
    public void close() throws IOException {
        audit.close();
    }

    @Override
    public String toString() {
        return "FileStore[" + description() + "]";
    }
}
