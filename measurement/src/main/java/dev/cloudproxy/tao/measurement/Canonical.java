package dev.cloudproxy.tao.measurement;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The canonical encoding the measurement hashes: unsigned LEB128 varints, and strings and byte
 * strings as a varint length then the bytes, as in the auth language's binary form. Every field
 * is written after its name, so a field cannot be read as another.
 */
final class Canonical {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    Canonical varint(long v) {
        while ((v & ~0x7FL) != 0) {
            out.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
        return this;
    }

    Canonical bytes(byte[] b) {
        varint(b.length);
        out.write(b, 0, b.length);
        return this;
    }

    Canonical string(String s) {
        return bytes(s.getBytes(StandardCharsets.UTF_8));
    }

    /** A named field: the name, then whatever the caller writes next. */
    Canonical field(String name) {
        return string(name);
    }

    byte[] toByteArray() {
        return out.toByteArray();
    }
}
