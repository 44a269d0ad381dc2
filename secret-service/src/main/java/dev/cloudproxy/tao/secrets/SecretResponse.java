package dev.cloudproxy.tao.secrets;

import dev.cloudproxy.tao.SecretBytes;
import dev.cloudproxy.tao.kms.ObjectInfo;
import java.util.Objects;
import java.util.Optional;

/**
 * The service's answer: a status, a reason (for refusals; never secret), and for a success the
 * public description of the object touched and, for READ, its material. The material is secret:
 * this class has no {@code equals}, does not print it, and {@link #close()} zeroes it.
 */
public final class SecretResponse extends SecretBytes {
    /** Longest reason the service sends. */
    public static final int MAX_REASON = 512;

    /** The outcome, with its stable wire code. */
    public enum Status {
        OK(0), DENIED(1), NOT_FOUND(2), UNREADABLE(3), REFUSED(4), BAD_REQUEST(5), INTERNAL(6);

        private final int code;

        Status(int code) {
            this.code = code;
        }

        public int code() {
            return code;
        }

        static Optional<Status> fromCode(int code) {
            for (Status s : values()) {
                if (s.code == code) {
                    return Optional.of(s);
                }
            }
            return Optional.empty();
        }
    }

    private final Status status;
    private final String reason;
    private final ObjectInfo info;

    SecretResponse(Status status, String reason, ObjectInfo info, byte[] material) {
        super(material.clone());
        this.status = Objects.requireNonNull(status, "status");
        this.reason = Objects.requireNonNull(reason, "reason");
        if ((status == Status.OK) != (info != null)) {
            throw new IllegalArgumentException("a success, and only a success, describes an object");
        }
        if (status != Status.OK && material.length != 0) {
            throw new IllegalArgumentException("a refusal carries no material");
        }
        this.info = info;
    }

    static SecretResponse ok(ObjectInfo info, byte[] material) {
        return new SecretResponse(Status.OK, "", info, material);
    }

    static SecretResponse refused(Status status, String reason) {
        // Reasons travel as printable ASCII: a principal's quoted string is shown, never its raw bytes.
        StringBuilder b = new StringBuilder(Math.min(reason.length(), MAX_REASON));
        for (int i = 0; i < reason.length() && b.length() < MAX_REASON; i++) {
            char c = reason.charAt(i);
            b.append(c >= 0x20 && c <= 0x7e ? c : '?');
        }
        String bounded = b.toString();
        return new SecretResponse(status, bounded, null, new byte[0]);
    }

    public Status status() {
        return status;
    }

    /** Why it was refused; empty for a success. */
    public String reason() {
        return reason;
    }

    /** The object touched, for a success. */
    public Optional<ObjectInfo> info() {
        return Optional.ofNullable(info);
    }

    /** A copy of the material a READ returned (empty otherwise); the caller zeroes it. */
    public byte[] exportSecretMaterial() {
        return secretCopy();
    }

    int materialLength() {
        return secretLength();
    }

    byte[] materialView() {
        return secretArray();
    }

    @Override
    public String toString() {
        return "SecretResponse[" + status + (info == null ? "" : " " + info.id()) + (reason.isEmpty() ? "" : ": " + reason)
                + (secretLength() == 0 ? "" : ", material " + redacted()) + "]";
    }
}
