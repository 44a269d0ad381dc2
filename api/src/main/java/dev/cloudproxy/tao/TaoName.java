package dev.cloudproxy.tao;

import java.util.Arrays;
import java.util.Objects;

/**
 * A principal name, such as {@code key([..]).Program([..]).Jvm([..])}: its text in the auth
 * language and its binary encoding (CloudProxy's, docs/core.md), which is what signatures, sealed
 * blobs and certificates bind. Names are public values, not secrets.
 *
 * <p>Two names are equal when their encodings are: the encoding is canonical, the text is its
 * printed form. This type does not parse or check either; {@code tao-core} does, and an
 * implementation of {@link Tao} gives the two forms of one name.
 */
public final class TaoName {
    /** Longest encoding accepted (the auth language's own bound on a principal is lower). */
    public static final int MAX_ENCODED_BYTES = 1 << 20;

    private final String text;
    private final byte[] encoded;

    private TaoName(String text, byte[] encoded) {
        this.text = text;
        this.encoded = encoded;
    }

    /**
     * A name from its two forms; copies {@code encoded}.
     *
     * @throws IllegalArgumentException if either form is empty or the encoding is too long
     */
    public static TaoName of(String text, byte[] encoded) {
        Objects.requireNonNull(text, "text");
        Objects.requireNonNull(encoded, "encoded");
        if (text.isEmpty() || encoded.length == 0) {
            throw new IllegalArgumentException("a principal name is never empty");
        }
        if (encoded.length > MAX_ENCODED_BYTES) {
            throw new IllegalArgumentException("a principal name's encoding is at most " + MAX_ENCODED_BYTES + " bytes");
        }
        return new TaoName(text, encoded.clone());
    }

    /** The name in the auth language's text, as the Tao's tools print it. */
    public String text() {
        return text;
    }

    /** A copy of the name's binary encoding. */
    public byte[] encoded() {
        return encoded.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TaoName other && Arrays.equals(encoded, other.encoded);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(encoded);
    }

    /** The text form. */
    @Override
    public String toString() {
        return text;
    }
}
