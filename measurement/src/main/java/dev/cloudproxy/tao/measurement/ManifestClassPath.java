package dev.cloudproxy.tao.measurement;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.StringTokenizer;
import java.util.jar.Attributes;
import java.util.jar.Manifest;

/**
 * The {@code Class-Path} attribute of a jar's manifest, read as the JDK's application class
 * loader reads it ({@code URLClassPath.JarLoader.parseClassPath}): tokens separated by white
 * space, each a URL relative to the jar's own URL. A token ending in {@code /} names a directory
 * of classes; any other token names a jar. One parser for the measurement and for whoever copies
 * the program before it is measured (the launcher), so both follow the same entries.
 *
 * <p>Stricter than the JDK in one way: a URL with a scheme other than {@code file} is refused
 * rather than skipped (JDK 17 and later skip it unless
 * {@code -Djdk.net.URLClassPath.disableClassPathURLCheck=true} is given, and then load it).
 */
public final class ManifestClassPath {
    /**
     * One entry.
     *
     * @param token the entry as written in the manifest (location independent: it is what the
     *     measurement records for an entry that is absent)
     * @param path its decoded path, relative to the jar's directory unless it starts with {@code /}
     * @param directory whether the JDK opens it as a directory of classes (the token ends in
     *     {@code /}) rather than as a jar
     */
    public record Entry(String token, String path, boolean directory) {
        /** Whether the path is absolute, so does not follow the jar when the jar is moved or copied. */
        public boolean absolute() {
            return path.startsWith("/");
        }
    }

    private ManifestClassPath() {}

    /**
     * The entries of {@code manifest}'s {@code Class-Path}, in order; none without a manifest or
     * attribute.
     *
     * @param jar the jar, for messages only
     * @throws MeasurementException for an entry that is not a URL, or a URL other than {@code file:}
     */
    public static List<Entry> of(Path jar, Manifest manifest) throws MeasurementException {
        String value = manifest == null ? null : manifest.getMainAttributes().getValue(Attributes.Name.CLASS_PATH);
        List<Entry> out = new ArrayList<>();
        if (value == null) {
            return out;
        }
        // StringTokenizer's default delimiters, as the JDK splits the attribute.
        StringTokenizer tokens = new StringTokenizer(value);
        while (tokens.hasMoreTokens()) {
            String token = tokens.nextToken();
            URI uri;
            try {
                uri = new URI(token);
            } catch (URISyntaxException e) {
                throw new MeasurementException("bad Class-Path entry in " + jar + ": " + Digests.quote(token), e);
            }
            if (uri.getScheme() != null && !uri.getScheme().equalsIgnoreCase("file")) {
                throw new MeasurementException("Class-Path of " + jar + " names a non-file URL, which is not measured: "
                        + Digests.quote(token));
            }
            String path = uri.getPath();
            if (path == null || path.isEmpty() || uri.getRawAuthority() != null || uri.getRawQuery() != null
                    || uri.getRawFragment() != null) {
                throw new MeasurementException("bad Class-Path entry in " + jar + ": " + Digests.quote(token));
            }
            out.add(new Entry(token, path, path.endsWith("/")));
        }
        return out;
    }
}
