package dev.cloudproxy.tao;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The secret holder every secret-carrying value builds on (here through {@link Unsealed}). */
class SecretBytesTest {
    @Test
    void copy_isACopy_changingItLeavesTheHeldSecret() {
        try (Unsealed u = new Unsealed(bytes("secret"), SealPolicy.SELF)) {
            byte[] first = u.data();
            first[0] = 'X';
            assertThat(new String(u.data(), StandardCharsets.US_ASCII)).isEqualTo("secret");
        }
    }

    @Test
    void close_zeroesTheOwnedArray_andLaterCopiesAreRefused() {
        byte[] owned = bytes("secret");
        Unsealed u = new Unsealed(owned, SealPolicy.ANY);
        u.close();
        assertThat(owned).containsOnly(0);
        assertThat(u.isDestroyed()).isTrue();
        assertThatThrownBy(u::data).isInstanceOf(IllegalStateException.class).hasMessage("Unsealed was closed");
        u.close();
        assertThat(u.isDestroyed()).isTrue();
    }

    @Test
    void toString_showsTheLengthOnly_alsoAfterClosing() {
        Unsealed u = new Unsealed(bytes("attack at dawn"), SealPolicy.SELF);
        assertThat(u.toString()).doesNotContain("attack").contains("14 bytes, redacted");
        u.close();
        assertThat(u.toString()).contains("14 bytes, redacted");
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
