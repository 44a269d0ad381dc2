package dev.cloudproxy.tao.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class RpcFramesTest {
    private static ReadableByteChannel in(byte[] bytes) {
        return Channels.newChannel(new ByteArrayInputStream(bytes));
    }

    private static byte[] frames(byte[]... payloads) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : payloads) {
            RpcFrames.write(Channels.newChannel(out), p);
        }
        return out.toByteArray();
    }

    @Test
    void write_thenRead_givesEachPayloadBack_thenNullAtTheEnd() throws Exception {
        byte[] big = new byte[300_000];
        Arrays.fill(big, (byte) 7);
        ReadableByteChannel ch = in(frames(new byte[] {1, 2, 3}, new byte[0], big));
        assertThat(RpcFrames.read(ch)).containsExactly(1, 2, 3);
        assertThat(RpcFrames.read(ch)).isEmpty();
        assertThat(RpcFrames.read(ch)).isEqualTo(big);
        assertThat(RpcFrames.read(ch)).isNull();
    }

    @Test
    void read_withAnAllowance_reservesTheFinalBufferSize_beforeAllocating() throws Exception {
        long[] reserved = new long[1];
        byte[] payload = RpcFrames.read(in(frames(new byte[300_000])), RpcFrames.MAX_FRAME_BYTES,
                bytes -> reserved[0] += bytes);
        assertThat(payload).hasSize(300_000);
        assertThat(reserved[0]).isEqualTo(300_000);
    }

    @Test
    void read_whenTheAllowanceRefuses_isAFrameError() {
        long[] reserved = new long[1];
        RpcFrames.Allowance upTo100k = bytes -> {
            if (reserved[0] + bytes > 100_000) {
                throw new RpcFrameException("over budget");
            }
            reserved[0] += bytes;
        };
        RpcFrameException e = assertThrows(RpcFrameException.class,
                () -> RpcFrames.read(in(frames(new byte[300_000])), RpcFrames.MAX_FRAME_BYTES, upTo100k));
        assertThat(e.getMessage()).isEqualTo("over budget");
        assertThat(reserved[0]).isLessThanOrEqualTo(100_000);
    }

    @Test
    void frame_isABigEndianLengthThenThePayload() throws Exception {
        assertThat(frames(new byte[] {9, 8})).containsExactly(0, 0, 0, 2, 9, 8);
    }

    @Test
    void read_lengthOutOfRange_isAFrameError() {
        for (int length : new int[] {-1, Integer.MIN_VALUE, RpcFrames.MAX_FRAME_BYTES + 1}) {
            byte[] header = ByteBuffer.allocate(4).putInt(length).array();
            RpcFrameException e = assertThrows(RpcFrameException.class, () -> RpcFrames.read(in(header)));
            assertThat(e.getMessage()).contains("out of range");
        }
    }

    @Test
    void read_truncatedHeaderOrBody_isAFrameError() throws Exception {
        byte[] whole = frames(new byte[100]);
        for (int len : new int[] {1, 3, 4, 50, whole.length - 1}) {
            byte[] cut = Arrays.copyOf(whole, len);
            assertThrows(RpcFrameException.class, () -> RpcFrames.read(in(cut)), "length " + len);
        }
    }

    @Test
    void read_hugeAnnouncedLength_withoutTheBytes_failsWithoutAllocatingIt() {
        byte[] header = ByteBuffer.allocate(4).putInt(RpcFrames.MAX_FRAME_BYTES).array();
        assertThrows(RpcFrameException.class, () -> RpcFrames.read(in(header)));
    }

    @Test
    void write_oversizedPayload_isMisuse() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThrows(IllegalArgumentException.class,
                () -> RpcFrames.write(Channels.newChannel(out), new byte[RpcFrames.MAX_FRAME_BYTES + 1]));
        assertThat(out.size()).isZero();
    }
}
