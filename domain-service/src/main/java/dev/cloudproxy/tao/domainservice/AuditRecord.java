package dev.cloudproxy.tao.domainservice;

import java.time.Instant;
import java.util.Objects;

/**
 * One audit record before it is chained: what {@link AuditSink#record} takes, as a value, for
 * stores that write several at once ({@link DomainStore#recordIssued}). Nothing in it is secret.
 *
 * @param peer the client's address and port, or null
 * @param principal the principal decided on, or null
 * @param serial the serial issued (lower-case hex), or null
 * @param reason why, or null
 */
public record AuditRecord(Instant time, String peer, AuditLog.Decision decision, String principal, String serial,
        String reason) {
    public AuditRecord {
        Objects.requireNonNull(time, "time");
        Objects.requireNonNull(decision, "decision");
    }

    /** The six tab-separated fields as the log writes them (before the chain value); see {@link AuditLog}. */
    String text() {
        return String.join("\t", time.toString(), AuditLog.field(peer), decision.text(), AuditLog.field(principal),
                AuditLog.field(serial), AuditLog.field(reason));
    }
}
