package dev.cloudproxy.tao.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import org.junit.jupiter.api.Test;

class ProcessStartTest {
    @Test
    void parse_countsFieldsFromTheLastParenthesis_soOddCommandNamesDoNotShiftThem() throws Exception {
        String fields = " S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 424242 20 21";
        assertThat(ProcessStart.parse("7 (java) " + fields)).isEqualTo(424242);
        assertThat(ProcessStart.parse("7 (a) b (c) d) " + fields)).isEqualTo(424242);
    }

    @Test
    void parse_malformed_isIOException() {
        assertThrows(IOException.class, () -> ProcessStart.parse("no parenthesis"));
        assertThrows(IOException.class, () -> ProcessStart.parse("7 (x) S 1 2"));
        assertThrows(IOException.class, () -> ProcessStart.parse("7 (x) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 nan"));
    }

    @Test
    void of_thisProcess_isStable_andNoProcess_isEmpty() throws Exception {
        long pid = ProcessHandle.current().pid();
        assertThat(ProcessStart.of(pid)).isPresent();
        assertThat(ProcessStart.of(pid)).isEqualTo(ProcessStart.of(pid));
        assertThat(ProcessStart.of(-5)).isEmpty();
    }
}
