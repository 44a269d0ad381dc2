package dev.cloudproxy.tao.agent.tooling;

import java.io.ByteArrayOutputStream;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The plaintext of a sealed {@code @TaoSealed} state: a typed list of field values, never Java
 * serialization (which runs code while it reads).
 *
 * <pre>
 * "TSST" | version 1 | varint count | count x (string key | varint tag | value)
 * key    = "binary.class.Name#field"
 * string = varint length | UTF-8
 * value  = by tag: boolean 1 byte (0/1); byte 1; short, char 2; int, float 4; long, double 8
 *          (big-endian, floats as their IEEE bits); String: string; byte[]: varint length | bytes.
 *          Tags of nullable types (boxes, String, byte[]) are followed by 0 (null) or 1 (a value).
 * </pre>
 * Every length and count is bounded and the input must end exactly after the last value.
 */
final class SealedCodec {
    static final int MAX_BYTES = 16 << 20;
    static final int MAX_FIELDS = 1 << 16;
    static final int MAX_KEY_BYTES = 4096;
    private static final byte[] MAGIC = {'T', 'S', 'S', 'T'};
    private static final int VERSION = 1;

    /** The supported field types, by tag (the tag is stored, so it must never change). */
    enum Type {
        BOOLEAN(1, boolean.class), BYTE(2, byte.class), SHORT(3, short.class), CHAR(4, char.class),
        INT(5, int.class), LONG(6, long.class), FLOAT(7, float.class), DOUBLE(8, double.class),
        STRING(9, String.class), BYTES(10, byte[].class),
        BOOLEAN_BOX(11, Boolean.class), BYTE_BOX(12, Byte.class), SHORT_BOX(13, Short.class),
        CHAR_BOX(14, Character.class), INT_BOX(15, Integer.class), LONG_BOX(16, Long.class),
        FLOAT_BOX(17, Float.class), DOUBLE_BOX(18, Double.class);

        final int tag;
        final Class<?> javaType;

        Type(int tag, Class<?> javaType) {
            this.tag = tag;
            this.javaType = javaType;
        }

        boolean nullable() {
            return !javaType.isPrimitive();
        }

        static Type of(Class<?> c) {
            for (Type t : values()) {
                if (t.javaType == c) {
                    return t;
                }
            }
            return null;
        }

        static Type ofTag(long tag) throws SealedStateException {
            for (Type t : values()) {
                if (t.tag == tag) {
                    return t;
                }
            }
            throw new SealedStateException("unknown type tag " + tag);
        }
    }

    /** One stored value with its type. */
    record Value(Type type, Object value) {}

    private SealedCodec() {}

