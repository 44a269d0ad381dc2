package dev.cloudproxy.tao.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads UTF-8 lines like {@link java.io.BufferedReader#readLine()} (ended by {@code \n},
 * {@code \r} or {@code \r\n}; the last line may lack an end), with two differences that matter
 * for untrusted input:
 *
 * <ul>
 *   <li>A line is never held beyond a bound: once a line has more bytes than {@code maxChars}
 *       chars can take, it is refused without reading the rest, so a 100 MB line without a
 *       newline costs a few MB at most.
 *   <li>Invalid UTF-8 is an error of the line it is in, not silently replaced. Lines are split on
 *       bytes before decoding (in UTF-8, CR and LF bytes occur only as themselves), so the error
 *       always names the right line, and the lines before it are returned intact.
 * </ul>
 */
final class LineReader {
    /** UTF-8 takes at most 3 bytes per UTF-16 char (4 bytes for a surrogate pair). */
    private static final int MAX_BYTES_PER_CHAR = 3;

    private final InputStream in;
    private final int maxChars;
    private final int maxBytes;
    private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    private final byte[] buf = new byte[8192];
    private int pos;
    private int end;
    private boolean eof;
    /** The previous line ended with {@code \r}; a {@code \n} right after it belongs to it. */
    private boolean skipNewline;
    private byte[] line = new byte[128];
    private int lineLength;

    LineReader(InputStream in, int maxChars) {
        if (maxChars < 0) {
            throw new IllegalArgumentException("maxChars must not be negative");
        }
        this.in = in;
        this.maxChars = maxChars;
        this.maxBytes = (int) Math.min((long) maxChars * MAX_BYTES_PER_CHAR, Integer.MAX_VALUE - 16);
    }

    /**
     * The next line without its end, or {@code null} at the end of the input.
     *
     * @throws InputException if the line is too long or not UTF-8 (the message does not say
     *     which line: the caller counts lines)
     */
    String readLine() throws IOException, InputException {
        lineLength = 0;
        boolean started = false;
        while (true) {
            if (pos == end && !fill()) {
                return started ? decodeLine() : null;
            }
            if (skipNewline) {
                skipNewline = false;
                if (buf[pos] == '\n') {
                    pos++;
                    continue;
                }
            }
            started = true;
            int start = pos;
            while (pos < end && buf[pos] != '\n' && buf[pos] != '\r') {
                pos++;
            }
            append(start, pos - start);
            if (pos < end) {
                skipNewline = buf[pos] == '\r';
                pos++;
                return decodeLine();
            }
        }
    }

    private void append(int from, int n) throws InputException {
        if (n > maxBytes - lineLength) {
            throw tooLong();
        }
        if (lineLength + n > line.length) {
            line = Arrays.copyOf(line, (int) Math.min(maxBytes, Math.max(2L * line.length, lineLength + n)));
        }
        System.arraycopy(buf, from, line, lineLength, n);
        lineLength += n;
    }

    private String decodeLine() throws InputException {
        ByteBuffer bytes = ByteBuffer.wrap(line, 0, lineLength);
        CharBuffer chars = CharBuffer.allocate(lineLength);
        utf8.reset();
        CoderResult result = utf8.decode(bytes, chars, true);
        if (result.isUnderflow()) {
            result = utf8.flush(chars);
        }
        if (result.isError()) {
            throw new InputException("invalid UTF-8 at byte offset " + bytes.position());
        }
        if (chars.position() > maxChars) {
            throw tooLong();
        }
        chars.flip();
        return chars.toString();
    }

    private InputException tooLong() {
        return new InputException("line is longer than " + maxChars + " characters");
    }

    private boolean fill() throws IOException {
        if (eof) {
            return false;
        }
        int n;
        do {
            n = in.read(buf, 0, buf.length);
        } while (n == 0);
        if (n < 0) {
            eof = true;
            return false;
        }
        pos = 0;
        end = n;
        return true;
    }
}
