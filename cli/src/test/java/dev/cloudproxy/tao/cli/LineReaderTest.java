package dev.cloudproxy.tao.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LineReaderTest {

    private static List<String> readAll(InputStream in, int maxChars) throws IOException, InputException {
        LineReader reader = new LineReader(in, maxChars);
        List<String> lines = new ArrayList<>();
        for (String line; (line = reader.readLine()) != null; ) {
            lines.add(line);
        }
        return lines;
    }

    private static List<String> readAll(String text, int maxChars) throws IOException, InputException {
        return readAll(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), maxChars);
    }

    /** Hands out at most one byte per read, so every line end falls on a buffer boundary. */
    private static InputStream trickle(String text) {
        return new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)) {
            @Override
            public synchronized int read(byte[] b, int off, int len) {
                return super.read(b, off, Math.min(len, 1));
            }
        };
    }

    @Test
    void readLine_allThreeLineEnds_splitLikeBufferedReader() throws Exception {
        assertThat(readAll("a\nb\r\nc\rd", 10)).containsExactly("a", "b", "c", "d");
    }

    @Test
    void readLine_lineEndsSplitAcrossReads_areTheSame() throws Exception {
        assertThat(readAll(trickle("a\r\n\r\nb\r\rc\n"), 10)).containsExactly("a", "", "b", "", "c");
    }

    @Test
    void readLine_finalLineEnd_doesNotAddAnEmptyLine() throws Exception {
        assertThat(readAll("a\n", 10)).containsExactly("a");
        assertThat(readAll("a\r\n", 10)).containsExactly("a");
        assertThat(readAll("", 10)).isEmpty();
        assertThat(readAll("\n", 10)).containsExactly("");
    }

    @Test
    void readLine_exactlyTheBound_isAccepted() throws Exception {
        assertThat(readAll("abcde\nfg", 5)).containsExactly("abcde", "fg");
    }

    @Test
    void readLine_oneCharOverTheBound_isRefused() throws Exception {
        LineReader reader = new LineReader(new ByteArrayInputStream("abc\nabcdef\n".getBytes(StandardCharsets.UTF_8)), 5);

        assertThat(reader.readLine()).isEqualTo("abc");
        InputException e = assertThrows(InputException.class, reader::readLine);
        assertThat(e).hasMessage("line is longer than 5 characters");
    }

    @Test
    void readLine_boundCountsCharsNotBytes() throws Exception {
        // Five two-byte characters are ten bytes but five chars.
        assertThat(readAll("\u00e9\u00e9\u00e9\u00e9\u00e9", 5)).containsExactly("\u00e9\u00e9\u00e9\u00e9\u00e9");
        assertThrows(InputException.class, () -> readAll("\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9", 5));
    }

    @Test
    void readLine_supplementaryCharacters_decodeWhole() throws Exception {
        assertThat(readAll(trickle("x\uD83D\uDE00y\n"), 10)).containsExactly("x\uD83D\uDE00y");
    }

    @Test
    void readLine_invalidUtf8_namesTheByteOffsetInItsLine() throws Exception {
        byte[] input = {'o', 'k', '\n', 'a', 'b', (byte) 0xc3, '\n'};
        LineReader reader = new LineReader(new ByteArrayInputStream(input), 10);

        assertThat(reader.readLine()).isEqualTo("ok");
        InputException e = assertThrows(InputException.class, reader::readLine);
        assertThat(e).hasMessage("invalid UTF-8 at byte offset 2");
    }

    @Test
    void readLine_encodedSurrogate_isInvalidUtf8() {
        byte[] input = {(byte) 0xed, (byte) 0xa0, (byte) 0x80, '\n'};

        assertThrows(InputException.class, () -> readAll(new ByteArrayInputStream(input), 10));
    }

    @Test
    void readLine_endlessLine_stopsReadingSoonAfterTheBound() {
        RepeatingInputStream in = new RepeatingInputStream(new byte[0], new byte[] {'x'}, 100L << 20);

        assertThrows(InputException.class, () -> readAll(in, 1000));
        assertThat(in.bytesRead()).isLessThan(3 * 1000 + 8192 + 1);
    }
}
