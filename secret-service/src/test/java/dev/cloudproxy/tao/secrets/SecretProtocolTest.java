package dev.cloudproxy.tao.secrets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cloudproxy.tao.kms.ObjectId;
import dev.cloudproxy.tao.kms.ObjectInfo;
import dev.cloudproxy.tao.kms.ObjectName;
import dev.cloudproxy.tao.kms.ObjectStatus;
import dev.cloudproxy.tao.kms.ObjectType;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class SecretProtocolTest {
    private static final ObjectName FILE = ObjectName.of("/zone/file/customer-file-1");
    private static final ObjectName FOLDER = ObjectName.of("/zone/key/customer-folder-key");
    private static final byte[] SECRET = "the customer's records".getBytes(StandardCharsets.UTF_8);

    private static List<SecretRequest> everyKind() {
        return List.of(SecretRequest.read(new ObjectId(FILE, 3)), SecretRequest.readNewest(FILE),
                SecretRequest.write(FILE, FOLDER, SECRET), SecretRequest.create(FOLDER, ObjectType.AES_256_GCM,
                        ObjectName.of("/zone")),
                SecretRequest.create(ObjectName.of("/zone"), ObjectType.AES_256_GCM, ObjectName.ROOT),
                SecretRequest.delete(new ObjectId(FILE, 2)), SecretRequest.rotate(FOLDER),
                SecretRequest.readNewest(FILE).withDirective(new byte[] {1, 2, 3}));
    }

    @Test
    void request_everyKind_roundTripsExactly() throws Exception {
        for (SecretRequest r : everyKind()) {
            byte[] bytes = SecretProtocol.encodeRequest(r);
            SecretRequest back = SecretProtocol.parseRequest(bytes);
            assertThat(back.op()).isEqualTo(r.op());
            assertThat(back.name()).isEqualTo(r.name());
            assertThat(back.epoch()).isEqualTo(r.epoch());
            assertThat(back.type()).isEqualTo(r.type());
            assertThat(back.protector()).isEqualTo(r.protector());
            assertThat(back.directive().map(Arrays::toString)).isEqualTo(r.directive().map(Arrays::toString));
            assertThat(back.content()).isEqualTo(r.content());
            assertThat(SecretProtocol.encodeRequest(back)).isEqualTo(bytes);
        }
    }

    @Test
    void parseRequest_everyTruncation_isRefused() throws Exception {
        for (SecretRequest r : everyKind()) {
            byte[] bytes = SecretProtocol.encodeRequest(r);
            for (int n = 0; n < bytes.length; n++) {
                byte[] cut = Arrays.copyOf(bytes, n);
                assertThrows(MalformedMessageException.class, () -> SecretProtocol.parseRequest(cut), r + " cut at " + n);
            }
        }
    }

    @Test
    void parseRequest_trailingByte_isRefused() {
        byte[] bytes = SecretProtocol.encodeRequest(SecretRequest.readNewest(FILE));
        byte[] longer = Arrays.copyOf(bytes, bytes.length + 1);
        MalformedMessageException e = assertThrows(MalformedMessageException.class,
                () -> SecretProtocol.parseRequest(longer));
        assertThat(e).hasMessageContaining("trailing");
    }

    @Test
    void parseRequest_badMagicVersionOpOrType_isRefused() {
        byte[] good = SecretProtocol.encodeRequest(SecretRequest.create(FOLDER, ObjectType.AES_256_GCM,
                ObjectName.of("/zone")));
        int typeOffset = 4 + 1 + 1 + 2 + FOLDER.value().length() + 4;
        for (int[] change : new int[][] {{0, 'X'}, {4, 2}, {5, 0}, {5, 9}, {typeOffset, 99}}) {
            byte[] bad = good.clone();
            bad[change[0]] = (byte) change[1];
            assertThrows(MalformedMessageException.class, () -> SecretProtocol.parseRequest(bad),
                    "byte " + change[0] + " set to " + change[1]);
        }
    }

    @Test
    void parseRequest_fieldsAnOperationDoesNotTake_areRefused() throws Exception {
        // A READ carrying content: build the bytes by hand, since the factories refuse it.
        byte[] readWithContent = request(1, FILE.value(), 0, 0, "", new byte[0], SECRET);
        assertThat(assertThrows(MalformedMessageException.class, () -> SecretProtocol.parseRequest(readWithContent)))
                .hasMessageContaining("carries no content");
        byte[] writeWithEpoch = request(2, FILE.value(), 7, 0, FOLDER.value(), new byte[0], SECRET);
        assertThat(assertThrows(MalformedMessageException.class, () -> SecretProtocol.parseRequest(writeWithEpoch)))
                .hasMessageContaining("takes no epoch");
        byte[] createFile = request(3, FILE.value(), 0, ObjectType.FILE.code(), FOLDER.value(), new byte[0], new byte[0]);
        assertThrows(MalformedMessageException.class, () -> SecretProtocol.parseRequest(createFile));
        byte[] deleteNoEpoch = request(4, FILE.value(), 0, 0, "", new byte[0], new byte[0]);
        assertThrows(MalformedMessageException.class, () -> SecretProtocol.parseRequest(deleteNoEpoch));
        byte[] writeNoProtector = request(2, FILE.value(), 0, 0, "", new byte[0], SECRET);
        assertThrows(MalformedMessageException.class, () -> SecretProtocol.parseRequest(writeNoProtector));
        byte[] master = request(1, "/", 0, 0, "", new byte[0], new byte[0]);
        assertThrows(MalformedMessageException.class, () -> SecretProtocol.parseRequest(master));
        byte[] negativeEpoch = request(1, FILE.value(), -1, 0, "", new byte[0], new byte[0]);
        assertThrows(MalformedMessageException.class, () -> SecretProtocol.parseRequest(negativeEpoch));
    }

    @Test
    void parseRequest_nonCanonicalOrForeignName_isRefused() {
        for (String name : List.of("/zone//file", "/zone/file/", "zone/file", "/zone/../x", "/zone/fil\u00e9",
                "/zone/a b")) {
            byte[] bad = request(1, name, 0, 0, "", new byte[0], new byte[0]);
            assertThrows(MalformedMessageException.class, () -> SecretProtocol.parseRequest(bad), name);
        }
    }

    @Test
    void parseRequest_lengthsOverTheirBounds_areRefusedBeforeAllocation() {
        // Claimed lengths far past the message: refused on the claim, not by running out of memory.
        byte[] hugeContent = request(2, FILE.value(), 0, 0, FOLDER.value(), new byte[0], new byte[0]);
        ByteBuffer.wrap(hugeContent).putInt(hugeContent.length - 4, 0xffffffff);
        assertThat(assertThrows(MalformedMessageException.class, () -> SecretProtocol.parseRequest(hugeContent)))
                .hasMessageContaining("content longer than");
        byte[] pastEnd = request(2, FILE.value(), 0, 0, FOLDER.value(), new byte[0], new byte[0]);
        ByteBuffer.wrap(pastEnd).putInt(pastEnd.length - 4, 10);
        assertThat(assertThrows(MalformedMessageException.class, () -> SecretProtocol.parseRequest(pastEnd)))
                .hasMessageContaining("past the end");
        byte[] longDirective = request(1, FILE.value(), 0, 0, "", new byte[64 * 1024 + 1], new byte[0]);
        assertThat(assertThrows(MalformedMessageException.class, () -> SecretProtocol.parseRequest(longDirective)))
                .hasMessageContaining("directive longer than");
        byte[] oversized = new byte[SecretProtocol.MAX_REQUEST_BYTES + 1];
        assertThrows(MalformedMessageException.class, () -> SecretProtocol.parseRequest(oversized));
    }

    @Test
    void request_largestContent_fitsTheBoundAndOneMoreByteIsRefused() throws Exception {
        byte[] content = new byte[SecretRequest.MAX_CONTENT];
        SecretRequest largest = SecretRequest.write(FILE, FOLDER, content).withDirective(new byte[64 * 1024]);
        assertThat(SecretProtocol.encodeRequest(largest).length).isLessThanOrEqualTo(SecretProtocol.MAX_REQUEST_BYTES);
        assertThrows(IllegalArgumentException.class,
                () -> SecretRequest.write(FILE, FOLDER, new byte[SecretRequest.MAX_CONTENT + 1]));
    }

    @Test
    void response_okAndRefusal_roundTripAndEveryTruncationIsRefused() throws Exception {
        ObjectInfo info = new ObjectInfo(new ObjectId(FILE, 3), ObjectType.FILE, ObjectStatus.ACTIVE, 10, 20);
        for (SecretResponse r : List.of(SecretResponse.ok(info, SECRET),
                SecretResponse.refused(SecretResponse.Status.DENIED, "the guard does not authorize it"))) {
            byte[] bytes = SecretProtocol.encodeResponse(r);
            SecretResponse back = SecretProtocol.parseResponse(bytes);
            assertThat(back.status()).isEqualTo(r.status());
            assertThat(back.reason()).isEqualTo(r.reason());
            assertThat(back.info()).isEqualTo(r.info());
            assertThat(back.exportSecretMaterial()).isEqualTo(r.exportSecretMaterial());
            for (int n = 0; n < bytes.length; n++) {
                byte[] cut = Arrays.copyOf(bytes, n);
                assertThrows(MalformedMessageException.class, () -> SecretProtocol.parseResponse(cut));
            }
            byte[] longer = Arrays.copyOf(bytes, bytes.length + 1);
            assertThrows(MalformedMessageException.class, () -> SecretProtocol.parseResponse(longer));
        }
    }

    @Test
    void response_refusalReason_isBoundedPrintableAscii() {
        SecretResponse r = SecretResponse.refused(SecretResponse.Status.REFUSED, "\u00e9\n".repeat(1000));
        assertThat(r.reason()).hasSize(SecretResponse.MAX_REASON).matches("[?]+");
    }

    @Test
    void toString_requestAndResponse_neverShowContentOrMaterial() {
        String secret = new String(SECRET, StandardCharsets.UTF_8);
        ObjectInfo info = new ObjectInfo(new ObjectId(FILE, 3), ObjectType.FILE, ObjectStatus.ACTIVE, 10, 20);
        assertThat(SecretRequest.write(FILE, FOLDER, SECRET).toString()).doesNotContain(secret).contains("redacted");
        assertThat(SecretResponse.ok(info, SECRET).toString()).doesNotContain(secret).contains("redacted");
    }

    @Test
    void close_zeroesContentAndMaterial() {
        SecretRequest r = SecretRequest.write(FILE, FOLDER, SECRET);
        r.close();
        assertThrows(IllegalStateException.class, r::content);
        ObjectInfo info = new ObjectInfo(new ObjectId(FILE, 3), ObjectType.FILE, ObjectStatus.ACTIVE, 10, 20);
        SecretResponse response = SecretResponse.ok(info, SECRET);
        response.close();
        assertThat(response.isDestroyed()).isTrue();
        assertThrows(IllegalStateException.class, response::exportSecretMaterial);
    }

    /** A request laid out by hand, bypassing the factories' checks. */
    private static byte[] request(int op, String name, int epoch, int type, String protector, byte[] directive,
            byte[] content) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        byte[] p = protector.getBytes(StandardCharsets.US_ASCII);
        ByteBuffer b = ByteBuffer.allocate(4 + 2 + 2 + n.length + 4 + 1 + 2 + p.length + 4 + directive.length + 4
                + content.length);
        b.put("TSSQ".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).put((byte) op);
        b.putShort((short) n.length).put(n).putInt(epoch).put((byte) type);
        b.putShort((short) p.length).put(p);
        b.putInt(directive.length).put(directive).putInt(content.length).put(content);
        return b.array();
    }
}
