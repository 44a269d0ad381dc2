package dev.cloudproxy.tao.kms;

import java.time.Instant;
import java.util.Objects;

/**
 * The public description of one epoch of a protected object: everything a link binds besides the
 * protector, none of it secret. The validity window is in Unix seconds, inclusive at both ends.
 */
public record ObjectInfo(ObjectId id, ObjectType type, ObjectStatus status, long notBefore, long notAfter) {
    public ObjectInfo {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(status, "status");
        if (id.name().isRoot()) {
            throw new IllegalArgumentException("the master key is not a protected object");
        }
        if (notAfter < notBefore) {
            throw new IllegalArgumentException("validity window ends before it starts");
        }
    }

    /** Whether {@code now} lies in the validity window. */
    public boolean isValidAt(Instant now) {
        long t = now.getEpochSecond();
        return t >= notBefore && t <= notAfter;
    }

    /** The same object with another status. */
    public ObjectInfo withStatus(ObjectStatus newStatus) {
        return new ObjectInfo(id, type, newStatus, notBefore, notAfter);
    }
}
