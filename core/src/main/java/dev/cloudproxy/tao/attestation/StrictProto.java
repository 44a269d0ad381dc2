package dev.cloudproxy.tao.attestation;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import java.io.IOException;
import java.util.Map;
import java.util.Set;

/**
 * Checks the framing of a protobuf message before it is parsed, for messages whose bytes are not
 * all covered by a signature. Protobuf itself accepts a field twice (the last one wins), unknown
 * fields and fields of the wrong wire type (kept as unknown), so a single flipped tag bit can
 * splice a nested message's fields over its parent's. Here each field must be known, have its
 * declared wire type, and appear at most once unless repeated.
 */
final class StrictProto {
    private StrictProto() {}

    /**
     * @param fields field number to wire type ({@link WireFormat#WIRETYPE_LENGTH_DELIMITED} or
     *     {@link WireFormat#WIRETYPE_VARINT})
     * @param repeated the field numbers that may appear more than once
     * @return null if the framing is strict, else what is wrong
     */
    static String check(byte[] bytes, Map<Integer, Integer> fields, Set<Integer> repeated) {
        try {
            CodedInputStream in = CodedInputStream.newInstance(bytes);
            long seen = 0;
            while (!in.isAtEnd()) {
                int tag = in.readTag();
                int number = WireFormat.getTagFieldNumber(tag);
                Integer type = fields.get(number);
                if (type == null) {
                    return "unknown field " + number;
                }
                if (WireFormat.getTagWireType(tag) != type) {
                    return "field " + number + " has the wrong wire type";
                }
                if (!repeated.contains(number)) {
                    if ((seen & (1L << number)) != 0) {
                        return "field " + number + " appears twice";
                    }
                    seen |= 1L << number;
                }
                if (type == WireFormat.WIRETYPE_VARINT) {
                    in.readRawVarint64();
                } else {
                    in.skipRawBytes(in.readRawVarint32());
                }
            }
            return null;
        } catch (IOException e) {
            return "truncated or malformed protobuf framing";
        }
    }
}
