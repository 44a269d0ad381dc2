package dev.cloudproxy.tao.domainservice;

import java.io.IOException;

/**
 * All the state of a domain service beside the domain directory's keys and policy: what it issued
 * and revoked ({@link #certificates()}) and its audit records ({@link #audit()}). The default
 * keeps it in files ({@link FileStore}: one process, no server); {@link PostgresStore} keeps it in
 * a PostgreSQL database that several service replicas share.
 *
 * <p>What a store is trusted with: availability and consistency (serials unique, revocations
 * never lost, audit records kept), never secrets. The policy key stays in the service's process;
 * everything the store returns that clients rely on (certificates, CRLs) is signed by it and
 * checked again by whoever uses it.
 */
public interface DomainStore extends AutoCloseable {
    /** Issued certificates, revocations and the CRL. */
    CertificateStore certificates();

    /** The audit records. */
    AuditSink audit();

    /** Where the state is, for messages (never a password). */
    String description();

    /** Releases files or connections. Idempotent. */
    @Override
    void close() throws IOException;
}
