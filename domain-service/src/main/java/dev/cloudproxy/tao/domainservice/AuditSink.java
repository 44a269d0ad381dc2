package dev.cloudproxy.tao.domainservice;

import java.io.IOException;
import java.time.Instant;

/**
 * Where the domain service writes one record per decision: the {@link AuditLog} file by default,
 * a table of the PostgreSQL store ({@link PostgresStore}) for replicas. Records hold nothing
 * secret (principals, serials and reasons are public). Thread-safe.
 */
public interface AuditSink extends AutoCloseable {
    /**
     * Appends one record. Never throws for a failed write: the failure is returned so the caller
     * can refuse to issue (an issuance that cannot be audited does not happen).
     *
     * @return null if the record was written, else the failure
     */
    IOException record(Instant time, String peer, AuditLog.Decision decision, String principal, String serial,
            String reason);

    @Override
    void close() throws IOException;
}
