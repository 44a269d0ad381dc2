package dev.cloudproxy.tao.measurement;

import dev.cloudproxy.tao.auth.Bytes;
import dev.cloudproxy.tao.measurement.Measurement.Item;
import dev.cloudproxy.tao.measurement.Measurement.Kind;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.jar.Attributes;
import java.util.jar.Manifest;

/**
 * A JVM program to measure: an app jar, more class path entries, a main class, JVM options,
 * agents and a Java runtime, as in
 * {@code java [options] -javaagent:agent.jar=opts -cp app.jar:more... Main}.
 *
 * <p>{@link #measure()} reads every file that can put code or configuration into that program
 * and digests it by content, so that two programs with the same code, configuration and runtime
 * measure the same, and a change to any of them measures differently. The files are read when
 * {@code measure()} runs; whoever starts the program must make sure it runs what was measured
 * (the files must not be writable by anyone the host does not trust).
 */
public final class JvmProgram {
    /** Default bound on the entries (jar entries and files) read in one measurement. */
    public static final long DEFAULT_MAX_ENTRIES = 1_000_000;
    /** Default bound on the bytes read in one measurement, after decompression (runtime included). */
    public static final long DEFAULT_MAX_BYTES = 4L << 30;

    /**
     * Options that would load code or configuration the measurement does not see, or that name
     * the class path, main class or agents, which the builder takes separately.
     */
    private static final List<String> REFUSED_OPTIONS = List.of(
            "-cp", "-classpath", "--class-path", "-jar", "--source", "-m", "--module", "-p",
            "--module-path", "--upgrade-module-path", "--patch-module", "-javaagent", "-agentlib",
            "-agentpath", "-Xbootclasspath", "-XX:Flags", "-XX:VMOptionsFile", "-XX:SharedArchiveFile",
            "-XX:+AutoCreateSharedArchive", "-Djava.class.path", "-Djdk.module.path", "-splash");

    static final String APP_LABEL = "dev.cloudproxy.tao.measurement.JvmProgram/app/v1";
    static final String AGENTS_LABEL = "dev.cloudproxy.tao.measurement.JvmProgram/agents/v1";
    static final String CONFIG_LABEL = "dev.cloudproxy.tao.measurement.JvmProgram/config/v1";

    private final Path jar;
    private final List<Path> classpath;
    private final Optional<String> mainClass;
    private final List<String> jvmOptions;
    private final List<Agent> agents;
    private final Path runtime;
    private final long maxEntries;
    private final long maxBytes;
    private final Optional<Path> runtimeDigestCache;
    private final Optional<RuntimeDigestCache.Identity> cacheIdentity;
    private final boolean recordAbsent;

    private record Agent(Path jar, Optional<String> options) {}

