package dev.cloudproxy.tao.launch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cloudproxy.tao.VerificationException;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class LaunchEvidenceTest {
    private final LaunchEvidence evidence = new LaunchEvidence(new byte[] {1, 2}, new byte[] {3}, new byte[32]);

    @Test
    void encode_thenParse_givesTheSameEvidence() throws Exception {
        assertThat(LaunchEvidence.parse(evidence.encode())).isEqualTo(evidence);
    }

    @Test
    void parse_truncatedOrOtherOrOversized_isRefused() {
        byte[] whole = evidence.encode();
        for (int n = 0; n < whole.length; n++) {
            byte[] cut = Arrays.copyOf(whole, n);
            assertThrows(VerificationException.class, () -> LaunchEvidence.parse(cut), "cut at " + n);
        }
        assertThrows(VerificationException.class, () -> LaunchEvidence.parse(
                LaunchProtocol.encode(LaunchProtocol.Response.refused("no"))));
        assertThrows(VerificationException.class, () -> LaunchEvidence.parse(new byte[LaunchEvidence.MAX_BYTES + 1]));
    }
}
