package dev.cloudproxy.tao.cli;

import static dev.cloudproxy.tao.cli.DemoCommandTest.assertNoChildLeft;
import static dev.cloudproxy.tao.cli.DemoCommandTest.line;
import static dev.cloudproxy.tao.cli.DemoCommandTest.serials;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.tpm.Swtpm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tao demo --tpm2}: SimpleExample on a TPM-rooted host in a Datalog domain that trusts the
 * host by its TPM and PCR values, on swtpm (started by the demo, or given).
 */
@Timeout(value = 600, unit = TimeUnit.SECONDS)
class TpmDemoCommandTest {
    @TempDir
    Path tmp;

    @Test
    void demoOnTpm2_withoutATpm_runsItsOwnSwtpm_andASecondRunOnTheSameStateReopensHostProgramsAndSealedData()
            throws Exception {
        Path dir = tmp.resolve("demo");

        CliRunner.Result first = CliRunner.run("", "demo", "--tpm2", "--dir", dir.toString());

        assertThat(first.status()).as(first.err() + first.out()).isZero();
        assertThat(first.out()).contains("TPM: swtpm on 127.0.0.1:").contains("new TPM-rooted host");
        String host = line(first.out(), "Host ").replaceFirst(" \\(new TPM-rooted host.*", "");
        String client = line(first.out(), "  SimpleClient ");
        String server = line(first.out(), "  SimpleServer ");
        for (String name : new String[] {host, client, server}) {
            assertThat(name).startsWith("tpm2([").contains(".PCRs(\"0,1,2,3,4,5,6,7,23\", \"");
        }
        assertThat(client).startsWith(host + ".Jvm(ext.Runtime([");
        assertThat(Prin.parse(client).toString()).isEqualTo(client);
        assertThat(line(first.out(), "secret: ")).isEqualTo(client + "43");
        assertThat(line(first.out(), "  the server's peer ")).isEqualTo(client);
        assertThat(line(first.out(), "  the client's peer ")).isEqualTo(server);
        assertNoChildLeft(); // swtpm too

        // swtpm started again on the same state: the same TPM, PCRs as after a reboot.
        CliRunner.Result second = CliRunner.run("", "demo", "--tpm2", "--dir", dir.toString());

        assertThat(second.status()).as(second.err() + second.out()).isZero();
        assertThat(line(second.out(), "Host ")).isEqualTo(host + " (reused)");
        assertThat(line(second.out(), "  SimpleClient ")).isEqualTo(client);
        assertThat(line(second.out(), "  stored secret ")).startsWith(client + "43");
        assertThat(serials(second.out())).isEqualTo(serials(first.out()));
        assertNoChildLeft();
    }

    @Test
    void demoOnTpm2_afterAPcrOfTheHostsNameIsExtended_refusesToStartTheHost() throws Exception {
        try (Swtpm swtpm = Swtpm.start()) {
            Path dir = tmp.resolve("demo");
            String simulator = "127.0.0.1:" + swtpm.port();
            CliRunner.Result ok = CliRunner.run("", "demo", "--tpm2", "--tpm-simulator", simulator, "--dir", dir.toString());
            assertThat(ok.status()).as(ok.err() + ok.out()).isZero();
            assertThat(ok.out()).doesNotContain("TPM: swtpm"); // the given one, not the demo's own

            swtpm.tpm2Tools("tpm2_pcrextend", "7:sha256=" + "ab".repeat(32));
            CliRunner.Result refused = CliRunner.run("", "demo", "--tpm2", "--tpm-simulator", simulator,
                    "--dir", dir.toString());

            assertThat(refused.status()).isEqualTo(TaoCli.EXIT_INPUT);
            assertThat(refused.err()).startsWith("tao demo: step failed: host start: ")
                    .contains("cannot unseal this TPM Tao's deriving key");
            assertThat(refused.out()).doesNotContain("SimpleClient");
            assertThat(Files.exists(dir.resolve("swtpm"))).isFalse();
        }
        assertNoChildLeft();
    }

    @Test
    void tpmOptionsWithoutTpm2_orBoth_areRefusedBeforeAnythingIsMade() {
        CliRunner.Result noTpm2 = CliRunner.run("", "demo", "--tpm-simulator", "127.0.0.1:1", "--dir", tmp.resolve("a").toString());
        CliRunner.Result both = CliRunner.run("", "demo", "--tpm2", "--tpm-simulator", "127.0.0.1:1",
                "--tpm-device", "/dev/null", "--dir", tmp.resolve("b").toString());

        assertThat(noTpm2.err()).contains("need --tpm2");
        assertThat(both.err()).contains("exclude each other");
        assertThat(tmp.resolve("a")).doesNotExist();
        assertThat(tmp.resolve("b")).doesNotExist();
    }
}
