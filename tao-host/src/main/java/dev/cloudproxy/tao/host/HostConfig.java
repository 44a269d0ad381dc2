package dev.cloudproxy.tao.host;

import dev.cloudproxy.tao.VerificationException;
import dev.cloudproxy.tao.auth.AuthFormatException;
import dev.cloudproxy.tao.auth.AuthText;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.SubPrin;
import dev.cloudproxy.tao.keys.Signer;
import dev.cloudproxy.tao.keys.Verifier;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A host's configuration, {@code host.config}: what kind of host it is, its key, its name and
 * where its parent and domain are. Written once by {@code tao host init}, signed by the host's own
 * key (detached, {@code host.config.sig}), and checked against that key every time the host
 * starts, so a hand-edited file is refused.
 *
 * <pre>
 * version = 1
 * type = root                       # or stacked
 * key = key([..])                   # the host key's principal
 * name = key([..]).LiberalGuard()   # the host's name
 * guard = .LiberalGuard()           # the guard extension in that name (empty: none)
 * parent = rpc:auto                 # stacked only: how to reach the parent Tao
 * domain = /path/to/domain          # optional: the domain whose guard the host enforces
 * </pre>
 *
 * <p>Lines are {@code key = value}; blank lines and {@code #} comments are ignored. At most
 * {@value #MAX_BYTES} bytes, UTF-8, no control characters; unknown, repeated or missing keys are
 * errors.
 */
public record HostConfig(Type type, Prin key, Prin name, SubPrin guard, Optional<String> parent,
        Optional<String> domain) {
    /** Largest configuration file read. */
    public static final int MAX_BYTES = 64 * 1024;

    private static final byte[] SIGNING_CONTEXT = "Tao Host Config V1\0".getBytes(StandardCharsets.US_ASCII);
    private static final int MAX_VALUE_CHARS = 4096;

    /** A root host stands on its own keys; a stacked host's keys and name come from its parent Tao. */
    public enum Type {
        ROOT, STACKED;

        String text() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public HostConfig {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(guard, "guard");
        Objects.requireNonNull(parent, "parent");
        Objects.requireNonNull(domain, "domain");
        if ((type == Type.STACKED) != parent.isPresent()) {
            throw new IllegalArgumentException("a stacked host, and only a stacked host, has a parent");
        }
        if (type == Type.ROOT && !name.equals(key.extend(guard))) {
            throw new IllegalArgumentException("a root host's name is its key extended by its guard");
        }
        if (type == Type.STACKED && !name.ext().exts().subList(Math.max(0, name.ext().size() - guard.size()),
                name.ext().size()).equals(guard.exts())) {
            throw new IllegalArgumentException("a stacked host's name ends with its guard");
        }
        parent.ifPresent(HostConfig::checkValue);
        domain.ifPresent(HostConfig::checkValue);
    }

    private static void checkValue(String v) {
        if (v.isEmpty() || v.length() > MAX_VALUE_CHARS || !v.equals(v.strip())
                || v.chars().anyMatch(Character::isISOControl)) {
            throw new IllegalArgumentException("a configuration value must be one line without surrounding spaces");
        }
    }

    /** The file's text. */
    public byte[] encode() {
        StringBuilder b = new StringBuilder();
        b.append("# Tao host configuration, signed by the host's key (host.config.sig).\n");
        b.append("# Written by 'tao host init'; an edited file is refused.\n");
        b.append("version = 1\n");
        b.append("type = ").append(type.text()).append('\n');
        b.append("key = ").append(AuthText.print(key)).append('\n');
        b.append("name = ").append(AuthText.print(name)).append('\n');
        b.append("guard = ").append(guard.isEmpty() ? "" : AuthText.print(guard)).append('\n');
        parent.ifPresent(p -> b.append("parent = ").append(p).append('\n'));
        domain.ifPresent(d -> b.append("domain = ").append(d).append('\n'));
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** The detached signature of {@code encoded} by the host's key. */
    public static byte[] sign(byte[] encoded, Signer hostKey) {
        return hostKey.sign(signed(encoded));
    }

    /**
     * Checks the signature of {@code encoded} by {@code hostKey} <em>before</em> reading it, then
     * parses it and checks that it names that key.
     *
     * @throws HostException if the signature does not verify or the file is malformed
     */
    public static HostConfig verifyAndParse(byte[] encoded, byte[] signature, Verifier hostKey) throws HostException {
        if (encoded.length > MAX_BYTES) {
            throw new HostException("host.config is larger than " + MAX_BYTES + " bytes");
        }
        try {
            hostKey.verify(signed(encoded), signature);
        } catch (VerificationException e) {
            throw new HostException("host.config is not signed by the host's key (edited by hand, or another host's)");
        }
        HostConfig c = parse(encoded);
        if (!c.key.equals(hostKey.principal())) {
            throw new HostException("host.config names another key than the host's");
        }
        return c;
    }

    private static byte[] signed(byte[] encoded) {
        return ByteBuffer.allocate(SIGNING_CONTEXT.length + encoded.length).put(SIGNING_CONTEXT).put(encoded).array();
    }

    /** Parses the text without checking any signature (for {@code tao host show}: untrusted). */
    public static HostConfig parse(byte[] encoded) throws HostException {
        if (encoded.length > MAX_BYTES) {
            throw new HostException("host.config is larger than " + MAX_BYTES + " bytes");
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(encoded)).toString();
        } catch (CharacterCodingException e) {
            throw new HostException("host.config is not UTF-8");
        }
        Map<String, String> values = new HashMap<>();
        int lineNo = 0;
        for (String line : text.split("\n", -1)) {
            lineNo++;
            String l = line.strip();
            if (l.isEmpty() || l.startsWith("#")) {
                continue;
            }
            if (l.chars().anyMatch(c -> Character.isISOControl(c) && c != '\t')) {
                throw new HostException("host.config line " + lineNo + ": control character");
            }
            int eq = l.indexOf('=');
            if (eq < 0) {
                throw new HostException("host.config line " + lineNo + ": no '='");
            }
            String k = l.substring(0, eq).strip();
            String v = l.substring(eq + 1).strip();
            if (!java.util.Set.of("version", "type", "key", "name", "guard", "parent", "domain").contains(k)) {
                throw new HostException("host.config line " + lineNo + ": unknown key '" + cut(k) + "'");
            }
            if (values.put(k, v) != null) {
                throw new HostException("host.config line " + lineNo + ": '" + k + "' repeated");
            }
        }
        if (!"1".equals(values.get("version"))) {
            throw new HostException("host.config: version must be 1");
        }
        Type type = switch (require(values, "type")) {
            case "root" -> Type.ROOT;
            case "stacked" -> Type.STACKED;
            default -> throw new HostException("host.config: type must be root or stacked");
        };
        try {
            Prin key = AuthText.parsePrin(require(values, "key"));
            Prin name = AuthText.parsePrin(require(values, "name"));
            String guardText = values.getOrDefault("guard", "");
            SubPrin guard = guardText.isEmpty() ? SubPrin.EMPTY : parseSubPrin(guardText);
            return new HostConfig(type, key, name, guard, Optional.ofNullable(values.get("parent")),
                    Optional.ofNullable(values.get("domain")));
        } catch (AuthFormatException e) {
            throw new HostException("host.config: malformed principal: " + e.getMessage());
        } catch (IllegalArgumentException e) {
            throw new HostException("host.config: " + e.getMessage());
        }
    }

    /** {@code .A().B([..])}: a subprincipal's text, parsed as the extensions of a placeholder principal. */
    static SubPrin parseSubPrin(String text) throws AuthFormatException, HostException {
        if (!text.startsWith(".")) {
            throw new HostException("host.config: the guard is a subprincipal starting with '.'");
        }
        return AuthText.parsePrin("key(\"x\")" + text).ext();
    }

    private static String require(Map<String, String> values, String key) throws HostException {
        String v = values.get(key);
        if (v == null || v.isEmpty()) {
            throw new HostException("host.config: '" + key + "' is missing");
        }
        return v;
    }

    private static String cut(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }
}
