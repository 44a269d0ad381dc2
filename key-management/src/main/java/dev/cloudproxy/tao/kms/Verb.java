package dev.cloudproxy.tao.kms;

import java.util.Optional;

/**
 * What a party may do with a protected object, as a disclosure directive names it. {@link #OWN}
 * grants every verb. The same verbs are what the secret service asks its guard about
 * ({@code Authorized(P, "Read", name, epoch)}, see {@link #guardOperation()}).
 */
public enum Verb {
    READ("CanRead", "Read"),
    WRITE("CanWrite", "Write"),
    CREATE("CanCreate", "Create"),
    DELETE("CanDelete", "Delete"),
    OWN("Own", "Own");

    private final String predicate;
    private final String guardOperation;

    Verb(String predicate, String guardOperation) {
        this.predicate = predicate;
        this.guardOperation = guardOperation;
    }

    /** The predicate of a directive granting this verb: {@code CanRead}, ..., {@code Own}. */
    public String predicate() {
        return predicate;
    }

    /** The operation string a guard is asked about. */
    public String guardOperation() {
        return guardOperation;
    }

    /** Whether a directive granting this verb allows {@code requested}. */
    public boolean allows(Verb requested) {
        return this == OWN || this == requested;
    }

    static Optional<Verb> fromPredicate(String predicate) {
        for (Verb v : values()) {
            if (v.predicate.equals(predicate)) {
                return Optional.of(v);
            }
        }
        return Optional.empty();
    }
}