    static byte[] encode(Map<String, Value> values) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(MAGIC);
        out.write(VERSION);
        varint(out, values.size());
        for (Map.Entry<String, Value> e : values.entrySet()) {
            bytes(out, e.getKey().getBytes(StandardCharsets.UTF_8));
            Value v = e.getValue();
            varint(out, v.type.tag);
            if (v.type.nullable()) {
                out.write(v.value == null ? 0 : 1);
                if (v.value == null) {
                    continue;
                }
            }
            switch (v.type) {
                case BOOLEAN, BOOLEAN_BOX -> out.write((Boolean) v.value ? 1 : 0);
                case BYTE, BYTE_BOX -> out.write((Byte) v.value);
                case SHORT, SHORT_BOX -> fixed(out, (Short) v.value, 2);
                case CHAR, CHAR_BOX -> fixed(out, (Character) v.value, 2);
                case INT, INT_BOX -> fixed(out, (Integer) v.value, 4);
                case LONG, LONG_BOX -> fixed(out, (Long) v.value, 8);
                case FLOAT, FLOAT_BOX -> fixed(out, Float.floatToRawIntBits((Float) v.value), 4);
                case DOUBLE, DOUBLE_BOX -> fixed(out, Double.doubleToRawLongBits((Double) v.value), 8);
                case STRING -> bytes(out, ((String) v.value).getBytes(StandardCharsets.UTF_8));
                case BYTES -> bytes(out, (byte[]) v.value);
            }
        }
        return out.toByteArray();
    }

    static Map<String, Value> decode(byte[] data) throws SealedStateException {
        if (data.length > MAX_BYTES) {
            throw new SealedStateException("sealed state is larger than " + MAX_BYTES + " bytes");
        }
        ByteBuffer in = ByteBuffer.wrap(data);
        byte[] magic = take(in, 4);
        if (!java.util.Arrays.equals(magic, MAGIC) || u8(in) != VERSION) {
            throw new SealedStateException("not a sealed-state v1 plaintext");
        }
        long count = varint(in);
        if (count > MAX_FIELDS) {
            throw new SealedStateException("too many fields: " + count);
        }
        Map<String, Value> out = new LinkedHashMap<>();
        for (long i = 0; i < count; i++) {
            String key = utf8(take(in, length(in, MAX_KEY_BYTES)));
            Type type = Type.ofTag(varint(in));
            Object value;
            if (type.nullable() && nonNull(in) == 0) {
                value = null;
            } else {
                value = switch (type) {
                    case BOOLEAN, BOOLEAN_BOX -> bool(in);
                    case BYTE, BYTE_BOX -> (byte) u8(in);
                    case SHORT, SHORT_BOX -> (short) fixed(in, 2);
                    case CHAR, CHAR_BOX -> (char) fixed(in, 2);
                    case INT, INT_BOX -> (int) fixed(in, 4);
                    case LONG, LONG_BOX -> fixed(in, 8);
                    case FLOAT, FLOAT_BOX -> Float.intBitsToFloat((int) fixed(in, 4));
                    case DOUBLE, DOUBLE_BOX -> Double.longBitsToDouble(fixed(in, 8));
                    case STRING -> utf8(take(in, length(in, MAX_BYTES)));
                    case BYTES -> take(in, length(in, MAX_BYTES));
                };
            }
            if (out.put(key, new Value(type, value)) != null) {
                throw new SealedStateException("field stored twice");
            }
        }
        if (in.hasRemaining()) {
            throw new SealedStateException("trailing bytes after the last field");
        }
        return out;
    }

    private static void varint(ByteArrayOutputStream out, long v) {
        while ((v & ~0x7FL) != 0) {
            out.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
    }

    private static void bytes(ByteArrayOutputStream out, byte[] b) {
        varint(out, b.length);
        out.writeBytes(b);
    }

    private static void fixed(ByteArrayOutputStream out, long v, int n) {
        for (int i = n - 1; i >= 0; i--) {
            out.write((int) (v >>> (8 * i)));
        }
    }

    private static int u8(ByteBuffer in) throws SealedStateException {
        if (!in.hasRemaining()) {
            throw new SealedStateException("sealed state ends early");
        }
        return in.get() & 0xFF;
    }

    private static boolean bool(ByteBuffer in) throws SealedStateException {
        int b = u8(in);
        if (b > 1) {
            throw new SealedStateException("bad boolean");
        }
        return b == 1;
    }

    private static int nonNull(ByteBuffer in) throws SealedStateException {
        int b = u8(in);
        if (b > 1) {
            throw new SealedStateException("bad null marker");
        }
        return b;
    }

    private static long fixed(ByteBuffer in, int n) throws SealedStateException {
        long v = 0;
        for (int i = 0; i < n; i++) {
            v = (v << 8) | u8(in);
        }
        return v;
    }

    private static long varint(ByteBuffer in) throws SealedStateException {
        long v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            int b = u8(in);
            v |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                return v;
            }
        }
        throw new SealedStateException("varint too long");
    }

    private static int length(ByteBuffer in, int max) throws SealedStateException {
        long n = varint(in);
        if (n > max || n > in.remaining()) {
            throw new SealedStateException("length " + n + " is out of range");
        }
        return (int) n;
    }

    private static byte[] take(ByteBuffer in, int n) throws SealedStateException {
        if (in.remaining() < n) {
            throw new SealedStateException("sealed state ends early");
        }
        byte[] b = new byte[n];
        in.get(b);
        return b;
    }

    private static String utf8(byte[] b) throws SealedStateException {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException e) {
            throw new SealedStateException("malformed UTF-8");
        }
    }
}
