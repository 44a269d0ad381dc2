package dev.cloudproxy.tao.secrets;

import dev.cloudproxy.tao.kms.Verb;
import java.util.Optional;

/**
 * An operation of the secret service, with its wire code and the {@link Verb} it is authorized
 * as. ROTATE adds the next epoch of a key, so it is authorized as writing that epoch.
 */
public enum SecretOp {
    /** Reads one epoch of an object (epoch 0 on the wire: the newest active one). */
    READ(1, Verb.READ),
    /** Writes the next epoch of a file. */
    WRITE(2, Verb.WRITE),
    /** Creates epoch 1 of a key with fresh material. */
    CREATE(3, Verb.CREATE),
    /** Erases one epoch's material (retires it); refused while anything depends on it. */
    DELETE(4, Verb.DELETE),
    /** Adds the next epoch of a key; authorized as writing that epoch. */
    ROTATE(5, Verb.WRITE),
    /**
     * Marks one epoch revoked (thought compromised) and erases its material, as DELETE does;
     * authorized as deleting it.
     */
    REVOKE(6, Verb.DELETE);

    private final int code;
    private final Verb verb;

    SecretOp(int code, Verb verb) {
        this.code = code;
        this.verb = verb;
    }

    /** The stable wire code. */
    public int code() {
        return code;
    }

    /** The verb a guard rule or directive must grant for this operation. */
    public Verb verb() {
        return verb;
    }

    static Optional<SecretOp> fromCode(int code) {
        for (SecretOp op : values()) {
            if (op.code == code) {
                return Optional.of(op);
            }
        }
        return Optional.empty();
    }
}
