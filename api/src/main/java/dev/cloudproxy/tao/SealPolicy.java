package dev.cloudproxy.tao;

/**
 * Who may open a sealed blob or derive a shared secret. The policy is authenticated inside every
 * blob, so a blob sealed under one policy never opens as another.
 */
public enum SealPolicy {
    /** The caller's full current name on this Tao: after {@link Tao#extendTaoName} the blob no longer opens. */
    SELF("self"),
    /** This Tao: any program it hosts (or any extension of the caller's name) can open the blob. */
    ANY("any");

    private final String text;

    SealPolicy(String text) {
        this.text = text;
    }

    /** The policy's name in sealed blobs and the host protocol: {@code self} or {@code any}. */
    public String text() {
        return text;
    }

    /**
     * The policy named {@code text}.
     *
     * @throws IllegalArgumentException if no policy has that name
     */
    public static SealPolicy fromText(String text) {
        for (SealPolicy p : values()) {
            if (p.text.equals(text)) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown seal policy (expected self or any)");
    }

    @Override
    public String toString() {
        return text;
    }
}
