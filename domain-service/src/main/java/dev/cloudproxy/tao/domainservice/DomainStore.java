package dev.cloudproxy.tao.domainservice;

import java.io.IOException;
import java.security.cert.X509Certificate;

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

    /**
     * Records an issued certificate and its {@code issued} audit record durably, in one group
     * commit with the others being recorded at the same time (one {@code fsync} or one database
     * transaction for the batch). Returns only once both are durable, so the caller may then
     * send the certificate, and never before.
     *
     * @throws DuplicateSerialException if the serial is already recorded (then neither is)
     * @throws CommitFailedException if the batch could not be recorded (then nothing of it is,
     *     and every request of the batch gets this)
     * @throws IOException if it cannot be recorded otherwise (then it must not be sent)
     */
    void recordIssued(X509Certificate cert, AuditRecord record) throws IOException;

    /** Where the state is, for messages (never a password). */
    String description();

    /** Releases files or connections. Idempotent. */
    @Override
    void close() throws IOException;
}
