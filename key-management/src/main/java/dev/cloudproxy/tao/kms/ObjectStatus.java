package dev.cloudproxy.tao.kms;

import java.util.Optional;

/** The life-cycle state of one epoch of a protected object, with its stable wire code. */
public enum ObjectStatus {
    /** In use: readable, and the newest active epoch takes new writes. */
    ACTIVE(1),
    /** Replaced by a newer epoch; its key material has been erased, so it reads nothing. */
    RETIRED(2),
    /** Withdrawn because it may be compromised; its key material has been erased. */
    REVOKED(3);

    private final int code;

    ObjectStatus(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    public static Optional<ObjectStatus> fromCode(int code) {
        for (ObjectStatus s : values()) {
            if (s.code == code) {
                return Optional.of(s);
            }
        }
        return Optional.empty();
    }
}