    private JvmProgram(Builder b) {
        this.jar = Objects.requireNonNull(b.jar, "jar");
        this.classpath = List.copyOf(b.classpath);
        this.mainClass = b.mainClass;
        this.jvmOptions = List.copyOf(b.jvmOptions);
        this.agents = List.copyOf(b.agents);
        this.runtime = b.runtime;
        this.maxEntries = b.maxEntries;
        this.maxBytes = b.maxBytes;
        this.runtimeDigestCache = b.runtimeDigestCache;
        this.cacheIdentity = b.cacheIdentity;
        this.recordAbsent = b.recordAbsent;
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Reads and digests the program.
     *
     * @throws MeasurementException if a file is missing, unreadable or malformed, a jar is
     *     hostile (bad names, duplicate entries, sizes that lie, too much content), there is no
     *     main class, or an option would run code that is not measured
     */
    public Measurement measure() throws MeasurementException {
        Digests digests = new Digests(maxEntries, maxBytes, persistentCache().orElse(null));
        List<Item> items = new ArrayList<>();
        // The whole program (v1, Measurement.hash) and, beside it, the four parts of its name
        // (Measurement.Name): the same fields, each in exactly one part.
        Canonical c = new Canonical().field("dev.cloudproxy.tao.measurement.JvmProgram/v1");
        Canonical appPart = new Canonical().field(APP_LABEL);
        Canonical agentPart = new Canonical().field(AGENTS_LABEL);
        Canonical configPart = new Canonical().field(CONFIG_LABEL);

        byte[] runtimeDigest = digests.runtime(runtime);
        items.add(new Item(Kind.RUNTIME, runtime.toString(), Optional.of(new Bytes(runtimeDigest))));
        c.field("runtime").bytes(runtimeDigest);

        if (!Files.isRegularFile(jar)) {
            throw new MeasurementException(Files.exists(jar) ? "not a jar file: " + jar : "no such jar: " + jar);
        }
        List<Path> roots = new ArrayList<>();
        roots.add(jar);
        roots.addAll(classpath);
        List<Entry> path = classPath(digests, roots, Kind.JAR, recordAbsent);
        Manifest appManifest = path.get(0).manifest;
        c.field("classpath").varint(path.size());
        appPart.field("classpath").varint(path.size());
        for (Entry e : path) {
            items.add(e.item());
            e.encode(c);
            e.encode(appPart);
        }

        String main = mainClass.isPresent() ? mainClass.get() : manifestMainClass(appManifest);
        checkMainClass(main);
        items.add(new Item(Kind.MAIN_CLASS, main, Optional.empty()));
        c.field("main-class").string(main);
        appPart.field("main-class").string(main);

        c.field("jvm-options").varint(jvmOptions.size());
        configPart.field("jvm-options").varint(jvmOptions.size());
        for (String option : jvmOptions) {
            items.add(new Item(Kind.JVM_OPTION, option, Optional.empty()));
            c.string(option);
            configPart.string(option);
        }

        c.field("agents").varint(agents.size());
        agentPart.field("agents").varint(agents.size());
        configPart.field("agent-options").varint(agents.size());
        String agentVersion = "";
        for (Agent agent : agents) {
            List<Entry> agentPath = classPath(digests, List.of(agent.jar), Kind.AGENT_JAR, recordAbsent);
            Entry agentJar = agentPath.get(0);
            if (agentJar.kind == Kind.DIRECTORY) {
                throw new MeasurementException("an agent must be a jar file: " + agent.jar);
            }
            if (agentJar.manifest != null
                    && agentJar.manifest.getMainAttributes().getValue("Boot-Class-Path") != null) {
                throw new MeasurementException("agent " + agent.jar
                        + " has a Boot-Class-Path, which is not measured: refused");
            }
            if (agent == agents.get(0)) {
                agentVersion = agentVersion(agent.jar, agentJar.manifest);
            }
            items.add(new Item(Kind.AGENT, agent.jar.toString(), Optional.of(new Bytes(agentJar.digest))));
            c.bytes(agentJar.digest).varint(agentPath.size() - 1);
            agentPart.bytes(agentJar.digest).varint(agentPath.size() - 1);
            for (Entry e : agentPath.subList(1, agentPath.size())) {
                items.add(e.item());
                e.encode(c);
                e.encode(agentPart);
            }
            c.varint(agent.options.isPresent() ? 1 : 0);
            configPart.varint(agent.options.isPresent() ? 1 : 0);
            if (agent.options.isPresent()) {
                items.add(new Item(Kind.AGENT_OPTIONS, agent.options.get(), Optional.empty()));
                c.string(agent.options.get());
                configPart.string(agent.options.get());
            }
        }
        byte[] hash = Digests.sha256().digest(c.toByteArray());
        Measurement.Name name = new Measurement.Name(new Bytes(runtimeDigest), agentVersion,
                new Bytes(Digests.sha256().digest(agentPart.toByteArray())),
                new Bytes(Digests.sha256().digest(appPart.toByteArray())),
                new Bytes(Digests.sha256().digest(configPart.toByteArray())));
        return new Measurement(new Bytes(hash), items, name);
    }

    /**
     * The first agent's {@code Implementation-Version}, or empty without one. It is printed in the
     * name for people and policies to read; the agent part's digest, which covers the manifest
     * it comes from, is what vouches for it.
     */
    private static String agentVersion(Path agentJar, Manifest manifest) throws MeasurementException {
        String v = manifest == null ? null : manifest.getMainAttributes().getValue(Attributes.Name.IMPLEMENTATION_VERSION);
        if (v == null) {
            return "";
        }
        v = v.trim();
        if (!Measurement.Name.VERSION.matcher(v).matches()) {
            throw new MeasurementException("agent " + agentJar + " has a malformed Implementation-Version "
                    + Digests.quote(v) + " (1-64 letters, digits, '.', '_', '+' or '-')");
        }
        return v;
    }

    /**
     * The runtime digest of {@code javaHome}, as {@link #measure()} computes it for a program on
     * it (the {@code ext.Runtime([..])} part of its name), within the default bounds and without a
     * persistent cache.
     *
     * @throws MeasurementException if it is not a Java runtime or cannot be read
     */
    public static Bytes runtimeDigest(Path javaHome) throws MeasurementException {
        return new Bytes(new Digests(DEFAULT_MAX_ENTRIES, DEFAULT_MAX_BYTES, null).runtime(javaHome));
    }

    /**
     * The persistent runtime digest cache, if one was asked for and this process may use one
     * (its identity is known and it is not privileged).
     */
    private Optional<RuntimeDigestCache> persistentCache() {
        if (runtimeDigestCache.isEmpty()) {
            return Optional.empty();
        }
        Optional<RuntimeDigestCache.Identity> who =
                cacheIdentity.isPresent() ? cacheIdentity : RuntimeDigestCache.Identity.current();
        return who.flatMap(w -> RuntimeDigestCache.open(runtimeDigestCache.get(), w));
    }

    /** One class path entry as measured; an absent one has no digest or manifest, and its token. */
    private record Entry(Kind kind, Path path, byte[] digest, Manifest manifest, String token) {
        Item item() {
            return new Item(kind, path.toString(), Optional.ofNullable(digest).map(Bytes::new));
        }

        /** Its part of the canonical encoding: kind, then content digest (or, if absent, the token). */
        void encode(Canonical c) {
            switch (kind) {
                case ABSENT -> c.string("absent").string(token);
                case DIRECTORY -> c.string("dir").bytes(digest);
                default -> c.string("jar").bytes(digest);
            }
        }
    }

    /**
     * The class path as the JVM's application class loader searches it: each entry in order,
     * each jar followed at once by the entries of its manifest's {@code Class-Path} (depth
     * first), skipping a file already on the path.
     *
     * <p>A root (an entry given to the builder) must exist. A {@code Class-Path} entry that does
     * not exist is an error, or with {@code recordAbsent} recorded as absent (once per path) and
     * skipped, as the JVM skips it (see {@link Builder#recordAbsentClassPathEntries()}). Roots resolve their
     * {@code Class-Path} against their real path, as the JVM canonicalizes {@code -cp} entries;
     * entries found through {@code Class-Path} resolve theirs textually, as URLs do.
     */
    private static List<Entry> classPath(Digests digests, List<Path> roots, Kind jarKind, boolean recordAbsent)
            throws MeasurementException {
        record Pending(Path path, Path via, ManifestClassPath.Entry ref) {}
        Deque<Pending> stack = new ArrayDeque<>();
        for (int i = roots.size() - 1; i >= 0; i--) {
            stack.push(new Pending(roots.get(i), null, null));
        }
        Set<Path> seen = new HashSet<>();
        Set<Path> absent = new HashSet<>();
        List<Entry> out = new ArrayList<>();
        while (!stack.isEmpty()) {
            Pending p = stack.pop();
            String where = p.via == null ? "" : " (in the Class-Path of " + p.via + ")";
            if (p.ref == null && p.path.toString().endsWith("*")) {
                throw new MeasurementException("class path wildcards are not measured; list the jars: " + p.path + where);
            }
            if (recordAbsent && p.ref != null && !Files.exists(p.path)) {
                if (absent.add(p.path)) {
                    out.add(new Entry(Kind.ABSENT, p.path, null, null, p.ref.token()));
                }
                continue;
            }
            Path real;
            try {
                real = p.path.toRealPath();
            } catch (IOException e) {
                throw new MeasurementException("class path entry not found: " + p.path + where, e);
            }
            if (!seen.add(real)) {
                continue;
            }
            boolean isDirectory = Files.isDirectory(real);
            if (p.ref != null && isDirectory != p.ref.directory()) {
                // The JVM opens a token ending in '/' as a directory and any other as a jar, and
                // silently finds nothing in the wrong kind of file: refused rather than guessed.
                throw new MeasurementException("Class-Path entry " + Digests.quote(p.ref.token()) + " of " + p.via
                        + (isDirectory ? " is a directory but does not end in '/'" : " ends in '/' but is not a directory")
                        + ", so the JVM would ignore it: fix the manifest");
            }
            if (isDirectory) {
                out.add(new Entry(Kind.DIRECTORY, p.path, digests.directory(p.path), null, null));
                continue;
            }
            Digests.Jar jar = digests.jar(p.path);
            out.add(new Entry(jarKind, p.path, jar.digest(), jar.manifest(), null));
            Path base = (p.ref == null ? real : p.path.toAbsolutePath()).getParent();
            List<ManifestClassPath.Entry> next = ManifestClassPath.of(p.path, jar.manifest());
            for (int i = next.size() - 1; i >= 0; i--) {
                stack.push(new Pending(base.resolve(next.get(i).path()).normalize(), p.path, next.get(i)));
            }
        }
        return out;
    }

    private String manifestMainClass(Manifest manifest) throws MeasurementException {
        String main = manifest == null ? null : manifest.getMainAttributes().getValue(Attributes.Name.MAIN_CLASS);
        if (main == null) {
            throw new MeasurementException("no main class: " + jar + " has no Main-Class in its manifest; name one");
        }
        return main.trim();
    }

    private static void checkMainClass(String main) throws MeasurementException {
        if (main.isEmpty() || !main.codePoints().allMatch(cp -> Character.isJavaIdentifierPart(cp) || cp == '.' || cp == '/')
                || Character.isIdentifierIgnorable(main.codePointAt(0))) {
            throw new MeasurementException("bad main class name: " + Digests.quote(main));
        }
    }

    /**
     * Builds a {@link JvmProgram}. Only the app jar is required; the runtime defaults to the one
     * running this code.
     */
    public static final class Builder {
        private Path jar;
        private final List<Path> classpath = new ArrayList<>();
        private Optional<String> mainClass = Optional.empty();
        private final List<String> jvmOptions = new ArrayList<>();
        private final List<Agent> agents = new ArrayList<>();
        private Path runtime = Path.of(System.getProperty("java.home"));
        private long maxEntries = DEFAULT_MAX_ENTRIES;
        private long maxBytes = DEFAULT_MAX_BYTES;
        private Optional<Path> runtimeDigestCache = Optional.empty();
        private Optional<RuntimeDigestCache.Identity> cacheIdentity = Optional.empty();
        private boolean recordAbsent;

        private Builder() {}

        /** The app jar: first on the class path; its {@code Main-Class} is the default main class. */
        public Builder jar(Path jar) {
            this.jar = Objects.requireNonNull(jar, "jar");
            return this;
        }

        /** Appends class path entries (jars or directories), after the app jar, in this order. */
        public Builder classpath(List<Path> entries) {
            for (Path p : entries) {
                classpath.add(Objects.requireNonNull(p, "classpath entry"));
            }
            return this;
        }

        /** The main class, instead of the app jar's {@code Main-Class}. */
        public Builder mainClass(String mainClass) {
            this.mainClass = Optional.of(Objects.requireNonNull(mainClass, "mainClass"));
            return this;
        }

        /**
         * Appends JVM options, measured verbatim and in order. Each must start with {@code -}
         * and be one argument ({@code --add-opens=M/P=ALL-UNNAMED}, not two).
         *
         * @throws IllegalArgumentException for an option the measurement cannot account for:
         *     class path, module path, main class, agents, boot class path, argument files,
         *     option files, class data archives, splash screens
         */
        public Builder jvmOptions(List<String> options) {
            for (String option : options) {
                checkOption(Objects.requireNonNull(option, "option"));
                jvmOptions.add(option);
            }
            return this;
        }

        /** Adds a {@code -javaagent} without options. */
        public Builder agent(Path jar) {
            agents.add(new Agent(Objects.requireNonNull(jar, "agent jar"), Optional.empty()));
            return this;
        }

        /** Adds a {@code -javaagent} with an options string (which may be empty). */
        public Builder agent(Path jar, String options) {
            agents.add(new Agent(Objects.requireNonNull(jar, "agent jar"),
                    Optional.of(Objects.requireNonNull(options, "options"))));
            return this;
        }

        /** The Java runtime ({@code java.home}) that will run the program. */
        public Builder runtime(Path javaHome) {
            this.runtime = Objects.requireNonNull(javaHome, "javaHome");
            return this;
        }

        /** Bounds on what one measurement reads: entries (jar entries and files) and bytes. */
        public Builder limits(long maxEntries, long maxBytes) {
            if (maxEntries <= 0 || maxBytes <= 0) {
                throw new IllegalArgumentException("limits must be positive");
            }
            this.maxEntries = maxEntries;
            this.maxBytes = maxBytes;
            return this;
        }

        /**
         * Keeps per-file digests of the runtime in {@code file} across processes, so that a new
         * process need not hash the whole runtime again. The measurement means the same with or
         * without it: an entry is used only for a file that the current user cannot change
         * (not the user's, not writable by group or others, in directories of which the same
         * holds up to {@code /}) and whose real path, device, inode, size, modification and
         * change times are those recorded; a process running as root, or with any capability,
         * does not use it at all. The file is written atomically with mode {@code 0600}; a
         * missing, malformed or unwritable one costs only time, never an error. Its directory
         * must exist. Default: no persistent cache (digests are reused within the process only).
         */
        public Builder runtimeDigestCache(Path file) {
            this.runtimeDigestCache = Optional.of(Objects.requireNonNull(file, "file"));
            return this;
        }

        /** For tests: the cache as it would be for {@code who} instead of this process. */
        Builder runtimeDigestCache(Path file, RuntimeDigestCache.Identity who) {
            this.cacheIdentity = Optional.of(Objects.requireNonNull(who, "who"));
            return runtimeDigestCache(file);
        }

        /**
         * Records a manifest {@code Class-Path} entry that does not exist as absent and goes on,
         * as the JVM does, instead of refusing the program. The absent entry is part of the hash
         * (by the entry as written), so the program measures differently once the file exists.
         *
         * <p>Only for a caller that keeps those paths from appearing while the program runs: the
         * JVM's class loader opens entries lazily, when a class is first looked for past the
         * entries before them, so a jar created there after measurement would still be loaded,
         * unmeasured. The launcher asks for this because its entries resolve inside its private
         * copy of the app; entries that are absolute or leave the copy it refuses itself.
         */
        public Builder recordAbsentClassPathEntries() {
            this.recordAbsent = true;
            return this;
        }

        public JvmProgram build() {
            if (jar == null) {
                throw new IllegalStateException("no app jar");
            }
            return new JvmProgram(this);
        }

        private static void checkOption(String option) {
            if (!option.startsWith("-") || option.length() < 2) {
                throw new IllegalArgumentException("a JVM option starts with '-' and is one argument: "
                        + Digests.quote(option));
            }
            for (String refused : REFUSED_OPTIONS) {
                if (option.equals(refused) || option.startsWith(refused + "=") || option.startsWith(refused + ":")
                        || (refused.startsWith("-X") || refused.startsWith("-D") || refused.equals("-agentlib")
                                || refused.equals("-agentpath") || refused.equals("-javaagent"))
                                && option.startsWith(refused)) {
                    throw new IllegalArgumentException("JVM option " + Digests.quote(option)
                            + " is not accepted: it loads code or configuration the measurement does not see,"
                            + " or names what the builder takes separately");
                }
            }
            if (option.startsWith("@")) {
                throw new IllegalArgumentException("argument files are not measured: " + Digests.quote(option));
            }
        }
    }
}
