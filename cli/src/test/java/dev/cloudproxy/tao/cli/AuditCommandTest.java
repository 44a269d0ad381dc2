package dev.cloudproxy.tao.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudproxy.tao.cli.CliRunner.Result;
import dev.cloudproxy.tao.domainservice.AuditLog;
import dev.cloudproxy.tao.domainservice.CertificateRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code tao audit verify} on a domain directory's audit log and issued certificates. */
class AuditCommandTest {
    @TempDir
    Path tmp;

    private Path dir;
    private Path log;

    @BeforeEach
    void writeLog() throws Exception {
        dir = tmp.resolve("domain");
        Files.createDirectories(dir.resolve(CertificateRegistry.ISSUED_DIR));
        log = dir.resolve("audit.log");
        try (AuditLog audit = AuditLog.open(log)) {
            for (int i = 0; i < 4; i++) {
                String serial = Integer.toHexString(0xa0 + i);
                audit.record(Instant.parse("2026-12-07T18:00:00Z").plusSeconds(i), "127.0.0.1:4000",
                        AuditLog.Decision.ISSUED, "key([0" + i + "])", serial, null);
                Files.writeString(dir.resolve(CertificateRegistry.ISSUED_DIR).resolve(serial + ".pem"), "-");
            }
        }
    }

    private static String head(Result r) {
        return r.out().lines().filter(l -> l.startsWith("head: ")).findFirst().orElseThrow().substring(6);
    }

    @Test
    void verify_logAsWritten_isIntactAndPrintsItsHead() {
        Result r = CliRunner.run("", "audit", "verify", "--domain", dir.toString());

        assertThat(r.status()).isZero();
        assertThat(r.out()).contains("records: 4\n").contains("intact: " + log);
        assertThat(head(r)).hasSize(64);
        assertThat(CliRunner.run("", "audit", "verify", log.toString()).status()).isZero();
    }

    @Test
    void verify_editedRecord_namesItsLineAndFails() throws Exception {
        List<String> lines = new ArrayList<>(Files.readAllLines(log));
        lines.set(1, lines.get(1).replace("key([01])", "key([07])"));
        Files.write(log, lines);

        Result r = CliRunner.run("", "audit", "verify", "--domain", dir.toString());
        assertThat(r.status()).isEqualTo(TaoCli.EXIT_INPUT);
        assertThat(r.out()).contains("broken at line 2: the chain value does not match").contains("NOT intact");
    }

    @Test
    void verify_newestRecordsCutOff_areFoundByTheIssuedCertificatesAndByAnEarlierHead() throws Exception {
        String head = head(CliRunner.run("", "audit", "verify", log.toString()));
        List<String> lines = Files.readAllLines(log);
        Files.write(log, lines.subList(0, 2));

        Result byCertificates = CliRunner.run("", "audit", "verify", "--domain", dir.toString());
        assertThat(byCertificates.status()).isEqualTo(TaoCli.EXIT_INPUT);
        assertThat(byCertificates.out()).contains("missing: certificate a2 was issued but has no 'issued' record")
                .contains("missing: certificate a3");

        Result byHead = CliRunner.run("", "audit", "verify", log.toString(), "--expect", head);
        assertThat(byHead.status()).isEqualTo(TaoCli.EXIT_INPUT);
        assertThat(byHead.out()).contains("missing: the expected head " + head);
    }

    @Test
    void verify_badUsageOrUnreadableLog_saysSo() {
        assertThat(CliRunner.run("", "audit", "verify").status()).isEqualTo(TaoCli.EXIT_USAGE);
        assertThat(CliRunner.run("", "audit", "verify", log.toString(), "--expect", "abc").status())
                .isEqualTo(TaoCli.EXIT_USAGE);
        Result missing = CliRunner.run("", "audit", "verify", tmp.resolve("nothing.log").toString());
        assertThat(missing.status()).isEqualTo(TaoCli.EXIT_INPUT);
        assertThat(missing.err()).contains("no such file");
    }
}
