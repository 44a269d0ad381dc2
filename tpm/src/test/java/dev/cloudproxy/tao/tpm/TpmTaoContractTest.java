package dev.cloudproxy.tao.tpm;

import dev.cloudproxy.tao.AbstractTaoContractTest;
import dev.cloudproxy.tao.CoreTao;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/** The Tao contract, against a TPM Tao on swtpm. */
class TpmTaoContractTest extends AbstractTaoContractTest {
    private static Swtpm swtpm;
    private static TpmConnection tpm;
    @TempDir
    Path dirs;
    private int made;

    @BeforeAll
    static void startTpm() throws Exception {
        swtpm = Swtpm.start();
        tpm = swtpm.connect();
    }

    @AfterAll
    static void stopTpm() throws Exception {
        try {
            if (tpm != null) {
                tpm.close();
            }
        } finally {
            swtpm.close();
        }
    }

    @Override
    protected CoreTao newTao() throws Exception {
        return TpmTao.create(tpm, dirs.resolve("tao" + made++), List.of(0, 7, TpmTao.HOST_PCR));
    }

    @Override
    protected CoreTao restart(CoreTao tao) throws Exception {
        return TpmTao.open(tpm, ((TpmTao) tao).directory());
    }
}
