package dev.cloudproxy.tao.channel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class MessageStreamTest {
    private static final int MAX = 1024;

    private static MessageStream reading(byte[] wire) {
        return new MessageStream(new ByteArrayInputStream(wire), OutputStream.nullOutputStream(), MAX);
    }

    private static byte[] framed(byte[]... messages) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        MessageStream s = new MessageStream(InputStream.nullInputStream(), out, MAX);
        for (byte[] m : messages) {
            s.send(m);
        }
        return out.toByteArray();
    }

    @Test
    void send_thenReceive_roundTripsEmptySmallAndMaximalMessages() throws Exception {
        byte[] big = new byte[MAX];
        Arrays.fill(big, (byte) 7);
        byte[] wire = framed(new byte[0], new byte[] {1, 2, 3}, big);

        MessageStream in = reading(wire);

        assertThat(in.receive()).isEmpty();
        assertThat(in.receive()).containsExactly(1, 2, 3);
        assertThat(in.receive()).isEqualTo(big);
        assertThrows(EOFException.class, in::receive);
    }

    @Test
    void send_wireFormat_isFourByteBigEndianLengthThenBytes() throws Exception {
        assertThat(framed(new byte[] {9, 8})).containsExactly(0, 0, 0, 2, 9, 8);
    }

    @Test
    void send_largeMessage_isFramedTheSameWay() throws Exception {
        int n = 20_000;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new MessageStream(InputStream.nullInputStream(), out, n).send(new byte[n]);

        byte[] wire = out.toByteArray();
        assertThat(wire).hasSize(4 + n);
        assertThat(Arrays.copyOf(wire, 4)).containsExactly(0, 0, 0x4e, 0x20);
    }

    @Test
    void send_overTheBound_isIllegalArgument() {
        MessageStream s = new MessageStream(InputStream.nullInputStream(), OutputStream.nullOutputStream(), MAX);

        assertThrows(IllegalArgumentException.class, () -> s.send(new byte[MAX + 1]));
    }

    @Test
    void receive_lengthOverTheBound_isAFrameExceptionBeforeReadingTheBody() {
        FrameException e = assertThrows(FrameException.class, () -> reading(new byte[] {0, 0, 4, 1}).receive());

        assertThat(e).hasMessageContaining("1025 bytes is over the channel's bound of 1024");
    }

    @Test
    void receive_lengthWithTheTopBitSet_isAFrameException() {
        byte[] wire = {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff};

        FrameException e = assertThrows(FrameException.class, () -> reading(wire).receive());

        assertThat(e).hasMessageContaining("4294967295 bytes");
    }

    @Test
    void receive_streamEndsInsideTheLength_isAFrameException() {
        FrameException e = assertThrows(FrameException.class, () -> reading(new byte[] {0, 0}).receive());

        assertThat(e).hasMessageContaining("inside a length");
    }

    @Test
    void receive_streamEndsInsideTheMessage_isAFrameException() {
        FrameException e = assertThrows(FrameException.class, () -> reading(new byte[] {0, 0, 0, 5, 1, 2}).receive());

        assertThat(e).hasMessageContaining("inside a message of 5 bytes after 2 bytes");
    }

    @Test
    void receive_emptyStream_isEofNotAFrameException() {
        EOFException e = assertThrows(EOFException.class, () -> reading(new byte[0]).receive());

        assertThat(e).isNotInstanceOf(FrameException.class);
    }

    @Test
    void receive_everyTruncationOfAValidStream_isATypedError() throws Exception {
        byte[] wire = framed(new byte[] {1, 2, 3}, new byte[] {4});
        for (int cut = 0; cut < wire.length; cut++) {
            MessageStream in = reading(Arrays.copyOf(wire, cut));
            int messages = cut >= 7 ? 1 : 0;
            for (int i = 0; i < messages; i++) {
                in.receive();
            }
            if (cut == 0 || cut == 7) {
                assertThrows(EOFException.class, in::receive, "cut at " + cut);
            } else {
                assertThrows(FrameException.class, in::receive, "cut at " + cut);
            }
        }
    }
}
