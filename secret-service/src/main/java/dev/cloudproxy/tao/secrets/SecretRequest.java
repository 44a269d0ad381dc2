package dev.cloudproxy.tao.secrets;

import dev.cloudproxy.tao.SecretBytes;
import dev.cloudproxy.tao.kms.ObjectId;
import dev.cloudproxy.tao.kms.ObjectName;
import dev.cloudproxy.tao.kms.ObjectType;
import dev.cloudproxy.tao.kms.SignedDirective;
import java.util.Objects;
import java.util.Optional;

/**
 * One request to the secret service. Which fields an operation takes is fixed, and both the
 * factories and {@link SecretProtocol#parseRequest} refuse any other combination:
 *
 * <table>
 *   <caption>fields per operation</caption>
 *   <tr><th>op</th><th>epoch</th><th>type</th><th>protector</th><th>content</th></tr>
 *   <tr><td>READ</td><td>0 (newest active) or n</td><td>-</td><td>-</td><td>-</td></tr>
 *   <tr><td>WRITE</td><td>0</td><td>-</td><td>required</td><td>any length up to the bound</td></tr>
 *   <tr><td>CREATE</td><td>0</td><td>a key type</td><td>required ({@code /} for a zone key)</td><td>-</td></tr>
 *   <tr><td>DELETE</td><td>n</td><td>-</td><td>-</td><td>-</td></tr>
 *   <tr><td>REVOKE</td><td>n</td><td>-</td><td>-</td><td>-</td></tr>
 *   <tr><td>ROTATE</td><td>0</td><td>-</td><td>-</td><td>-</td></tr>
 * </table>
 *
 * <p>Any request may carry a signed disclosure directive; the service then authorizes by it
 * instead of by its guard. A directive is not secret; the content of a WRITE is, so this class
 * has no {@code equals}, prints no content, and {@link #close()} zeroes its copy.
 */
public final class SecretRequest extends SecretBytes {
    /** The largest content a WRITE carries, and so the largest object the service serves. */
    public static final int MAX_CONTENT = 1 << 20;

    private final SecretOp op;
    private final ObjectName name;
    private final int epoch;
    private final ObjectType type;
    private final ObjectName protector;
    private final byte[] directive;

    SecretRequest(SecretOp op, ObjectName name, int epoch, ObjectType type, ObjectName protector, byte[] directive,
            byte[] content) {
        super(content == null ? new byte[0] : content.clone());
        this.op = Objects.requireNonNull(op, "op");
        this.name = Objects.requireNonNull(name, "name");
        this.directive = directive == null ? null : directive.clone();
        this.epoch = epoch;
        this.type = type;
        this.protector = protector;
        String fault = fault(op, name, epoch, type, protector, this.directive, secretArray());
        if (fault != null) {
            throw new IllegalArgumentException(fault);
        }
    }

    /** Why these fields are not a valid request, or {@code null} if they are. Shared with the parser. */
    static String fault(SecretOp op, ObjectName name, int epoch, ObjectType type, ObjectName protector,
            byte[] directive, byte[] content) {
        if (name.isRoot()) {
            return "the master key is not an object of the service";
        }
        if (epoch < 0) {
            return "negative epoch";
        }
        if (directive != null && (directive.length == 0 || directive.length > SignedDirective.MAX_BYTES)) {
            return "a directive must hold 1 to " + SignedDirective.MAX_BYTES + " bytes";
        }
        if (content.length > MAX_CONTENT) {
            return "content over " + MAX_CONTENT + " bytes";
        }
        boolean wantsEpoch = op == SecretOp.DELETE || op == SecretOp.REVOKE;
        boolean mayEpoch = op == SecretOp.READ;
        if (wantsEpoch && epoch == 0) {
            return op + " names an epoch";
        }
        if (!wantsEpoch && !mayEpoch && epoch != 0) {
            return op + " takes no epoch: the service picks the next one";
        }
        if ((op == SecretOp.CREATE) != (type != null)) {
            return op == SecretOp.CREATE ? "CREATE names a key type" : op + " takes no type";
        }
        if (type == ObjectType.FILE) {
            return "a file is written, not created";
        }
        boolean wantsProtector = op == SecretOp.WRITE || op == SecretOp.CREATE;
        if (wantsProtector != (protector != null)) {
            return wantsProtector ? op + " names a protector" : op + " takes no protector";
        }
        if (op != SecretOp.WRITE && content.length != 0) {
            return op + " carries no content";
        }
        return null;
    }

    /** Reads {@code id}. */
    public static SecretRequest read(ObjectId id) {
        return new SecretRequest(SecretOp.READ, id.name(), id.epoch(), null, null, null, null);
    }

    /** Reads the newest active, valid epoch of {@code name}: how a program learns of a new epoch. */
    public static SecretRequest readNewest(ObjectName name) {
        return new SecretRequest(SecretOp.READ, name, 0, null, null, null, null);
    }

    /** Writes {@code content} as the next epoch of the file {@code name}, under {@code protector}. */
    public static SecretRequest write(ObjectName name, ObjectName protector, byte[] content) {
        return new SecretRequest(SecretOp.WRITE, name, 0, null, Objects.requireNonNull(protector, "protector"),
                null, Objects.requireNonNull(content, "content"));
    }

    /** Creates epoch 1 of the key {@code name} under {@code protector} ({@link ObjectName#ROOT} for a zone). */
    public static SecretRequest create(ObjectName name, ObjectType type, ObjectName protector) {
        return new SecretRequest(SecretOp.CREATE, name, 0, Objects.requireNonNull(type, "type"),
                Objects.requireNonNull(protector, "protector"), null, null);
    }

    /** Erases the material of {@code id}. */
    public static SecretRequest delete(ObjectId id) {
        return new SecretRequest(SecretOp.DELETE, id.name(), id.epoch(), null, null, null, null);
    }

    /** Marks {@code id} revoked and erases its material. */
    public static SecretRequest revoke(ObjectId id) {
        return new SecretRequest(SecretOp.REVOKE, id.name(), id.epoch(), null, null, null, null);
    }

    /** Adds the next epoch of the key {@code name}. */
    public static SecretRequest rotate(ObjectName name) {
        return new SecretRequest(SecretOp.ROTATE, name, 0, null, null, null, null);
    }

    /** The same request presenting a signed directive (as {@code tao domain directive} writes it). */
    public SecretRequest withDirective(byte[] signedDirective) {
        return new SecretRequest(op, name, epoch, type, protector, Objects.requireNonNull(signedDirective, "directive"),
                secretArray());
    }

    public SecretOp op() {
        return op;
    }

    public ObjectName name() {
        return name;
    }

    /** The epoch asked for; 0 where the service picks it. */
    public int epoch() {
        return epoch;
    }

    public Optional<ObjectType> type() {
        return Optional.ofNullable(type);
    }

    public Optional<ObjectName> protector() {
        return Optional.ofNullable(protector);
    }

    /** Whether the request presents a directive. */
    public boolean hasDirective() {
        return directive != null;
    }

    /** A copy of the presented directive, if any. */
    public Optional<byte[]> directive() {
        return directive == null ? Optional.empty() : Optional.of(directive.clone());
    }

    /** A copy of the WRITE content; the caller zeroes it. */
    byte[] content() {
        return secretCopy();
    }

    int contentLength() {
        return secretLength();
    }

    @Override
    public String toString() {
        return "SecretRequest[" + op + " " + name + (epoch == 0 ? "" : "#" + epoch)
                + (directive == null ? "" : " with directive") + (secretLength() == 0 ? "" : ", content " + redacted()) + "]";
    }
}
