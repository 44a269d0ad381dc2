package dev.cloudproxy.tao.measurement;

import dev.cloudproxy.tao.auth.Bytes;
import dev.cloudproxy.tao.auth.PrinExt;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The measurement of a JVM program: its hash, the principal extension {@code Jvm([hash])} that
 * a host appends to its own name for the program, and what went into the hash, item by item.
 *
 * <p>The hash is SHA-256 of a versioned canonical encoding of the items' digests and values (see
 * {@code docs/measurement.md}); paths are printed in the items but are not part of the hash, so
 * the same program measures the same wherever it is installed.
 *
 * @param hash SHA-256 of the canonical encoding, 32 bytes
 * @param items what was measured, in the order it was encoded
 */
public record Measurement(Bytes hash, List<Item> items) {
    /** The extension name for a measured JVM program. */
    public static final String EXTENSION_NAME = "Jvm";

    public Measurement {
        Objects.requireNonNull(hash, "hash");
        if (hash.length() != 32) {
            throw new IllegalArgumentException("a measurement hash is 32 bytes, not " + hash.length());
        }
        items = List.copyOf(items);
    }

    /** {@code Jvm([hash])}: the extension of the host's name that names this program. */
    public PrinExt extension() {
        return PrinExt.of(EXTENSION_NAME, hash);
    }

    /** What kind of thing an item is. */
    public enum Kind {
        /** The Java runtime (its {@code java.home}). */
        RUNTIME("runtime"),
        /** A jar on the class path, the app jar first. */
        JAR("jar"),
        /** A directory on the class path. */
        DIRECTORY("dir"),
        /**
         * A manifest {@code Class-Path} entry that does not exist, which the JVM skips: measured
         * as absent (by the entry as written), so a program measures differently once it exists.
         */
        ABSENT("absent"),
        /** The main class. */
        MAIN_CLASS("main-class"),
        /** One JVM option. */
        JVM_OPTION("jvm-option"),
        /** A {@code -javaagent} jar. */
        AGENT("agent"),
        /** A jar on an agent's own {@code Class-Path}. */
        AGENT_JAR("agent-jar"),
        /** The options string given to an agent. */
        AGENT_OPTIONS("agent-options");

        private final String label;

        Kind(String label) {
            this.label = label;
        }

        /** The short lower-case name the CLI prints. */
        public String label() {
            return label;
        }
    }

    /**
     * One thing that went into the measurement.
     *
     * @param kind what it is
     * @param name a path for files (as given or resolved; not measured), the value itself otherwise
     * @param digest the content digest for files; empty for values, which are measured as they are
     */
    public record Item(Kind kind, String name, Optional<Bytes> digest) {
        public Item {
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(digest, "digest");
        }
    }
}
