package dev.cloudproxy.tao.tpm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cloudproxy.tao.CoreTao;
import dev.cloudproxy.tao.TaoException;
import dev.cloudproxy.tao.Unsealed;
import dev.cloudproxy.tao.auth.Prin;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A TPM as a host's in-process parent: binding the host's measurement, then opening the Tao. */
class TpmParentTest {
    @TempDir
    Path dir;

    private static byte[] sha256(String s) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void hostRoot_reopensWithItsSealedData_untilSomethingElseExtendsTheHostPcr() throws Exception {
        try (Swtpm swtpm = Swtpm.start()) {
            String spec = TpmParent.simulatorSpec("127.0.0.1", swtpm.port());
            byte[] host = sha256("host code");
            Prin name;
            byte[] blob;
            try (TpmTao tao = TpmParent.open(spec, dir, host, Optional.of(TpmParent.DEFAULT_PCRS))) {
                name = tao.getTaoName();
                assertThat(name.toString()).startsWith("tpm2([").contains("PCRs(\"0,1,2,3,4,5,6,7,23\"");
                blob = tao.seal("keys".getBytes(StandardCharsets.UTF_8), CoreTao.SEAL_POLICY_SELF);
            }
            // The Tao closed its connection: swtpm takes the next client (here tpm2-tools).
            assertThat(swtpm.tpm2Tools("tpm2_pcrread", "sha256:23")).contains("0x"
                    + java.util.HexFormat.of().withUpperCase().formatHex(TpmConnection.extended(new byte[32], host)));
            try (TpmTao again = TpmParent.open(spec, dir, host, Optional.empty()); Unsealed u = again.unseal(blob)) {
                assertThat(again.getTaoName()).isEqualTo(name);
                assertThat(new String(u.data(), StandardCharsets.UTF_8)).isEqualTo("keys");
            }
            assertThrows(TaoException.class, () -> TpmParent.open(spec, dir, sha256("other host"), Optional.empty()));
            swtpm.tpm2Tools("tpm2_pcrextend", "23:sha256=" + "ab".repeat(32));
            TaoException e = assertThrows(TaoException.class, () -> TpmParent.open(spec, dir, host, Optional.empty()));
            assertThat(e.getMessage()).contains("PCR 23 holds another measurement");
        }
    }

    @Test
    void specs_roundTripAndRefuseOthers() {
        assertThat(TpmParent.simulatorSpec("127.0.0.1", 2321)).isEqualTo("tpm:simulator:127.0.0.1:2321");
        assertThat(TpmParent.deviceSpec(Path.of("/dev/tpmrm0"))).isEqualTo("tpm:device:/dev/tpmrm0");
        assertThat(TpmParent.isSpec("rpc:auto")).isFalse();
        for (String bad : List.of("tpm:", "tpm:simulator:", "tpm:simulator:host", "tpm:simulator:h:0",
                "tpm:simulator:h:x", "tpm:device:", "tpm:other:x")) {
            assertThrows(IllegalArgumentException.class, () -> TpmParent.connect(bad), bad);
        }
        assertThrows(IllegalArgumentException.class,
                () -> TpmParent.open("tpm:simulator:127.0.0.1:1", dir, new byte[32], Optional.of(List.of(0))));
    }
}
