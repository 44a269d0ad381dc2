package dev.cloudproxy.tao.domain;

import java.util.Locale;

/** The kind of guard a domain uses, as named in templates and configurations. */
public enum GuardType {
    /** Everything is authorized: development only. No guard file. */
    LIBERAL,
    /** Nothing is authorized. No guard file. */
    CONSERVATIVE,
    /** A signed set of statements, matched exactly. */
    ACL,
    /** A signed Datalog program in the auth language. */
    DATALOG;

    /** The name used in files and on the command line: {@code liberal}, {@code acl}, ... */
    public String text() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Whether the guard keeps rules in a signed file (ACL and Datalog) rather than a fixed policy. */
    public boolean hasRules() {
        return this == ACL || this == DATALOG;
    }

    /** The guard file's name inside the domain directory, for guards that have one. */
    public String fileName() {
        return this == ACL ? "rules.acl" : "rules.datalog";
    }

    static GuardType parse(String text, String where) throws DomainException {
        for (GuardType t : values()) {
            if (t.text().equals(text)) {
                return t;
            }
        }
        throw new DomainException(where + ": unknown guard type (expected liberal, conservative, acl or datalog)");
    }
}
