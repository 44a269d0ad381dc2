package dev.cloudproxy.tao.guard;

import dev.cloudproxy.tao.VerificationException;
import dev.cloudproxy.tao.auth.AuthFormatException;
import dev.cloudproxy.tao.auth.AuthLimits;
import dev.cloudproxy.tao.auth.Form;
import dev.cloudproxy.tao.keys.Signer;
import dev.cloudproxy.tao.keys.Verifier;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;

/**
 * The signed rule file of a guard, version 2 (all integers big-endian):
 *
 * <pre>
 * "TAOG" | u8 format = 2 | u8 kind (1 Datalog, 2 ACL) | u64 policy version | u32 body length | body
 *        | u16 signature length | signature
 * body = u32 rule count | (u32 length | binary auth encoding of the rule) * count
 * </pre>
 *
 * <p>Format 1, written before policies were distributed, is the same without the policy version;
 * it is still read, as policy version 0. The <em>policy version</em> grows by one with every
 * {@linkplain RuleSetGuard#save save}, and is signed with the rules, so whoever holds a file can
 * tell a newer policy from a replayed older one ({@link RuleSetGuard#policyVersion()}).
 *
 * <p>The signature is the policy key's ECDSA P-256/SHA-256 signature (DER) over
 * {@code "Tao Guard Rules V1\0"} followed by every byte before the signature length (the format
 * byte is among them, so a format-1 signature never verifies as format 2). The context prefix
 * keeps a rule-file signature from ever being mistaken for a signature on anything else. The
 * signature is checked before any rule is decoded, so nothing an attacker wrote is parsed beyond
 * the framing.
 *
 * <p>A guard's name hashes the rules in format 1 ({@link #hash}), without the policy version:
 * the same rules always give the same name, whichever version signed them.
 */
final class SignedRuleFile {
    static final byte KIND_DATALOG = 1;
    static final byte KIND_ACL = 2;

    /** Largest file accepted: the binary auth limit is the most one rule may take. */
    static final int MAX_FILE_SIZE = AuthLimits.MAX_BINARY_LENGTH + 1024;
    /** Most rules (including facts) a file may hold. */
    static final int MAX_RULES = 100_000;

    private static final byte[] MAGIC = {'T', 'A', 'O', 'G'};
    private static final byte FORMAT_1 = 1;
    private static final byte FORMAT_2 = 2;
    private static final byte[] CONTEXT = "Tao Guard Rules V1\0".getBytes(StandardCharsets.US_ASCII);
    private static final int HEADER_1 = MAGIC.length + 2 + 4;
    private static final int HEADER_2 = HEADER_1 + 8;
    private static final int MAX_SIGNATURE = 72;

    private SignedRuleFile() {}

    /** What a verified file holds: its policy version (0 for format 1) and its rules. */
    record Contents(long version, List<Form> rules) {
        Contents {
            rules = List.copyOf(rules);
        }
    }

    /** The signed part of a format-1 file (header and body) for these rules: what the guard's name hashes. */
    static byte[] unsigned(byte kind, List<Form> rules) {
        return unsigned(FORMAT_1, kind, 0, rules);
    }

    private static byte[] unsigned(byte format, byte kind, long version, List<Form> rules) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        writeInt(body, rules.size());
        for (Form rule : rules) {
            byte[] encoded = rule.encode();
            writeInt(body, encoded.length);
            body.writeBytes(encoded);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(HEADER_2 + body.size());
        out.writeBytes(MAGIC);
        out.write(format);
        out.write(kind);
        if (format == FORMAT_2) {
            writeInt(out, (int) (version >>> 32));
            writeInt(out, (int) version);
        }
        writeInt(out, body.size());
        out.writeBytes(body.toByteArray());
        return out.toByteArray();
    }

    /** A complete signed file of format 2 for policy version {@code version} (not negative). */
    static byte[] sign(byte kind, long version, List<Form> rules, Signer policyKey) {
        if (version < 0) {
            throw new IllegalArgumentException("a policy version is not negative: " + version);
        }
        byte[] unsigned = unsigned(FORMAT_2, kind, version, rules);
        byte[] signature = policyKey.sign(signedMessage(unsigned, unsigned.length));
        ByteBuffer out = ByteBuffer.allocate(unsigned.length + 2 + signature.length);
        out.put(unsigned).putShort((short) signature.length).put(signature);
        return out.array();
    }

