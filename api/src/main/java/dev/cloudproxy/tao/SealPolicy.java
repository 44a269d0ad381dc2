package dev.cloudproxy.tao;

import java.util.Objects;
import java.util.Optional;

/**
 * Who may open a sealed blob or derive a shared secret. The policy is authenticated inside every
 * blob, so a blob sealed under one policy never opens as another.
 *
 * <p>Two policies take no parameter, {@link #SELF} and {@link #ANY} (compare them with
 * {@code ==}: {@link #fromText} returns these very objects). The third, {@link #app(String)},
 * names an app: any version of it that the sealing host's guard admits to the app may open the
 * blob, which is how state survives an upgrade (docs/upgrades.md). Immutable.
 */
public final class SealPolicy {
    /** The caller's full current name on this Tao: after {@link Tao#extendTaoName} the blob no longer opens. */
    public static final SealPolicy SELF = new SealPolicy("self", null);
    /** This Tao: any program it hosts (or any extension of the caller's name) can open the blob. */
    public static final SealPolicy ANY = new SealPolicy("any", null);
    /** What an app policy's text starts with: {@code app:<app-id>}. */
    public static final String APP_PREFIX = "app:";
    /** Longest app id. */
    public static final int MAX_APP_ID_CHARS = 128;

    private final String text;
    private final String appId;

    private SealPolicy(String text, String appId) {
        this.text = text;
        this.appId = appId;
    }

    /**
     * The policy of the app {@code appId}: 1 to {@value #MAX_APP_ID_CHARS} characters from
     * {@code A-Z a-z 0-9 . _ - + : /} (as the hosts check them).
     *
     * @throws IllegalArgumentException if the id is not of that form
     */
    public static SealPolicy app(String appId) {
        Objects.requireNonNull(appId, "appId");
        if (appId.isEmpty() || appId.length() > MAX_APP_ID_CHARS) {
            throw new IllegalArgumentException("an app id has 1 to " + MAX_APP_ID_CHARS + " characters");
        }
        for (int i = 0; i < appId.length(); i++) {
            char c = appId.charAt(i);
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "._-+:/".indexOf(c) >= 0)) {
                throw new IllegalArgumentException("an app id is made of A-Z a-z 0-9 . _ - + : /");
            }
        }
        return new SealPolicy(APP_PREFIX + appId, appId);
    }

    /** The policies without a parameter, {@link #SELF} and {@link #ANY}. */
    public static SealPolicy[] values() {
        return new SealPolicy[] {SELF, ANY};
    }

    /** The policy's name in sealed blobs and the host protocol: {@code self}, {@code any} or {@code app:<app-id>}. */
    public String text() {
        return text;
    }

    /** The app an {@link #app} policy names; empty for {@link #SELF} and {@link #ANY}. */
    public Optional<String> appId() {
        return Optional.ofNullable(appId);
    }

    /**
     * The policy named {@code text}.
     *
     * @throws IllegalArgumentException if no policy has that name
     */
    public static SealPolicy fromText(String text) {
        Objects.requireNonNull(text, "text");
        if (text.equals(SELF.text)) {
            return SELF;
        }
        if (text.equals(ANY.text)) {
            return ANY;
        }
        if (text.startsWith(APP_PREFIX)) {
            return app(text.substring(APP_PREFIX.length()));
        }
        throw new IllegalArgumentException("unknown seal policy (expected self, any or app:<app-id>)");
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SealPolicy p && p.text.equals(text);
    }

    @Override
    public int hashCode() {
        return text.hashCode();
    }

    @Override
    public String toString() {
        return text;
    }
}
