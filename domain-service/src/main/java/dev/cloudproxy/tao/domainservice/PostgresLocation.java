package dev.cloudproxy.tao.domainservice;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * Where a {@link PostgresStore} is: {@code postgresql://HOST[:PORT]/DATABASE?user=USER[&sslmode=MODE]}
 * (PORT 5432 by default; {@code [::1]} for an IPv6 address). The password is never part of it: it
 * comes from an environment variable or a file (architecture rule 8), so a location can be printed,
 * logged and put on a command line.
 *
 * @param sslMode the driver's {@code sslmode} ({@code disable}, {@code prefer}, {@code require},
 *     {@code verify-ca}, {@code verify-full}); {@code prefer} by default
 */
public record PostgresLocation(String host, int port, String database, String user, String sslMode) {
    public static final int DEFAULT_PORT = 5432;
    private static final Set<String> SSL_MODES = Set.of("disable", "allow", "prefer", "require", "verify-ca",
            "verify-full");

    public PostgresLocation {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(database, "database");
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(sslMode, "sslMode");
        if (host.isEmpty() || database.isEmpty() || user.isEmpty()) {
            throw new IllegalArgumentException("host, database and user must not be empty");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port out of range 1..65535: " + port);
        }
        if (!SSL_MODES.contains(sslMode)) {
            throw new IllegalArgumentException("sslmode must be one of " + SSL_MODES + ", not " + sslMode);
        }
    }

    /** Whether {@code text} names a PostgreSQL store rather than something else (a directory). */
    public static boolean isPostgres(String text) {
        return text.toLowerCase(Locale.ROOT).startsWith("postgresql://");
    }

    /**
     * Parses {@code postgresql://HOST[:PORT]/DATABASE?user=USER[&sslmode=MODE]}.
     *
     * @throws IllegalArgumentException if it is malformed, has a parameter other than {@code user}
     *     and {@code sslmode}, or carries a password (which is then not repeated in the message)
     */
    public static PostgresLocation parse(String text) {
        URI uri;
        try {
            uri = new URI(text.strip());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("not a postgresql://HOST:PORT/DATABASE?user=USER address");
        }
        if (!"postgresql".equalsIgnoreCase(uri.getScheme()) || uri.isOpaque()) {
            throw new IllegalArgumentException("a store address starts with postgresql://");
        }
        if (uri.getRawUserInfo() != null) {
            // Whatever is there may be a password: say nothing of it.
            throw new IllegalArgumentException("the store address must not hold user or password before the host:"
                    + " give ?user=USER, and the password in an environment variable or a file");
        }
        String host = uri.getHost();
        if (host == null) {
            throw new IllegalArgumentException("the store address names no host");
        }
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        String path = uri.getPath() == null ? "" : uri.getPath();
        if (!path.startsWith("/") || path.length() < 2 || path.indexOf('/', 1) >= 0) {
            throw new IllegalArgumentException("the store address names no database: postgresql://HOST:PORT/DATABASE");
        }
        String user = null;
        String sslMode = "prefer";
        if (uri.getRawQuery() != null) {
            for (String pair : uri.getRawQuery().split("&")) {
                int eq = pair.indexOf('=');
                String key = eq < 0 ? pair : pair.substring(0, eq);
                String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                switch (key) {
                    case "user" -> user = value;
                    case "sslmode" -> sslMode = value;
                    case "password" -> throw new IllegalArgumentException("the store address must not hold a password:"
                            + " give it in an environment variable or a file");
                    default -> throw new IllegalArgumentException("unknown store address parameter '" + key
                            + "' (known: user, sslmode)");
                }
            }
        }
        if (user == null || user.isEmpty()) {
            throw new IllegalArgumentException("the store address names no user: add ?user=USER");
        }
        return new PostgresLocation(host, uri.getPort() < 0 ? DEFAULT_PORT : uri.getPort(), path.substring(1), user,
                sslMode);
    }

    /** The JDBC URL (without user or password, which go in the connection properties). */
    String jdbcUrl() {
        String h = host.indexOf(':') >= 0 ? "[" + host + "]" : host;
        return "jdbc:postgresql://" + h + ":" + port + "/" + database;
    }

    /** The address as {@link #parse} reads it. */
    @Override
    public String toString() {
        String h = host.indexOf(':') >= 0 ? "[" + host + "]" : host;
        return "postgresql://" + h + ":" + port + "/" + database + "?user=" + user
                + ("prefer".equals(sslMode) ? "" : "&sslmode=" + sslMode);
    }
}
