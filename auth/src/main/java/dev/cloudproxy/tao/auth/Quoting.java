package dev.cloudproxy.tao.auth;

/** Quoting of strings as Go's {@code %q} does, which is how CloudProxy prints string terms. */
final class Quoting {
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private Quoting() {}

    /** Appends {@code s} as a double-quoted Go string literal. */
    static void quote(StringBuilder out, String s) {
        out.append('"');
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            switch (cp) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case 0x07 -> out.append("\\a");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case 0x0b -> out.append("\\v");
                default -> {
                    if (isPrint(cp)) {
                        out.appendCodePoint(cp);
                    } else if (cp < 0x20 || cp == 0x7f) {
                        out.append("\\x").append(HEX[cp >> 4]).append(HEX[cp & 0xf]);
                    } else if (cp < 0x10000) {
                        out.append("\\u");
                        hex(out, cp, 4);
                    } else {
                        out.append("\\U");
                        hex(out, cp, 8);
                    }
                }
            }
        }
        out.append('"');
    }

    private static void hex(StringBuilder out, int v, int digits) {
        for (int shift = (digits - 1) * 4; shift >= 0; shift -= 4) {
            out.append(HEX[(v >> shift) & 0xf]);
        }
    }

    /**
     * Go's {@code strconv.IsPrint}: letters, marks, numbers, punctuation, symbols and the ASCII
     * space. (The Unicode tables of Java and Go may differ for newly assigned characters; either
     * way the output parses back to the same string.)
     */
    static boolean isPrint(int cp) {
        if (cp == ' ') {
            return true;
        }
        switch (Character.getType(cp)) {
            case Character.CONTROL, Character.FORMAT, Character.PRIVATE_USE, Character.SURROGATE,
                    Character.UNASSIGNED, Character.SPACE_SEPARATOR, Character.LINE_SEPARATOR,
                    Character.PARAGRAPH_SEPARATOR -> {
                return false;
            }
            default -> {
                return true;
            }
        }
    }

    /** Whether every surrogate in {@code s} is part of a valid pair. */
    static boolean isWellFormedUnicode(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c)) {
                if (i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1))) {
                    return false;
                }
                i++;
            } else if (Character.isLowSurrogate(c)) {
                return false;
            }
        }
        return true;
    }

    /** A short quoted excerpt of untrusted input for an error message. */
    static String brief(String s) {
        if (s == null) {
            return "null";
        }
        StringBuilder out = new StringBuilder();
        if (s.length() > 24) {
            int end = Character.isHighSurrogate(s.charAt(23)) ? 23 : 24;
            quote(out, s.substring(0, end));
            out.append("...");
        } else {
            quote(out, s);
        }
        return out.toString();
    }
}
