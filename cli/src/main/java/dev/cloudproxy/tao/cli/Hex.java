package dev.cloudproxy.tao.cli;

/** Hex text as typed or piped by people: either case, surrounding whitespace ignored. */
final class Hex {
    private Hex() {}

    /**
     * The bytes written in {@code text}: hex digits in either case, optionally with whitespace
     * before and after them (none in between).
     *
     * @param maxBytes the most bytes accepted; longer input is refused before anything is
     *     allocated for it
     * @throws InputException for a character that is not a hex digit or an odd number of digits;
     *     the message gives the zero-based character offset into {@code text} (every character
     *     before the offending one is whitespace or a hex digit, so chars and code points agree)
     */
    static byte[] parse(String text, int maxBytes) throws InputException {
        int start = 0;
        int end = text.length();
        while (start < end && Character.isWhitespace(text.charAt(start))) {
            start++;
        }
        while (end > start && Character.isWhitespace(text.charAt(end - 1))) {
            end--;
        }
        for (int i = start; i < end; i++) {
            if (digit(text.charAt(i)) < 0) {
                throw new InputException("invalid hex digit " + describe(text, i)
                        + " at character offset " + i);
            }
        }
        int digits = end - start;
        if (digits % 2 != 0) {
            throw new InputException("odd number of hex digits (" + digits
                    + "): the last one, at character offset " + (end - 1) + ", has no pair");
        }
        if (digits / 2 > maxBytes) {
            throw new InputException("hex input is longer than " + maxBytes + " bytes");
        }
        byte[] out = new byte[digits / 2];
        for (int i = 0; i < out.length; i++) {
            int at = start + 2 * i;
            out[i] = (byte) (digit(text.charAt(at)) << 4 | digit(text.charAt(at + 1)));
        }
        return out;
    }

    private static int digit(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return -1;
    }

    /** The character at {@code i}, quoted if it is printable ASCII, else as U+XXXX. */
    private static String describe(String text, int i) {
        int cp = text.codePointAt(i);
        if (cp > ' ' && cp < 0x7f) {
            return "'" + (char) cp + "'";
        }
        return String.format("U+%04X", cp);
    }
}
