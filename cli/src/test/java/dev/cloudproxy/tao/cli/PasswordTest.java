package dev.cloudproxy.tao.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class PasswordTest {

    @Test
    void close_zeroesTheCharactersItOwns() {
        char[] chars = "secret".toCharArray();
        Password password = new Password(chars);

        password.close();

        assertThat(chars).isEqualTo(new char[6]);
        assertThat(password.isDestroyed()).isTrue();
    }

    @Test
    void chars_afterClose_isRefused() {
        Password password = new Password("secret".toCharArray());
        password.close();

        assertThrows(IllegalStateException.class, password::chars);
    }

    @Test
    void toString_neverShowsTheCharacters() {
        try (Password password = new Password("secret".toCharArray())) {
            assertThat(password.toString()).doesNotContain("secret").contains("redacted");
        }
    }
}
