package dev.cloudproxy.tao.keys;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;

/** Argon2id (version 1.3) over the UTF-8 bytes of a password, with BouncyCastle's generator. */
final class PasswordKdf {
    private PasswordKdf() {}

    static byte[] argon2id(char[] password, byte[] salt, Argon2Params params, int length) {
        byte[] passwordBytes = utf8(password);
        Argon2Parameters.Builder builder = new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id)
                .withVersion(Argon2Parameters.ARGON2_VERSION_13)
                .withMemoryAsKB(params.memoryKiB())
                .withIterations(params.iterations())
                .withParallelism(params.parallelism())
                .withSalt(salt);
        try {
            Argon2BytesGenerator generator = new Argon2BytesGenerator();
            generator.init(builder.build());
            byte[] out = new byte[length];
            generator.generateBytes(passwordBytes, out);
            return out;
        } finally {
            Arrays.fill(passwordBytes, (byte) 0);
            builder.clear();
        }
    }

    /**
     * The password's UTF-8 bytes, with no intermediate copies left behind (String-based encoding
     * would leave some). No Unicode normalisation: the same characters must be typed each time.
     */
    static byte[] utf8(char[] password) {
        CharsetEncoder encoder = StandardCharsets.UTF_8.newEncoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer buffer = ByteBuffer.allocate(password.length * 3); // UTF-8: at most 3 bytes per char
        try {
            CoderResult result = encoder.encode(CharBuffer.wrap(password), buffer, true);
            if (!result.isUnderflow() || !encoder.flush(buffer).isUnderflow()) {
                throw new IllegalArgumentException("password is not valid Unicode text");
            }
            return Arrays.copyOf(buffer.array(), buffer.position());
        } finally {
            Arrays.fill(buffer.array(), (byte) 0);
        }
    }
}
