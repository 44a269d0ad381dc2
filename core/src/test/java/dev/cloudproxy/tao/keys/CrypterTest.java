package dev.cloudproxy.tao.keys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cloudproxy.tao.DecryptionException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class CrypterTest {
    private static final byte[] PLAINTEXT = "sealed program state".getBytes(StandardCharsets.UTF_8);
    private static final byte[] AAD = "policy v1".getBytes(StandardCharsets.UTF_8);

    @Test
    void encrypt_thenDecrypt_givesPlaintext() throws Exception {
        try (Crypter crypter = Crypter.generate()) {
            byte[] ciphertext = crypter.encrypt(PLAINTEXT, AAD);

            assertThat(crypter.decrypt(ciphertext, AAD)).isEqualTo(PLAINTEXT);
            assertThat(ciphertext).hasSize(PLAINTEXT.length + Crypter.OVERHEAD);
            assertThat(ciphertext[0]).isEqualTo((byte) 1);
        }
    }

    @Test
    void encrypt_emptyPlaintextAndNoAad_roundTrips() throws Exception {
        try (Crypter crypter = Crypter.generate()) {
            assertThat(crypter.decrypt(crypter.encrypt(new byte[0]))).isEmpty();
        }
    }

    @Test
    void encrypt_samePlaintextTwice_usesFreshNonces() {
        try (Crypter crypter = Crypter.generate()) {
            byte[] first = crypter.encrypt(PLAINTEXT, AAD);
            byte[] second = crypter.encrypt(PLAINTEXT, AAD);

            assertThat(Arrays.copyOfRange(first, 1, 13)).isNotEqualTo(Arrays.copyOfRange(second, 1, 13));
            assertThat(first).isNotEqualTo(second);
        }
    }

    @Test
    void decrypt_everyBitFlip_throwsSameError() {
        try (Crypter crypter = Crypter.generate()) {
            byte[] ciphertext = crypter.encrypt(PLAINTEXT, AAD);
            for (int i = 0; i < ciphertext.length; i++) {
                for (int bit = 0; bit < 8; bit++) {
                    byte[] flipped = ciphertext.clone();
                    flipped[i] ^= (byte) (1 << bit);
                    assertFailsUniformly(() -> crypter.decrypt(flipped, AAD));
                }
            }
        }
    }

    @Test
    void decrypt_wrongKey_throwsSameError() {
        try (Crypter crypter = Crypter.generate(); Crypter other = Crypter.generate()) {
            byte[] ciphertext = crypter.encrypt(PLAINTEXT, AAD);

            assertFailsUniformly(() -> other.decrypt(ciphertext, AAD));
        }
    }

    @Test
    void decrypt_everyTruncation_throwsSameError() {
        try (Crypter crypter = Crypter.generate()) {
            byte[] ciphertext = crypter.encrypt(PLAINTEXT, AAD);
            for (int length = 0; length < ciphertext.length; length++) {
                byte[] truncated = Arrays.copyOf(ciphertext, length);
                assertFailsUniformly(() -> crypter.decrypt(truncated, AAD));
            }
            byte[] extended = Arrays.copyOf(ciphertext, ciphertext.length + 1);
            assertFailsUniformly(() -> crypter.decrypt(extended, AAD));
        }
    }

    @Test
    void decrypt_otherAssociatedData_throwsSameError() {
        try (Crypter crypter = Crypter.generate()) {
            byte[] ciphertext = crypter.encrypt(PLAINTEXT, AAD);

            assertFailsUniformly(() -> crypter.decrypt(ciphertext, "policy v2".getBytes(StandardCharsets.UTF_8)));
            assertFailsUniformly(() -> crypter.decrypt(ciphertext));
        }
    }

    @Test
    void fromSecretKeyMaterial_exportedKey_decryptsOldCiphertexts() throws Exception {
        try (Crypter crypter = Crypter.generate()) {
            byte[] ciphertext = crypter.encrypt(PLAINTEXT, AAD);
            byte[] key = crypter.exportSecretKeyMaterial();
            try (Crypter again = Crypter.fromSecretKeyMaterial(key)) {
                assertThat(again.decrypt(ciphertext, AAD)).isEqualTo(PLAINTEXT);
            }
        }
    }

    @Test
    void fromSecretKeyMaterial_wrongLength_throws() {
        assertThrows(IllegalArgumentException.class, () -> Crypter.fromSecretKeyMaterial(new byte[16]));
    }

    @Test
    void closedCrypter_everyOperationThrows() {
        Crypter crypter = Crypter.generate();
        byte[] ciphertext = crypter.encrypt(PLAINTEXT);
        crypter.close();

        assertThat(crypter.isDestroyed()).isTrue();
        assertThrows(IllegalStateException.class, () -> crypter.encrypt(PLAINTEXT));
        assertThrows(IllegalStateException.class, () -> crypter.decrypt(ciphertext));
        assertThrows(IllegalStateException.class, crypter::exportSecretKeyMaterial);
    }

    @Test
    void toString_revealsNoKeyBytes() {
        try (Crypter crypter = Crypter.generate()) {
            String keyHex = HexFormat.of().formatHex(crypter.exportSecretKeyMaterial());

            assertThat(crypter.toString()).isEqualTo("Crypter[redacted]").doesNotContain(keyHex);
        }
    }

    private static void assertFailsUniformly(org.junit.jupiter.api.function.Executable decryption) {
        DecryptionException e = assertThrows(DecryptionException.class, decryption);
        assertThat(e).hasMessage("decryption failed").hasNoCause();
    }
}
