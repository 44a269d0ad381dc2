package dev.cloudproxy.tao.agent.tooling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloudproxy.tao.agent.tooling.SealedCodec.Type;
import dev.cloudproxy.tao.agent.tooling.SealedCodec.Value;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SealedCodecTest {
    private static Map<String, Value> sample() {
        Map<String, Value> m = new LinkedHashMap<>();
        m.put("a.B#z", new Value(Type.BOOLEAN, true));
        m.put("a.B#b", new Value(Type.BYTE, (byte) -3));
        m.put("a.B#s", new Value(Type.SHORT, (short) -300));
        m.put("a.B#c", new Value(Type.CHAR, '\u00e9'));
        m.put("a.B#i", new Value(Type.INT, Integer.MIN_VALUE));
        m.put("a.B#j", new Value(Type.LONG, Long.MAX_VALUE));
        m.put("a.B#f", new Value(Type.FLOAT, Float.NaN));
        m.put("a.B#d", new Value(Type.DOUBLE, -0.0));
        m.put("a.B#str", new Value(Type.STRING, "h\u00e9llo \u2603"));
        m.put("a.B#nullStr", new Value(Type.STRING, null));
        m.put("a.B#bytes", new Value(Type.BYTES, new byte[] {0, 1, -1}));
        m.put("a.B#boxed", new Value(Type.INT_BOX, 42));
        m.put("a.B#nullBox", new Value(Type.DOUBLE_BOX, null));
        return m;
    }

    @Test
    void encodeDecode_everyType_roundTrips() throws Exception {
        Map<String, Value> in = sample();

        Map<String, Value> out = SealedCodec.decode(SealedCodec.encode(in));

        assertThat(out.keySet()).containsExactlyElementsOf(in.keySet());
        for (String k : in.keySet()) {
            assertThat(out.get(k).type()).isEqualTo(in.get(k).type());
            if (in.get(k).value() instanceof byte[] b) {
                assertThat((byte[]) out.get(k).value()).isEqualTo(b);
            } else {
                assertThat(out.get(k).value()).isEqualTo(in.get(k).value());
            }
        }
        assertThat(Double.doubleToRawLongBits((Double) out.get("a.B#d").value()))
                .isEqualTo(Double.doubleToRawLongBits(-0.0));
    }

    @Test
    void decode_truncatedOrExtended_isATypedError() {
        byte[] ok = SealedCodec.encode(sample());
        for (int len = 0; len < ok.length; len++) {
            byte[] cut = Arrays.copyOf(ok, len);
            assertThatThrownBy(() -> SealedCodec.decode(cut)).isInstanceOf(SealedStateException.class);
        }
        byte[] longer = Arrays.copyOf(ok, ok.length + 1);
        assertThatThrownBy(() -> SealedCodec.decode(longer)).isInstanceOf(SealedStateException.class)
                .hasMessageContaining("trailing");
    }

    @Test
    void decode_hugeCountsAndLengths_areRefusedWithoutAllocating() {
        byte[] count = {'T', 'S', 'S', 'T', 1, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x0f};
        assertThatThrownBy(() -> SealedCodec.decode(count)).isInstanceOf(SealedStateException.class)
                .hasMessageContaining("too many fields");
        byte[] key = {'T', 'S', 'S', 'T', 1, 1, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x7f};
        assertThatThrownBy(() -> SealedCodec.decode(key)).isInstanceOf(SealedStateException.class)
                .hasMessageContaining("out of range");
        byte[] version = {'T', 'S', 'S', 'T', 2, 0};
        assertThatThrownBy(() -> SealedCodec.decode(version)).isInstanceOf(SealedStateException.class);
    }

    @Test
    void decode_randomMutations_neverFailOtherwise() {
        byte[] ok = SealedCodec.encode(sample());
        Random rnd = new Random(3);
        for (int i = 0; i < 20_000; i++) {
            byte[] b = ok.clone();
            for (int n = 1 + rnd.nextInt(3); n > 0; n--) {
                b[rnd.nextInt(b.length)] ^= (byte) (1 << rnd.nextInt(8));
            }
            try {
                SealedCodec.decode(b);
            } catch (SealedStateException expected) {
                // typed: fine
            }
        }
    }
}
