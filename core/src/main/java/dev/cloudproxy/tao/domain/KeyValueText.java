package dev.cloudproxy.tao.domain;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The line format shared by domain templates and configurations: UTF-8 text, one
 * {@code key = value} per line, blank lines and lines starting with {@code #} ignored, keys of
 * lower-case letters, digits, dots and underscores. The value is the rest of the line with
 * surrounding spaces removed; it may contain {@code =}. Input is bounded in size and line count,
 * and anything else (a line without {@code =}, control characters, bad UTF-8) is an error naming
 * the line.
 */
final class KeyValueText {
    static final int MAX_LINES = 10_000;
    static final int MAX_LINE_CHARS = 64 * 1024;
    private static final Pattern KEY = Pattern.compile("[a-z][a-z0-9_.]{0,63}");

    /** One {@code key = value} line; {@code line} counts from 1. */
    record Entry(int line, String key, String value) {}

    private KeyValueText() {}

    /** Parses {@code bytes} (the caller has bounded their number); {@code what} names the source in errors. */
    static List<Entry> parse(byte[] bytes, String what) throws DomainException {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new DomainException(what + " is not valid UTF-8");
        }
        String[] lines = text.split("\n", -1);
        if (lines.length > MAX_LINES) {
            throw new DomainException(what + " has more than " + MAX_LINES + " lines");
        }
        List<Entry> entries = new ArrayList<>();
        for (int i = 0; i < lines.length; i++) {
            int number = i + 1;
            String line = lines[i];
            if (line.endsWith("\r")) {
                line = line.substring(0, line.length() - 1);
            }
            if (line.length() > MAX_LINE_CHARS) {
                throw new DomainException(what + " line " + number + ": longer than " + MAX_LINE_CHARS + " characters");
            }
            for (int j = 0; j < line.length(); j++) {
                char c = line.charAt(j);
                if (Character.isISOControl(c) && c != '\t') {
                    throw new DomainException(what + " line " + number + ": control character");
                }
            }
            String trimmed = line.strip();
            if (trimmed.isEmpty() || trimmed.startsWith("#")) {
                continue;
            }
            int eq = trimmed.indexOf('=');
            if (eq < 0) {
                throw new DomainException(what + " line " + number + ": expected key = value");
            }
            String key = trimmed.substring(0, eq).strip();
            if (!KEY.matcher(key).matches()) {
                throw new DomainException(what + " line " + number + ": bad key");
            }
            entries.add(new Entry(number, key, trimmed.substring(eq + 1).strip()));
        }
        return entries;
    }
}
