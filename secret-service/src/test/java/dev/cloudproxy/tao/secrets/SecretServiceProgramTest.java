package dev.cloudproxy.tao.secrets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class SecretServiceProgramTest {
    @Test
    void parse_allOptions_areTaken() {
        assertThat(SecretServiceProgram.parse(new String[] {"--domain", "d", "--domain-service", "127.0.0.1:8124",
                "--state", "s", "--listen", "0.0.0.0:8125"}))
                .containsEntry("domain", "d").containsEntry("listen", "0.0.0.0:8125");
    }

    @Test
    void parse_unknownMissingValueRepeatedOrRequiredAbsent_isRefused() {
        for (String[] argv : new String[][] {
                {"--domain", "d", "--domain-service", "h:1", "--state", "s", "--password", "x"},
                {"--domain", "d", "--domain-service", "h:1", "--state"},
                {"--domain", "d", "--domain", "e", "--domain-service", "h:1", "--state", "s"},
                {"--domain", "d", "--state", "s"}}) {
            assertThrows(IllegalArgumentException.class, () -> SecretServiceProgram.parse(argv), String.join(" ", argv));
        }
    }

    @Test
    void address_badHostPort_isRefused() {
        for (String bad : new String[] {"nohost", ":80", "h:port", "h:70000"}) {
            assertThrows(IllegalArgumentException.class, () -> SecretServiceProgram.address(bad), bad);
        }
        assertThat(SecretServiceProgram.address("127.0.0.1:8125").getPort()).isEqualTo(8125);
    }
}
