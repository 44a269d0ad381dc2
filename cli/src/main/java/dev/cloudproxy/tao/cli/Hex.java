package dev.cloudproxy.tao.cli;

/** Hex text as typed, piped or saved by people: either case, whitespace ignored where harmless. */
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

    /**
     * The bytes written in {@code ascii}, the contents of a hex file: hex digits in either case,
     * with ASCII whitespace allowed anywhere, so that line-wrapped output ({@code xxd -p}) or hex
     * with a space between bytes reads as it looks.
     *
     * @param maxBytes the most bytes accepted
     * @throws InputException for a byte that is neither a hex digit nor whitespace (the message
     *     gives its zero-based byte offset into {@code ascii}), an odd number of digits, or more
     *     than {@code maxBytes} bytes
     */
    static byte[] parseSpaced(byte[] ascii, int maxBytes) throws InputException {
        int digits = 0;
        int lastDigit = -1;
        for (int i = 0; i < ascii.length; i++) {
            byte b = ascii[i];
            if (digit((char) (b & 0xff)) >= 0) {
                digits++;
                lastDigit = i;
            } else if (!isAsciiWhitespace(b)) {
                throw new InputException("invalid hex digit " + describe(b) + " at byte offset " + i);
            }
        }
        if (digits % 2 != 0) {
            throw new InputException("odd number of hex digits (" + digits
                    + "): the last one, at byte offset " + lastDigit + ", has no pair");
        }
        if (digits / 2 > maxBytes) {
            throw new InputException("hex input is longer than " + maxBytes + " bytes");
        }
        byte[] out = new byte[digits / 2];
        int high = -1;
        int n = 0;
        for (byte b : ascii) {
            int d = digit((char) (b & 0xff));
            if (d < 0) {
                continue;
            }
            if (high < 0) {
                high = d;
            } else {
                out[n++] = (byte) (high << 4 | d);
                high = -1;
            }
        }
        return out;
    }

    /** Whether {@code bytes} hold only hex digits and ASCII whitespace, and at least one digit. */
    static boolean looksLikeHex(byte[] bytes) {
        boolean digits = false;
        for (byte b : bytes) {
            if (digit((char) (b & 0xff)) >= 0) {
                digits = true;
            } else if (!isAsciiWhitespace(b)) {
                return false;
            }
        }
        return digits;
    }

    private static boolean isAsciiWhitespace(byte b) {
        return b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == '\f' || b == 0x0b;
    }

    /** A byte of a hex file: quoted if it is printable ASCII, else as 0xNN. */
    private static String describe(byte b) {
        int v = b & 0xff;
        if (v > ' ' && v < 0x7f) {
            return "'" + (char) v + "'";
        }
        return String.format("byte 0x%02x", v);
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
