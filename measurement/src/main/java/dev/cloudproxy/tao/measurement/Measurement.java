package dev.cloudproxy.tao.measurement;

import dev.cloudproxy.tao.auth.Bytes;
import dev.cloudproxy.tao.auth.PrinExt;
import dev.cloudproxy.tao.auth.PrinTail;
import dev.cloudproxy.tao.auth.Str;
import dev.cloudproxy.tao.auth.SubPrin;
import dev.cloudproxy.tao.auth.Term;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The measurement of a JVM program: its hash, the principal extension a host appends to its own
 * name for the program ({@link #name()}: runtime, agent, app and configuration, each by its own
 * digest), and what went into them, item by item.
 *
 * <p>The hash is SHA-256 of a versioned canonical encoding of the items' digests and values (see
 * {@code docs/measurement.md}); paths are printed in the items but are not part of the hash, so
 * the same program measures the same wherever it is installed. The hash and the name are
 * computed from the same items: two programs have the same hash exactly when they have the same
 * name (up to SHA-256 collisions).
 *
 * @param hash SHA-256 of the canonical encoding of everything, 32 bytes
 * @param items what was measured, in the order it was encoded
 * @param name the program's name, in parts a policy can reason about
 */
public record Measurement(Bytes hash, List<Item> items, Name name) {
    /** The extension name for a measured JVM program. */
    public static final String EXTENSION_NAME = "Jvm";

    public Measurement {
        Objects.requireNonNull(hash, "hash");
        if (hash.length() != 32) {
            throw new IllegalArgumentException("a measurement hash is 32 bytes, not " + hash.length());
        }
        items = List.copyOf(items);
        Objects.requireNonNull(name, "name");
    }

    /**
     * The extension of the host's name that names this program:
     * {@code Jvm(ext.Runtime([r]), ext.Agent("version", [a]), ext.App([p]), ext.Config([c]))}
     * (see {@link Name}).
     */
    public PrinExt extension() {
        return name.extension();
    }

    /**
     * A launched JVM program's name in four parts, so that a policy can trust "this app, on any
     * trusted runtime, with any trusted agent" (docs/measurement.md, "The name"):
     *
     * <ul>
     *   <li>{@code runtime}: the runtime digest ({@code runtime/v1}): the whole Java runtime;
     *   <li>{@code agentVersion} and {@code agents}: the first agent's {@code Implementation-Version}
     *       (empty without one, or without agents), and SHA-256 of the agent jars with their
     *       {@code Class-Path}, in order, options left out;
     *   <li>{@code app}: SHA-256 of the class path (app jar first) and the main class;
     *   <li>{@code config}: SHA-256 of the JVM options and every agent's options (channel rules,
     *       domain service, ...).
     * </ul>
     *
     * Every item of the measurement is in exactly one part, so a change to anything the program
     * runs changes at least one part; each part is labelled and versioned, so no part can be
     * read as another.
     *
     * @param runtime the runtime digest, 32 bytes
     * @param agentVersion the agent's version as its manifest says ({@link #VERSION}), or empty
     * @param agents the agents' digest, 32 bytes
     * @param app the app's digest, 32 bytes
     * @param config the configuration's digest, 32 bytes
     */
    public record Name(Bytes runtime, String agentVersion, Bytes agents, Bytes app, Bytes config) {
        /** What an agent's version may look like (or empty). */
        public static final Pattern VERSION = Pattern.compile("[A-Za-z0-9._+-]{0,64}");

        public Name {
            for (Bytes b : List.of(runtime, agents, app, config)) {
                if (b.length() != 32) {
                    throw new IllegalArgumentException("a name part is 32 bytes, not " + b.length());
                }
            }
            if (!VERSION.matcher(agentVersion).matches()) {
                throw new IllegalArgumentException("malformed agent version");
            }
        }

        /** {@code Jvm(ext.Runtime([r]), ext.Agent("version", [a]), ext.App([p]), ext.Config([c]))}. */
        public PrinExt extension() {
            return PrinExt.of(EXTENSION_NAME, runtimeTerm(), agentTerm(), appTerm(), configTerm());
        }

        /** {@code ext.Runtime([r])}, the term a {@code TrustedRuntime} fact names. */
        public PrinTail runtimeTerm() {
            return runtimeTerm(runtime);
        }

        /** {@code ext.Runtime([digest])} for a runtime digest ({@link JvmProgram#runtimeDigest}). */
        public static PrinTail runtimeTerm(Bytes digest) {
            return tail(PrinExt.of("Runtime", digest));
        }

        /** {@code ext.Agent("version", [a])}, the term a {@code TrustedAgent} fact names. */
        public PrinTail agentTerm() {
            return tail(PrinExt.of("Agent", new Str(agentVersion), agents));
        }

        /** {@code ext.App([p])}. */
        public PrinTail appTerm() {
            return tail(PrinExt.of("App", app));
        }

        /** {@code ext.Config([c])}. */
        public PrinTail configTerm() {
            return tail(PrinExt.of("Config", config));
        }

        /**
         * The parts of an extension of this form, or empty for any other extension (an older
         * {@code Jvm([hash])}, another kind of program, malformed parts).
         */
        public static Optional<Name> of(PrinExt ext) {
            if (!ext.name().equals(EXTENSION_NAME) || ext.args().size() != 4) {
                return Optional.empty();
            }
            Optional<List<Term>> r = args(ext.args().get(0), "Runtime", 1);
            Optional<List<Term>> a = args(ext.args().get(1), "Agent", 2);
            Optional<List<Term>> p = args(ext.args().get(2), "App", 1);
            Optional<List<Term>> c = args(ext.args().get(3), "Config", 1);
            if (r.isEmpty() || a.isEmpty() || p.isEmpty() || c.isEmpty()
                    || !(r.get().get(0) instanceof Bytes rb) || !(a.get().get(0) instanceof Str version)
                    || !(a.get().get(1) instanceof Bytes ab) || !(p.get().get(0) instanceof Bytes pb)
                    || !(c.get().get(0) instanceof Bytes cb)) {
                return Optional.empty();
            }
            try {
                return Optional.of(new Name(rb, version.value(), ab, pb, cb));
            } catch (IllegalArgumentException e) {
                return Optional.empty();
            }
        }

        private static Optional<List<Term>> args(Term t, String name, int count) {
            if (t instanceof PrinTail tail && tail.ext().exts().size() == 1) {
                PrinExt e = tail.ext().exts().get(0);
                if (e.name().equals(name) && e.args().size() == count) {
                    return Optional.of(e.args());
                }
            }
            return Optional.empty();
        }

        private static PrinTail tail(PrinExt e) {
            return new PrinTail(new SubPrin(List.of(e)));
        }
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
