package dev.cloudproxy.tao.launch;

import dev.cloudproxy.tao.auth.AuthFormatException;
import dev.cloudproxy.tao.auth.AuthText;
import dev.cloudproxy.tao.auth.Form;
import dev.cloudproxy.tao.auth.Int;
import dev.cloudproxy.tao.auth.Pred;
import dev.cloudproxy.tao.auth.Str;
import dev.cloudproxy.tao.auth.Term;
import dev.cloudproxy.tao.host.ProgramSpec;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The programs a launch service may start, by name: {@value #FILE} in the host directory. Only
 * programs named here can be launched, with the factory, path and fixed arguments written here;
 * a client chooses a name and at most {@link Entry#clientArgs} arguments appended after the fixed
 * ones, never the path or the factory.
 *
 * <p>Format: UTF-8 text, one entry a line, in the auth language (so the one bounded auth parser
 * reads it); blank lines and lines starting with {@code #} are ignored:
 *
 * <pre>
 * # Launchable(name, factory, path, mode, client args allowed, fixed args...)
 * Launchable("hello", "process", "/opt/tao/hello.sh", "run", 0)
 * Launchable("grep", "process", "/usr/bin/grep", "run", 2, "-c")
 * </pre>
 *
 * <ul>
 *   <li>name: 1 to 64 characters of {@code a-z 0-9 . _ -}, starting with a letter or digit; each
 *       name once;
 *   <li>factory: {@code process} or {@code jvm} (a self-contained jar, run by its manifest's main class
 *       as {@code tao run --jvm} does);
 *   <li>path: absolute; it is read, measured and copied at every launch, so a binary replaced on
 *       disk is launched, and recorded, under its new measurement;
 *   <li>mode: {@value #RUN} (run to completion, the record covers the output and the exit status)
 *       or {@value #INTERACTIVE} (a server: the record names its endpoint and its Tao-attested
 *       TLS key, {@link LaunchService});
 *   <li>client args allowed: 0 to {@value #MAX_CLIENT_ARGS}.
 * </ul>
 *
 * At most {@value #MAX_BYTES} bytes and {@value #MAX_ENTRIES} entries; anything else (bad UTF-8,
 * control characters, a line that is not one such predicate, a repeated name, a truncated line)
 * is a {@link CatalogException} naming the line. Immutable.
 */
public final class LaunchCatalog {
    /** The catalog's file name in the host directory. */
    public static final String FILE = "launch.catalog";
    public static final int MAX_BYTES = 64 * 1024;
    public static final int MAX_ENTRIES = 256;
    public static final int MAX_CLIENT_ARGS = 64;
    /** Run to completion: the record covers a digest of the output and the exit status. */
    public static final String RUN = "run";
    /** A server that keeps running: the record names its endpoint and its attested TLS key. */
    public static final String INTERACTIVE = "interactive";

    private static final String PREDICATE = "Launchable";
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");

    /**
     * One launchable program.
     *
     * @param clientArgs how many arguments a client may append after {@code fixedArgs}
     */
    public record Entry(String name, String factory, Path path, String mode, int clientArgs, List<String> fixedArgs) {
        public Entry {
            if (!NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("a launchable name is 1 to 64 characters of a-z 0-9 . _ -");
            }
            if (!factory.equals(ProgramSpec.PROCESS) && !factory.equals(ProgramSpec.JVM)) {
                throw new IllegalArgumentException("the factory is process or jvm");
            }
            if (!path.isAbsolute()) {
                throw new IllegalArgumentException("the path must be absolute");
            }
            if (!mode.equals(RUN) && !mode.equals(INTERACTIVE)) {
                throw new IllegalArgumentException("the mode is \"" + RUN + "\" or \"" + INTERACTIVE + "\"");
            }
            if (clientArgs < 0 || clientArgs > MAX_CLIENT_ARGS) {
                throw new IllegalArgumentException("client args allowed: 0 to " + MAX_CLIENT_ARGS);
            }
            fixedArgs = List.copyOf(fixedArgs);
        }

        /**
         * What the host runs for a client that sent {@code args}: the fixed arguments, then the
         * client's.
         *
         * @throws IllegalArgumentException if the client sent more arguments than allowed, or
         *     one the host would refuse ({@link ProgramSpec})
         */
        public ProgramSpec spec(List<String> args) {
            if (args.size() > clientArgs) {
                throw new IllegalArgumentException(name + " takes at most " + clientArgs + " arguments from a client");
            }
            List<String> all = new ArrayList<>(fixedArgs);
            all.addAll(args);
            return factory.equals(ProgramSpec.PROCESS) ? ProgramSpec.process(path, all) : ProgramSpec.jvm(path, all);
        }
    }

    private final Map<String, Entry> entries;

    private LaunchCatalog(Map<String, Entry> entries) {
        this.entries = entries;
    }

    /** A catalog of {@code entries} (names must differ). */
    public static LaunchCatalog of(List<Entry> entries) {
        Map<String, Entry> map = new LinkedHashMap<>();
        for (Entry e : entries) {
            if (map.putIfAbsent(e.name(), e) != null) {
                throw new IllegalArgumentException("the name " + e.name() + " is in the catalog twice");
            }
        }
        return new LaunchCatalog(map);
    }

    /** The catalog in {@code dir}/{@value #FILE}, or an empty one if there is none. */
    public static LaunchCatalog load(Path dir) throws IOException, CatalogException {
        Path file = dir.resolve(FILE);
        if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            return of(List.of());
        }
        try (InputStream in = Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS)) {
            byte[] bytes = in.readNBytes(MAX_BYTES + 1);
            return parse(bytes);
        }
    }

    /** Parses catalog text; see the class comment. */
    public static LaunchCatalog parse(byte[] bytes) throws CatalogException {
        if (bytes.length > MAX_BYTES) {
            throw new CatalogException("the launch catalog is larger than " + MAX_BYTES + " bytes");
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new CatalogException("the launch catalog is not valid UTF-8");
        }
        if (!text.isEmpty() && !text.endsWith("\n")) {
            // A last line without its newline is what a write cut short leaves.
            throw new CatalogException("the launch catalog does not end with a newline: truncated?");
        }
        String[] lines = text.split("\n", -1);
        List<Entry> entries = new ArrayList<>();
        Map<String, Integer> seen = new LinkedHashMap<>();
        for (int i = 0; i < lines.length; i++) {
            int number = i + 1;
            String line = lines[i].strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            for (int j = 0; j < line.length(); j++) {
                if (Character.isISOControl(line.charAt(j)) && line.charAt(j) != '\t') {
                    throw new CatalogException("launch catalog line " + number + ": control character");
                }
            }
            Entry e = entry(line, number);
            Integer before = seen.putIfAbsent(e.name(), number);
            if (before != null) {
                throw new CatalogException("launch catalog line " + number + ": the name " + e.name()
                        + " is already on line " + before);
            }
            if (entries.size() == MAX_ENTRIES) {
                throw new CatalogException("the launch catalog has more than " + MAX_ENTRIES + " entries");
            }
            entries.add(e);
        }
        return of(entries);
    }

    private static Entry entry(String line, int number) throws CatalogException {
        String where = "launch catalog line " + number + ": ";
        Form f;
        try {
            f = AuthText.parseForm(line);
        } catch (AuthFormatException e) {
            throw new CatalogException(where + "not a Launchable(...) line: " + e.getMessage());
        }
        if (!(f instanceof Pred p) || !p.name().equals(PREDICATE) || p.args().size() < 5) {
            throw new CatalogException(where + "expected " + PREDICATE
                    + "(name, factory, path, mode, client args allowed, fixed args...)");
        }
        List<Term> a = p.args();
        List<String> fixed = new ArrayList<>();
        for (int k = 5; k < a.size(); k++) {
            fixed.add(string(a.get(k), where, "fixed argument " + (k - 4)));
        }
        if (!(a.get(4) instanceof Int allowed) || allowed.value() < 0 || allowed.value() > MAX_CLIENT_ARGS) {
            throw new CatalogException(where + "client args allowed must be a number from 0 to " + MAX_CLIENT_ARGS);
        }
        try {
            return new Entry(string(a.get(0), where, "name"), string(a.get(1), where, "factory"),
                    Path.of(string(a.get(2), where, "path")), string(a.get(3), where, "mode"), (int) allowed.value(),
                    fixed);
        } catch (IllegalArgumentException e) {
            throw new CatalogException(where + e.getMessage());
        }
    }

    private static String string(Term t, String where, String what) throws CatalogException {
        if (!(t instanceof Str s)) {
            throw new CatalogException(where + what + " must be a string");
        }
        if (s.value().indexOf('\0') >= 0) {
            throw new CatalogException(where + what + " contains NUL");
        }
        return s.value();
    }

    /** The entry named {@code name}, if any. */
    public Optional<Entry> find(String name) {
        return Optional.ofNullable(entries.get(name));
    }

    /** Every entry, in file order. */
    public List<Entry> entries() {
        return List.copyOf(entries.values());
    }

    @Override
    public String toString() {
        return "LaunchCatalog" + entries.keySet();
    }
}
