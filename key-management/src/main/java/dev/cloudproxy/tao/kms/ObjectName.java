package dev.cloudproxy.tao.kms;

import java.util.List;
import java.util.Objects;

/**
 * The domain-wide name of a protected object, such as {@code /zone/key/customer-folder-key}.
 *
 * <p>A name is a {@code /} followed by one to {@value #MAX_DEPTH} segments separated by
 * {@code /}; each segment is 1 to {@value #MAX_SEGMENT} characters of {@code [A-Za-z0-9._-]},
 * and is neither {@code .} nor {@code ..}; the whole name is at most {@value #MAX_LENGTH}
 * characters. So a name is its own canonical form: no empty segment, no trailing slash, no path
 * trick, nothing a file system or a printer could read two ways. The first segment is the
 * protection zone ({@link #zone()}).
 *
 * <p>{@link #ROOT} ({@code /}) names the program's master key and only that: {@link #of} refuses
 * it.
 */
public record ObjectName(String value) implements Comparable<ObjectName> {
    /** Longest name, in characters. */
    public static final int MAX_LENGTH = 256;
    /** Most segments. */
    public static final int MAX_DEPTH = 8;
    /** Longest segment, in characters. */
    public static final int MAX_SEGMENT = 64;
    /** The master key at the root of every chain. */
    public static final ObjectName ROOT = new ObjectName("/");

    public ObjectName {
        Objects.requireNonNull(value, "value");
        if (!value.equals("/")) {
            check(value);
        }
    }

    /**
     * Parses a name.
     *
     * @throws IllegalArgumentException if it is not a valid name, or is {@code /}
     */
    public static ObjectName of(String value) {
        Objects.requireNonNull(value, "value");
        check(value);
        return new ObjectName(value);
    }

    /** The protection zone: the first segment. {@link #ROOT} has none and throws. */
    public String zone() {
        if (isRoot()) {
            throw new IllegalStateException("the master key is in no zone");
        }
        int end = value.indexOf('/', 1);
        return end < 0 ? value.substring(1) : value.substring(1, end);
    }

    /** The segments, in order. */
    public List<String> segments() {
        return isRoot() ? List.of() : List.of(value.substring(1).split("/", -1));
    }

    /** Whether this is {@link #ROOT}. */
    public boolean isRoot() {
        return value.equals("/");
    }

    @Override
    public int compareTo(ObjectName other) {
        return value.compareTo(other.value);
    }

    @Override
    public String toString() {
        return value;
    }

    private static void check(String value) {
        if (value.length() > MAX_LENGTH) {
            throw new IllegalArgumentException("object name longer than " + MAX_LENGTH + " characters");
        }
        if (!value.startsWith("/") || value.length() < 2) {
            throw new IllegalArgumentException("object name must start with / and name something");
        }
        int depth = 0;
        int start = 1;
        while (start <= value.length()) {
            int end = value.indexOf('/', start);
            if (end < 0) {
                end = value.length();
            }
            String segment = value.substring(start, end);
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
                throw new IllegalArgumentException("object name has an empty, . or .. segment");
            }
            if (segment.length() > MAX_SEGMENT) {
                throw new IllegalArgumentException("object name segment longer than " + MAX_SEGMENT);
            }
            for (int i = 0; i < segment.length(); i++) {
                char c = segment.charAt(i);
                boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                        || c == '.' || c == '_' || c == '-';
                if (!ok) {
                    throw new IllegalArgumentException("object name segments hold only A-Z a-z 0-9 . _ -");
                }
            }
            if (++depth > MAX_DEPTH) {
                throw new IllegalArgumentException("object name deeper than " + MAX_DEPTH + " segments");
            }
            start = end + 1;
        }
    }
}
