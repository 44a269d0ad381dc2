package dev.cloudproxy.tao.auth;

import java.util.HexFormat;

/**
 * The round-trip properties the fuzz tests check on every element that parses or decodes. A
 * failure is an {@link AssertionError} naming the property and showing the element, so that a
 * finding says what broke, not only where.
 *
 * <p>Plain checks rather than AssertJ: they run millions of times while fuzzing.
 */
final class RoundTrip {
    private RoundTrip() {}

    /**
     * The canonical text of {@code e} parses back, as the same kind of element, to one that
     * prints the same.
     */
    static void checkText(AuthElement e) {
        String printed = e.toString();
        AuthElement reparsed;
        try {
            reparsed = AuthElement.parse(printed);
        } catch (AuthFormatException ex) {
            throw new AssertionError("printed text does not parse: " + quote(printed), ex);
        }
        String reprinted = reparsed.toString();
        if (!reprinted.equals(printed)) {
            throw new AssertionError("printed text is not canonical: " + quote(printed)
                    + " parses to an element that prints " + quote(reprinted));
        }
        if ((reparsed instanceof Form) != (e instanceof Form)) {
            throw new AssertionError("printed text of a " + kind(e) + " parses as a " + kind(reparsed)
                    + ": " + quote(printed));
        }
    }

    /** The encoding of {@code e} decodes, with each decoder that should accept it, to {@code e}. */
    static void checkBinary(AuthElement e) {
        byte[] encoded = e.encode();
        AuthElement decoded;
        try {
            decoded = AuthElement.decode(encoded);
        } catch (AuthFormatException ex) {
            throw new AssertionError("encoding of " + quote(e.toString()) + " does not decode: "
                    + HexFormat.of().formatHex(encoded), ex);
        }
        if (!decoded.equals(e)) {
            throw new AssertionError("encoding of " + quote(e.toString()) + " decodes to "
                    + quote(decoded.toString()));
        }
        checkTypedDecoders(encoded, e);
    }

    /**
     * {@link AuthBinary#decodeForm} and {@link AuthBinary#decodeTerm} agree with
     * {@link AuthElement#decode} on bytes that decode to {@code e}: the one for its kind gives
     * {@code e}, the other refuses with a format error.
     */
    static void checkTypedDecoders(byte[] bytes, AuthElement e) {
        try {
            AuthElement typed = e instanceof Form ? AuthBinary.decodeForm(bytes) : AuthBinary.decodeTerm(bytes);
            if (!typed.equals(e)) {
                throw new AssertionError("typed decoder disagrees on " + HexFormat.of().formatHex(bytes));
            }
        } catch (AuthFormatException ex) {
            throw new AssertionError("typed decoder refuses a " + kind(e) + ": "
                    + HexFormat.of().formatHex(bytes), ex);
        }
        try {
            AuthElement other = e instanceof Form ? AuthBinary.decodeTerm(bytes) : AuthBinary.decodeForm(bytes);
            throw new AssertionError("bytes of a " + kind(e) + " also decode as a " + kind(other)
                    + ": " + HexFormat.of().formatHex(bytes));
        } catch (AuthFormatException expected) {
            // Each encoding starts with a tag that belongs to exactly one kind.
        }
    }

    /** The same check for text: {@link AuthText#parseForm} and {@link AuthText#parseTerm}. */
    static void checkTypedParsers(String text, AuthElement e) {
        try {
            AuthElement typed = e instanceof Form ? AuthText.parseForm(text) : AuthText.parseTerm(text);
            if (!typed.equals(e)) {
                throw new AssertionError("typed parser disagrees on " + quote(text));
            }
        } catch (AuthFormatException ex) {
            throw new AssertionError("typed parser refuses a " + kind(e) + ": " + quote(text), ex);
        }
        if (e instanceof Term) {
            try {
                Form f = AuthText.parseForm(text);
                throw new AssertionError("text parses as a term and as the formula " + quote(f.toString())
                        + ": " + quote(text));
            } catch (AuthFormatException expected) {
                // parse() prefers the formula, so a text that is both would never come back a term.
            }
        }
    }

    private static String kind(AuthElement e) {
        return e instanceof Form ? "formula" : "term";
    }

    /**
     * Quoted with every character outside printable ASCII escaped by code point (a backslash and
     * {@code u} with four hex digits, or {@code U} with eight), so that control characters, odd
     * spaces and the exact characters of a finding are visible.
     */
    static String quote(String s) {
        StringBuilder out = new StringBuilder("\"");
        s.codePoints().forEach(cp -> {
            if (cp == '"' || cp == '\\') {
                out.append('\\').appendCodePoint(cp);
            } else if (cp >= 0x20 && cp < 0x7f) {
                out.appendCodePoint(cp);
            } else if (cp < 0x10000) {
                out.append(String.format("\\u%04x", cp));
            } else {
                out.append(String.format("\\U%08x", cp));
            }
        });
        return out.append('"').toString();
    }
}
