package dev.cloudproxy.tao.auth;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * A byte-string term, printed as lowercase hex in brackets: {@code [4b657930]}. The text form
 * also accepts base64url in braces on input: {@code {S2V5MA==}}.
 *
 * <p>Public values only (key hashes, measurements): the bytes print in full.
 */
public record Bytes(byte[] value) implements Term {
    public Bytes {
        value = Objects.requireNonNull(value, "value").clone();
    }

    /** A byte string from lowercase or uppercase hex, for example {@code Bytes.ofHex("aabb")}. */
    public static Bytes ofHex(String hex) {
        return new Bytes(HexFormat.of().parseHex(hex));
    }

    /** A copy of the bytes. */
    @Override
    public byte[] value() {
        return value.clone();
    }

    /** The number of bytes. */
    public int length() {
        return value.length;
    }

    /** The bytes as lowercase hex, without brackets. */
    public String hex() {
        return HexFormat.of().formatHex(value);
    }

    byte[] unsafeValue() {
        return value;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Bytes other && Arrays.equals(value, other.value);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(value);
    }

    @Override
    public String toString() {
        return AuthText.print(this);
    }
}
