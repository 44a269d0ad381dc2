package dev.cloudproxy.tao.secrets;

import dev.cloudproxy.tao.kms.ObjectId;
import dev.cloudproxy.tao.kms.ObjectInfo;
import dev.cloudproxy.tao.kms.ObjectName;
import dev.cloudproxy.tao.kms.ObjectStatus;
import dev.cloudproxy.tao.kms.ObjectType;
import dev.cloudproxy.tao.kms.SignedDirective;
import java.io.ByteArrayOutputStream;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The secret service's wire format: one request and one response per Tao channel message
 * (whose 4-byte length prefix bounds them). Integers are big-endian; names are ASCII.
 *
 * <pre>
 * request  = "TSSQ" | u8 version = 1 | u8 op (1 READ, 2 WRITE, 3 CREATE, 4 DELETE, 5 ROTATE, 6 REVOKE)
 *          | u16 length | name | u32 epoch | u8 type (0 none, else the link's type code)
 *          | u16 length | protector (0 bytes: none)
 *          | u32 length | signed directive (0 bytes: none; at most 64 KiB)
 *          | u32 length | content (at most 1 MiB)
 * response = "TSSR" | u8 version = 1 | u8 status (0 OK, 1 DENIED, 2 NOT_FOUND, 3 UNREADABLE,
 *            4 REFUSED, 5 BAD_REQUEST, 6 INTERNAL) | u16 length | reason (ASCII, at most 512)
 *          [ OK only: | u16 length | name | u32 epoch | u8 type | u8 status | i64 not-before
 *            | i64 not-after | u32 length | material ]
 * </pre>
 *
 * <p>Parsing is strict: anything else (bad magic or version, unknown codes, names that are not
 * canonical, fields an operation does not take, lengths past the end or over their bounds,
 * trailing bytes) is a {@link MalformedMessageException} naming the first fault, checked before
 * anything of the claimed length is allocated.
 */
public final class SecretProtocol {
    /** The largest request: every field at its bound. */
    public static final int MAX_REQUEST_BYTES = 4 + 2 + 2 + ObjectName.MAX_LENGTH + 4 + 1 + 2 + ObjectName.MAX_LENGTH
            + 4 + SignedDirective.MAX_BYTES + 4 + SecretRequest.MAX_CONTENT;
    /** The largest response. */
    public static final int MAX_RESPONSE_BYTES = 4 + 2 + 2 + SecretResponse.MAX_REASON + 2 + ObjectName.MAX_LENGTH
            + 4 + 1 + 1 + 8 + 8 + 4 + SecretRequest.MAX_CONTENT;
    /** The channel bound both sides use: the larger of the two. */
    public static final int MAX_MESSAGE_BYTES = Math.max(MAX_REQUEST_BYTES, MAX_RESPONSE_BYTES);

    private static final byte[] REQUEST_MAGIC = "TSSQ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] RESPONSE_MAGIC = "TSSR".getBytes(StandardCharsets.US_ASCII);
    private static final int VERSION = 1;

    private SecretProtocol() {}

    /** The request's bytes; the caller zeroes them once sent (they hold a WRITE's content). */
    public static byte[] encodeRequest(SecretRequest r) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(64 + r.contentLength());
        out.writeBytes(REQUEST_MAGIC);
        out.write(VERSION);
        out.write(r.op().code());
        writeName(out, r.name().value());
        writeInt(out, r.epoch());
        out.write(r.type().map(ObjectType::code).orElse(0));
        writeName(out, r.protector().map(ObjectName::value).orElse(""));
        byte[] directive = r.directive().orElse(new byte[0]);
        writeInt(out, directive.length);
        out.writeBytes(directive);
        byte[] content = r.content();
        try {
            writeInt(out, content.length);
            out.writeBytes(content);
            return out.toByteArray();
        } finally {
            Arrays.fill(content, (byte) 0);
            // ByteArrayOutputStream's buffer still holds the content; it is unreachable after return.
        }
    }

    /** Parses a request, refusing anything but the exact form. */
    public static SecretRequest parseRequest(byte[] bytes) throws MalformedMessageException {
        if (bytes.length > MAX_REQUEST_BYTES) {
            throw new MalformedMessageException("request over " + MAX_REQUEST_BYTES + " bytes");
        }
        ByteBuffer in = ByteBuffer.wrap(bytes);
        try {
            magic(in, REQUEST_MAGIC, "request");
            SecretOp op = SecretOp.fromCode(in.get() & 0xff)
                    .orElseThrow(() -> new MalformedMessageException("unknown operation"));
            ObjectName name = name(in, "name");
            int epoch = in.getInt();
            if (epoch < 0) {
                throw new MalformedMessageException("epoch out of range");
            }
            int typeCode = in.get() & 0xff;
            ObjectType type = null;
            if (typeCode != 0) {
                type = ObjectType.fromCode(typeCode).orElseThrow(() -> new MalformedMessageException("unknown type"));
            }
            String protectorText = string(in, ObjectName.MAX_LENGTH, "protector");
            ObjectName protector = protectorText.isEmpty() ? null : canonical(protectorText, "protector");
            byte[] directive = bytes(in, SignedDirective.MAX_BYTES, "directive");
            byte[] content = bytes(in, SecretRequest.MAX_CONTENT, "content");
            try {
                if (in.hasRemaining()) {
                    throw new MalformedMessageException("trailing bytes after the request");
                }
                byte[] d = directive.length == 0 ? null : directive;
                String fault = SecretRequest.fault(op, name, epoch, type, protector, d, content);
                if (fault != null) {
                    throw new MalformedMessageException(fault);
                }
                return new SecretRequest(op, name, epoch, type, protector, d, content);
            } finally {
                Arrays.fill(content, (byte) 0);
            }
        } catch (BufferUnderflowException e) {
            throw new MalformedMessageException("request truncated");
        }
    }

    /** The response's bytes; the caller zeroes them once sent (they hold a READ's material). */
    public static byte[] encodeResponse(SecretResponse r) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(64 + r.materialLength());
        out.writeBytes(RESPONSE_MAGIC);
        out.write(VERSION);
        out.write(r.status().code());
        writeName(out, r.reason());
        if (r.info().isPresent()) {
            ObjectInfo info = r.info().get();
            writeName(out, info.id().name().value());
            writeInt(out, info.id().epoch());
            out.write(info.type().code());
            out.write(info.status().code());
            writeLong(out, info.notBefore());
            writeLong(out, info.notAfter());
            writeInt(out, r.materialLength());
            out.writeBytes(r.materialView());
        }
        return out.toByteArray();
    }

    /** Parses a response, refusing anything but the exact form. */
    public static SecretResponse parseResponse(byte[] bytes) throws MalformedMessageException {
        if (bytes.length > MAX_RESPONSE_BYTES) {
            throw new MalformedMessageException("response over " + MAX_RESPONSE_BYTES + " bytes");
        }
        ByteBuffer in = ByteBuffer.wrap(bytes);
        try {
            magic(in, RESPONSE_MAGIC, "response");
            SecretResponse.Status status = SecretResponse.Status.fromCode(in.get() & 0xff)
                    .orElseThrow(() -> new MalformedMessageException("unknown status"));
            String reason = string(in, SecretResponse.MAX_REASON, "reason");
            if (status != SecretResponse.Status.OK) {
                if (in.hasRemaining()) {
                    throw new MalformedMessageException("trailing bytes after the response");
                }
                return SecretResponse.refused(status, reason);
            }
            if (!reason.isEmpty()) {
                throw new MalformedMessageException("a success carries no reason");
            }
            ObjectName name = name(in, "name");
            int epoch = in.getInt();
            ObjectType type = ObjectType.fromCode(in.get() & 0xff)
                    .orElseThrow(() -> new MalformedMessageException("unknown type"));
            ObjectStatus objectStatus = ObjectStatus.fromCode(in.get() & 0xff)
                    .orElseThrow(() -> new MalformedMessageException("unknown object status"));
            long notBefore = in.getLong();
            long notAfter = in.getLong();
            byte[] material = bytes(in, SecretRequest.MAX_CONTENT, "material");
            try {
                if (in.hasRemaining()) {
                    throw new MalformedMessageException("trailing bytes after the response");
                }
                ObjectInfo info;
                try {
                    info = new ObjectInfo(new ObjectId(name, epoch), type, objectStatus, notBefore, notAfter);
                } catch (IllegalArgumentException e) {
                    throw new MalformedMessageException("invalid object description: " + e.getMessage());
                }
                return SecretResponse.ok(info, material);
            } finally {
                Arrays.fill(material, (byte) 0);
            }
        } catch (BufferUnderflowException e) {
            throw new MalformedMessageException("response truncated");
        }
    }

    private static void magic(ByteBuffer in, byte[] magic, String what) throws MalformedMessageException {
        byte[] seen = new byte[magic.length];
        in.get(seen);
        if (!Arrays.equals(seen, magic)) {
            throw new MalformedMessageException("not a secret-service " + what);
        }
        if ((in.get() & 0xff) != VERSION) {
            throw new MalformedMessageException("unknown " + what + " version");
        }
    }

    private static ObjectName name(ByteBuffer in, String what) throws MalformedMessageException {
        return canonical(string(in, ObjectName.MAX_LENGTH, what), what);
    }

    private static ObjectName canonical(String text, String what) throws MalformedMessageException {
        if (text.equals(ObjectName.ROOT.value())) {
            return ObjectName.ROOT;   // the master key, as a protector of zone keys
        }
        try {
            ObjectName name = ObjectName.of(text);
            if (!name.value().equals(text)) {
                throw new MalformedMessageException(what + " is not canonical");
            }
            return name;
        } catch (IllegalArgumentException e) {
            throw new MalformedMessageException(what + " is not an object name");
        }
    }

    private static String string(ByteBuffer in, int max, String what) throws MalformedMessageException {
        int length = in.getShort() & 0xffff;
        if (length > max) {
            throw new MalformedMessageException(what + " longer than " + max + " bytes");
        }
        if (length > in.remaining()) {
            throw new MalformedMessageException(what + " runs past the end");
        }
        byte[] b = new byte[length];
        in.get(b);
        for (byte c : b) {
            if (c < 0x20 || c > 0x7e) {
                throw new MalformedMessageException(what + " is not printable ASCII");
            }
        }
        return new String(b, StandardCharsets.US_ASCII);
    }

    private static byte[] bytes(ByteBuffer in, int max, String what) throws MalformedMessageException {
        long length = in.getInt() & 0xffffffffL;
        if (length > max) {
            throw new MalformedMessageException(what + " longer than " + max + " bytes");
        }
        if (length > in.remaining()) {
            throw new MalformedMessageException(what + " runs past the end");
        }
        byte[] b = new byte[(int) length];
        in.get(b);
        return b;
    }

    private static void writeName(ByteArrayOutputStream out, String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        out.write(b.length >>> 8);
        out.write(b.length);
        out.writeBytes(b);
    }

    private static void writeInt(ByteArrayOutputStream out, int v) {
        out.write(v >>> 24);
        out.write(v >>> 16);
        out.write(v >>> 8);
        out.write(v);
    }

    private static void writeLong(ByteArrayOutputStream out, long v) {
        writeInt(out, (int) (v >>> 32));
        writeInt(out, (int) v);
    }
}
