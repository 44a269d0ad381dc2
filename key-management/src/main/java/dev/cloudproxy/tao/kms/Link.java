package dev.cloudproxy.tao.kms;

import java.io.ByteArrayOutputStream;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * One link of a chain of protectors: the object {@link #info()} sealed under the key
 * {@link #protector()}. Stored as it is on storage nobody needs to trust.
 *
 * <p>Format, version 1 (integers big-endian, strings UTF-8 of valid {@link ObjectName}s):
 *
 * <pre>
 *   "TAOK" | u8 version = 1
 *   | u16 length | protector name | u32 protector epoch
 *   | u16 length | protected name | u32 protected epoch
 *   | u8 type code | u8 status code | i64 not-before | i64 not-after   (Unix seconds)
 *   | u32 length | wrapped
 * </pre>
 *
 * <p>{@code wrapped} is the {@link dev.cloudproxy.tao.keys.Crypter} (AES-256-GCM) ciphertext of
 * the object's material under the protector's key, with associated data
 * {@value #AD_CONTEXT_TEXT}{@code \0} followed by every byte before the wrapped length (the
 * {@linkplain #header() header}). So the tag covers both names and epochs, the type, the status and
 * the window: moving a wrapped key to another object or epoch, or changing any field, makes it
 * undecryptable. A retired or revoked link has an empty {@code wrapped}: its material is erased.
 *
 * <p>{@link #parse} is strict: exact magic and version, known codes, lengths within bounds
 * ({@value #MAX_BYTES} bytes in all), the names canonical, no trailing bytes. It checks only the
 * form; authenticity comes from decrypting under the protector.
 */
public record Link(ObjectId protector, ObjectInfo info, byte[] wrapped) {
    /** Largest object material (file content) a link carries. */
    public static final int MAX_PAYLOAD = 16 << 20;
    /** Largest encoded link accepted. */
    public static final int MAX_BYTES = MAX_PAYLOAD + 4096;

    static final String AD_CONTEXT_TEXT = "Tao Protected Object V1";
    private static final byte[] AD_CONTEXT = (AD_CONTEXT_TEXT + "\0").getBytes(StandardCharsets.US_ASCII);
    private static final byte[] MAGIC = {'T', 'A', 'O', 'K'};
    private static final byte VERSION = 1;

    public Link {
        Objects.requireNonNull(protector, "protector");
        Objects.requireNonNull(info, "info");
        Objects.requireNonNull(wrapped, "wrapped");
        wrapped = wrapped.clone();
        if (wrapped.length > MAX_PAYLOAD + dev.cloudproxy.tao.keys.Crypter.OVERHEAD) {
            throw new IllegalArgumentException("wrapped material too large");
        }
        if (protector.equals(info.id())) {
            throw new IllegalArgumentException("an object cannot protect itself");
        }
        if ((info.status() == ObjectStatus.ACTIVE) == (wrapped.length == 0)) {
            throw new IllegalArgumentException("an active link carries its material; a retired or revoked one none");
        }
    }

    /** A copy of the wrapped material (ciphertext, not secret). */
    @Override
    public byte[] wrapped() {
        return wrapped.clone();
    }

    /** The bytes before the wrapped length: what the associated data binds. */
    public byte[] header() {
        return header(protector, info);
    }

    private static byte[] header(ObjectId protector, ObjectInfo info) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(64);
        out.writeBytes(MAGIC);
        out.write(VERSION);
        writeId(out, protector);
        writeId(out, info.id());
        out.write(info.type().code());
        out.write(info.status().code());
        out.writeBytes(ByteBuffer.allocate(16).putLong(info.notBefore()).putLong(info.notAfter()).array());
        return out.toByteArray();
    }

    /** The associated data for the material of {@code info} wrapped under {@code protector}. */
    static byte[] associatedData(ObjectId protector, ObjectInfo info) {
        byte[] header = header(protector, info);
        byte[] ad = Arrays.copyOf(AD_CONTEXT, AD_CONTEXT.length + header.length);
        System.arraycopy(header, 0, ad, AD_CONTEXT.length, header.length);
        return ad;
    }

    /** The stored form. */
    public byte[] encode() {
        byte[] header = header();
        return ByteBuffer.allocate(header.length + 4 + wrapped.length)
                .put(header).putInt(wrapped.length).put(wrapped).array();
    }

    /**
     * Parses a stored link.
     *
     * @throws MalformedLinkException for anything but a well-formed version-1 link
     */
    public static Link parse(byte[] bytes) throws MalformedLinkException {
        Objects.requireNonNull(bytes, "bytes");
        if (bytes.length > MAX_BYTES) {
            throw new MalformedLinkException("link larger than " + MAX_BYTES + " bytes");
        }
        try {
            ByteBuffer in = ByteBuffer.wrap(bytes);
            byte[] magic = new byte[MAGIC.length];
            in.get(magic);
            if (!Arrays.equals(magic, MAGIC)) {
                throw new MalformedLinkException("not a protected-object link: bad magic");
            }
            if (in.get() != VERSION) {
                throw new MalformedLinkException("unsupported link version");
            }
            ObjectId protector = readId(in, true);
            ObjectId id = readId(in, false);
            ObjectType type = ObjectType.fromCode(in.get() & 0xff)
                    .orElseThrow(() -> new MalformedLinkException("unknown object type code"));
            ObjectStatus status = ObjectStatus.fromCode(in.get() & 0xff)
                    .orElseThrow(() -> new MalformedLinkException("unknown object status code"));
            long notBefore = in.getLong();
            long notAfter = in.getLong();
            long length = in.getInt() & 0xffffffffL;
            if (length != in.remaining()) {
                throw new MalformedLinkException("wrapped length does not match the bytes that follow");
            }
            byte[] wrapped = new byte[(int) length];
            in.get(wrapped);
            return new Link(protector, new ObjectInfo(id, type, status, notBefore, notAfter), wrapped);
        } catch (BufferUnderflowException e) {
            throw new MalformedLinkException("link is truncated");
        } catch (IllegalArgumentException e) {
            throw new MalformedLinkException("link is inconsistent: " + e.getMessage());
        }
    }

    private static void writeId(ByteArrayOutputStream out, ObjectId id) {
        byte[] name = id.name().value().getBytes(StandardCharsets.UTF_8);
        out.write(name.length >>> 8);
        out.write(name.length);
        out.writeBytes(name);
        out.writeBytes(ByteBuffer.allocate(4).putInt(id.epoch()).array());
    }

    private static ObjectId readId(ByteBuffer in, boolean rootAllowed) throws MalformedLinkException {
        int length = in.getShort() & 0xffff;
        if (length > ObjectName.MAX_LENGTH) {
            throw new MalformedLinkException("object name longer than " + ObjectName.MAX_LENGTH);
        }
        byte[] name = new byte[length];
        in.get(name);
        // Names are ASCII; a decoder that replaced bad bytes could let two encodings name one object.
        for (byte b : name) {
            if (b < 0) {
                throw new MalformedLinkException("object name is not ASCII");
            }
        }
        String text = new String(name, StandardCharsets.US_ASCII);
        int epoch = in.getInt();
        ObjectName objectName = rootAllowed && text.equals("/") ? ObjectName.ROOT : ObjectName.of(text);
        return new ObjectId(objectName, epoch);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Link l && protector.equals(l.protector) && info.equals(l.info)
                && Arrays.equals(wrapped, l.wrapped);
    }

    @Override
    public int hashCode() {
        return Objects.hash(protector, info, Arrays.hashCode(wrapped));
    }

    @Override
    public String toString() {
        return "Link[" + protector + " -> " + info.id() + " " + info.type() + " " + info.status()
                + ", " + wrapped.length + " wrapped bytes]";
    }
}
