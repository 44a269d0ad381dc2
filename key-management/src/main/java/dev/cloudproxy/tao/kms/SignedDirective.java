package dev.cloudproxy.tao.kms;

import dev.cloudproxy.tao.auth.AuthFormatException;
import dev.cloudproxy.tao.auth.Form;
import dev.cloudproxy.tao.keys.Signer;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * The signed form of a {@link Directive}, version 1 (integers big-endian):
 *
 * <pre>
 *   "TAOD" | u8 version = 1 | u32 length | statement (binary auth encoding) | u16 length | signature
 * </pre>
 *
 * <p>The signature is the policy key's ECDSA P-256/SHA-256 signature (DER) over
 * {@value #CONTEXT_TEXT}{@code \0} followed by every byte before the signature length. No other
 * signed object of the project uses that context (attestations sign under
 * {@code "Tao Attestation Signing Context V1"}, guard rules {@code "Tao Guard Rules V1\0"}, the
 * domain configuration {@code "Tao Domain Config V1\0"}, host configuration
 * {@code "Tao Host Config V1\0"}, certificates X.509 TBS structures), so a directive's signature
 * never verifies as anything else, nor anything else's as a directive.
 */
public final class SignedDirective {
    /** Largest signed directive accepted. */
    public static final int MAX_BYTES = 64 * 1024;

    static final String CONTEXT_TEXT = "Tao Disclosure Directive V1";
    private static final byte[] CONTEXT = (CONTEXT_TEXT + "\0").getBytes(StandardCharsets.US_ASCII);
    private static final byte[] MAGIC = {'T', 'A', 'O', 'D'};
    private static final byte VERSION = 1;
    private static final int MAX_SIGNATURE = 72;

    private SignedDirective() {}

    /**
     * Signs {@code directive} with the domain's policy key.
     *
     * @throws IllegalArgumentException if the directive's issuer is not that key
     */
    public static byte[] sign(Directive directive, Signer policyKey) {
        Objects.requireNonNull(directive, "directive");
        if (!directive.issuer().equals(policyKey.principal())) {
            throw new IllegalArgumentException("the directive's issuer is not this key");
        }
        byte[] statement = directive.statement().encode();
        byte[] unsigned = ByteBuffer.allocate(MAGIC.length + 1 + 4 + statement.length)
                .put(MAGIC).put(VERSION).putInt(statement.length).put(statement).array();
        byte[] signature = policyKey.sign(signedMessage(unsigned, unsigned.length));
        return ByteBuffer.allocate(unsigned.length + 2 + signature.length)
                .put(unsigned).putShort((short) signature.length).put(signature).array();
    }

    /** The parts of a signed directive, checked for form only. */
    record Parts(byte[] signedMessage, byte[] signature, Form statement) {}

    /**
     * Splits a signed directive strictly: magic, version, lengths within bounds, no trailing
     * bytes, a statement that decodes. Checks no signature.
     */
    static Parts parse(byte[] bytes) throws DirectiveRefusedException {
        Objects.requireNonNull(bytes, "bytes");
        if (bytes.length > MAX_BYTES) {
            throw new DirectiveRefusedException("directive larger than " + MAX_BYTES + " bytes");
        }
        try {
            ByteBuffer in = ByteBuffer.wrap(bytes);
            byte[] magic = new byte[MAGIC.length];
            in.get(magic);
            if (!Arrays.equals(magic, MAGIC) || in.get() != VERSION) {
                throw new DirectiveRefusedException("not a version-1 disclosure directive");
            }
            long length = in.getInt() & 0xffffffffL;
            if (length > in.remaining()) {
                throw new DirectiveRefusedException("directive statement runs past the end");
            }
            byte[] statement = new byte[(int) length];
            in.get(statement);
            int signedLength = in.position();
            int signatureLength = in.getShort() & 0xffff;
            if (signatureLength > MAX_SIGNATURE || signatureLength != in.remaining()) {
                throw new DirectiveRefusedException("directive signature length does not match what follows");
            }
            byte[] signature = new byte[signatureLength];
            in.get(signature);
            return new Parts(signedMessage(bytes, signedLength), signature, Form.decode(statement));
        } catch (BufferUnderflowException e) {
            throw new DirectiveRefusedException("directive is truncated");
        } catch (AuthFormatException e) {
            throw new DirectiveRefusedException("directive statement does not decode");
        }
    }

    private static byte[] signedMessage(byte[] bytes, int length) {
        byte[] message = Arrays.copyOf(CONTEXT, CONTEXT.length + length);
        System.arraycopy(bytes, 0, message, CONTEXT.length, length);
        return message;
    }
}
