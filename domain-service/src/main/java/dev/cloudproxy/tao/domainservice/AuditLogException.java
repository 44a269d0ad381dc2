package dev.cloudproxy.tao.domainservice;

import java.io.IOException;

/** An audit log that cannot be continued: it ends in a partial record or its newest record is unreadable. */
public final class AuditLogException extends IOException {
    private static final long serialVersionUID = 1L;

    public AuditLogException(String message) {
        super(message);
    }
}