    /** SHA-256 of {@link #unsigned}: the same rules always give the same hash. */
    static byte[] hash(byte kind, List<Form> rules) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(unsigned(kind, rules));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JDK", e);
        }
    }

    /**
     * Checks the framing and signature of a file and decodes its rules.
     *
     * @throws GuardException if the file is malformed, of another kind, or not signed by
     *     {@code policy}
     */
    static Contents verifyAndRead(byte[] file, byte expectedKind, Verifier policy) throws GuardException {
        if (file.length > MAX_FILE_SIZE) {
            throw new GuardException("guard file is larger than " + MAX_FILE_SIZE + " bytes");
        }
        if (file.length < HEADER_1) {
            throw new GuardException("guard file is truncated: " + file.length + " bytes");
        }
        ByteBuffer in = ByteBuffer.wrap(file);
        byte[] magic = new byte[MAGIC.length];
        in.get(magic);
        if (!MessageDigest.isEqual(magic, MAGIC)) {
            throw new GuardException("not a guard file: bad magic");
        }
        byte format = in.get();
        if (format != FORMAT_1 && format != FORMAT_2) {
            throw new GuardException("unsupported guard file version " + (format & 0xff));
        }
        byte kind = in.get();
        if (kind != KIND_DATALOG && kind != KIND_ACL) {
            throw new GuardException("unknown guard file kind " + (kind & 0xff));
        }
        int header = format == FORMAT_1 ? HEADER_1 : HEADER_2;
        if (file.length < header) {
            throw new GuardException("guard file is truncated: " + file.length + " bytes");
        }
        long version = format == FORMAT_1 ? 0 : in.getLong();
        long bodyLength = in.getInt() & 0xffffffffL;
        if (bodyLength > in.remaining() - 2) {
            throw new GuardException("guard file body length " + bodyLength + " runs past the end");
        }
        int signedLength = header + (int) bodyLength;
        in.position(signedLength);
        int signatureLength = in.getShort() & 0xffff;
        if (signatureLength > MAX_SIGNATURE || signatureLength != in.remaining()) {
            throw new GuardException("guard file signature length " + signatureLength
                    + " does not match the " + in.remaining() + " bytes that follow");
        }
        byte[] signature = new byte[signatureLength];
        in.get(signature);
        try {
            policy.verify(signedMessage(file, signedLength), signature);
        } catch (VerificationException e) {
            throw new GuardException("guard file is not signed by the policy key " + policy.principal(), e);
        }
        // Signed by the policy key from here on; still checked strictly, as a bug in a signer
        // must not become a crash here.
        if (kind != expectedKind) {
            throw new GuardException("guard file holds " + kindName(kind) + " rules, not " + kindName(expectedKind));
        }
        if (version < 0) {
            throw new GuardException("guard file has a negative policy version");
        }
        in.position(header);
        in.limit(signedLength);
        return new Contents(version, readRules(in));
    }

    private static List<Form> readRules(ByteBuffer in) throws GuardException {
        if (in.remaining() < 4) {
            throw new GuardException("guard file body is truncated");
        }
        long count = in.getInt() & 0xffffffffL;
        if (count > MAX_RULES || count > in.remaining() / 4) {
            throw new GuardException("guard file claims " + count + " rules, more than it can hold");
        }
        List<Form> rules = new ArrayList<>((int) count);
        for (int i = 0; i < count; i++) {
            if (in.remaining() < 4) {
                throw new GuardException("guard file rule " + i + " is truncated");
            }
            long length = in.getInt() & 0xffffffffL;
            if (length > in.remaining()) {
                throw new GuardException("guard file rule " + i + " length runs past the end");
            }
            byte[] encoded = new byte[(int) length];
            in.get(encoded);
            try {
                rules.add(Form.decode(encoded));
            } catch (AuthFormatException e) {
                throw new GuardException("guard file rule " + i + " does not decode: " + e.getMessage(), e);
            }
        }
        if (in.hasRemaining()) {
            throw new GuardException("guard file body has " + in.remaining() + " trailing bytes");
        }
        return rules;
    }

    static String kindName(byte kind) {
        return kind == KIND_DATALOG ? "Datalog" : kind == KIND_ACL ? "ACL" : "unknown";
    }

    private static byte[] signedMessage(byte[] file, int length) {
        byte[] message = new byte[CONTEXT.length + length];
        System.arraycopy(CONTEXT, 0, message, 0, CONTEXT.length);
        System.arraycopy(file, 0, message, CONTEXT.length, length);
        return message;
    }

    private static void writeInt(ByteArrayOutputStream out, int value) {
        out.write(value >>> 24);
        out.write(value >>> 16);
        out.write(value >>> 8);
        out.write(value);
    }
}
