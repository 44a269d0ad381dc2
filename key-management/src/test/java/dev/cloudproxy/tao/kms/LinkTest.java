package dev.cloudproxy.tao.kms;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The stored link format: round trip and strict parsing of malformed, truncated and oversized input. */
class LinkTest {
    private static final ObjectInfo INFO = new ObjectInfo(ObjectId.of("/zone/key/k", 3), ObjectType.AES_256_GCM,
            ObjectStatus.ACTIVE, 10, 20);
    private static final Link LINK = new Link(ObjectId.of("/zone", 2), INFO, new byte[60]);

    @Test
    void parse_encoded_roundTrips() throws Exception {
        assertThat(Link.parse(LINK.encode())).isEqualTo(LINK);
        Link retired = new Link(ObjectId.MASTER, new ObjectInfo(ObjectId.of("/zone", 1), ObjectType.AES_256_GCM,
                ObjectStatus.RETIRED, 0, Long.MAX_VALUE), new byte[0]);
        assertThat(Link.parse(retired.encode())).isEqualTo(retired);
    }

    @Test
    void parse_everyTruncation_isRefused() {
        byte[] encoded = LINK.encode();
        for (int n = 0; n < encoded.length; n++) {
            byte[] cut = Arrays.copyOf(encoded, n);
            assertThatThrownBy(() -> Link.parse(cut)).as("first %d bytes", n).isInstanceOf(MalformedLinkException.class);
        }
    }

    @Test
    void parse_trailingBytes_isRefused() {
        byte[] longer = Arrays.copyOf(LINK.encode(), LINK.encode().length + 1);
        assertThatThrownBy(() -> Link.parse(longer)).isInstanceOf(MalformedLinkException.class);
    }

    @Test
    void parse_oversized_isRefusedBeforeReading() {
        assertThatThrownBy(() -> Link.parse(new byte[Link.MAX_BYTES + 1]))
                .isInstanceOf(MalformedLinkException.class).hasMessageContaining("larger");
    }

    @Test
    void parse_hugeDeclaredLengths_areRefused() {
        byte[] encoded = LINK.encode();
        // The wrapped length claims 4 GiB.
        byte[] bigWrapped = encoded.clone();
        ByteBuffer.wrap(bigWrapped).putInt(LINK.header().length, -1);
        assertThatThrownBy(() -> Link.parse(bigWrapped)).isInstanceOf(MalformedLinkException.class);
        // The protector name claims 65535 bytes.
        byte[] bigName = encoded.clone();
        bigName[5] = (byte) 0xff;
        bigName[6] = (byte) 0xff;
        assertThatThrownBy(() -> Link.parse(bigName)).isInstanceOf(MalformedLinkException.class);
    }

    @Test
    void parse_badMagicVersionCodesOrNames_areRefused() {
        byte[] encoded = LINK.encode();
        int typeOffset = LINK.header().length - 18;
        for (int[] change : new int[][] {{0, 'X'}, {4, 2}, {typeOffset, 99}, {typeOffset + 1, 0}, {typeOffset + 1, 9},
                {7, '.'}}) {
            byte[] bad = encoded.clone();
            bad[change[0]] = (byte) change[1];
            assertThatThrownBy(() -> Link.parse(bad)).as("byte %d", change[0]).isInstanceOf(MalformedLinkException.class);
        }
    }

    @Test
    void parse_nonAsciiName_isRefused() {
        byte[] encoded = LINK.encode();
        byte[] bad = encoded.clone();
        bad[8] = (byte) 0xc3;
        assertThatThrownBy(() -> Link.parse(bad)).isInstanceOf(MalformedLinkException.class);
    }

    @Test
    void parse_activeWithoutMaterialOrRetiredWithMaterial_isRefused() {
        byte[] header = LINK.header();
        byte[] empty = ByteBuffer.allocate(header.length + 4).put(header).putInt(0).array();
        assertThatThrownBy(() -> Link.parse(empty)).isInstanceOf(MalformedLinkException.class);
    }

    @Test
    void parse_masterAsProtectedObject_isRefused() {
        byte[] encoded = LINK.encode();
        // Rewrite the protected name "/zone/key/k" as "/" padded into a well-formed frame.
        String text = new String(encoded, StandardCharsets.ISO_8859_1).replace("\u0000\u000b/zone/key/k", "\u0000\u0001/");
        byte[] bad = text.getBytes(StandardCharsets.ISO_8859_1);
        assertThatThrownBy(() -> Link.parse(bad)).isInstanceOf(MalformedLinkException.class);
    }

    @Test
    void toString_showsNoMaterial() {
        assertThat(LINK.toString()).contains("/zone#2 -> /zone/key/k#3").doesNotContain("[0, 0");
    }
}
