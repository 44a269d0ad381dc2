package dev.cloudproxy.tao.domainservice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The audit log's hash chain: what {@link AuditLog} writes and what {@link AuditChain#verify} finds. */
class AuditChainTest {
    private static final Instant T = Instant.parse("2026-12-07T18:00:00Z");

    @TempDir
    Path tmp;

    private Path log;

    private List<String> writeRecords(int n) throws IOException {
        log = tmp.resolve("audit.log");
        try (AuditLog audit = AuditLog.open(log)) {
            for (int i = 0; i < n; i++) {
                assertThat(audit.record(T.plusSeconds(i), "127.0.0.1:" + (1000 + i), AuditLog.Decision.ISSUED,
                        "key([0" + (i % 10) + "])", Integer.toHexString(0x100 + i), "")).isNull();
            }
        }
        return Files.readAllLines(log);
    }

    private static AuditChain.Verification verify(List<String> lines) throws IOException {
        return AuditChain.verify(new BufferedReader(new StringReader(String.join("\n", lines) + "\n")), true);
    }

    @Test
    void verify_recordsAsWritten_isIntactAndListsTheIssuedSerials() throws Exception {
        List<String> lines = writeRecords(5);

        AuditChain.Verification v = verify(lines);
        assertThat(v.intact()).isTrue();
        assertThat(v.records()).isEqualTo(5);
        assertThat(v.unchained()).isZero();
        assertThat(v.issuedSerials()).containsExactlyInAnyOrder("100", "101", "102", "103", "104");
        assertThat(lines.get(4)).endsWith("\t" + v.headHex());
        assertThat(lines).allSatisfy(l -> assertThat(l.split("\t")).hasSize(AuditChain.FIELDS));
    }

    @Test
    void verify_editedRecord_breaksAtThatLine() throws Exception {
        List<String> lines = new ArrayList<>(writeRecords(5));
        lines.set(2, lines.get(2).replace("\tkey([02])\t", "\tkey([09])\t"));

        assertThat(verify(lines).firstBreak()).get().extracting(AuditChain.Break::line).isEqualTo(3L);
    }

    @Test
    void verify_deletedRecord_breaksWhereItWas() throws Exception {
        List<String> lines = new ArrayList<>(writeRecords(5));
        lines.remove(1);

        assertThat(verify(lines).firstBreak()).get().extracting(AuditChain.Break::line).isEqualTo(2L);
    }

    @Test
    void verify_reorderedRecords_breaks() throws Exception {
        List<String> lines = new ArrayList<>(writeRecords(5));
        Collections.swap(lines, 1, 3);

        assertThat(verify(lines).firstBreak()).get().extracting(AuditChain.Break::line).isEqualTo(2L);
    }

    @Test
    void verify_recordInsertedWithoutAChainValue_breaks() throws Exception {
        List<String> lines = new ArrayList<>(writeRecords(3));
        lines.add(2, String.join("\t", T.toString(), "-", "issued", "key([05])", "999", "-"));

        assertThat(verify(lines).firstBreak()).get().satisfies(b -> {
            assertThat(b.line()).isEqualTo(3L);
            assertThat(b.reason()).contains("without a chain value");
        });
    }

    @Test
    void verify_recordsCutOffTheEnd_leaveNoBreakButAnEarlierHeadIsMissing() throws Exception {
        List<String> lines = writeRecords(5);
        String head = verify(lines).headHex();

        AuditChain.Verification cut = verify(lines.subList(0, 3));
        assertThat(cut.intact()).isTrue();
        assertThat(cut.contains(head)).isFalse();
        assertThat(cut.issuedSerials()).doesNotContain("103", "104");
        assertThat(verify(lines).contains(verify(lines.subList(0, 3)).headHex())).isTrue();
    }

    @Test
    void verify_malformedLines_breakWithTheirLineNumber() throws Exception {
        List<String> lines = new ArrayList<>(writeRecords(2));
        assertThat(verify(List.of(lines.get(0), "not a record")).firstBreak()).get()
                .satisfies(b -> assertThat(b.reason()).contains("not an audit record"));
        assertThat(verify(List.of(lines.get(0), lines.get(1).substring(0, lines.get(1).length() - 1) + "g"))
                .firstBreak()).get().extracting(AuditChain.Break::line).isEqualTo(2L);
        assertThat(verify(List.of(lines.get(0), lines.get(1) + "\textra")).firstBreak()).isPresent();
        assertThat(verify(List.of("")).firstBreak()).isPresent();
        assertThat(AuditChain.verify(new BufferedReader(new StringReader(lines.get(0) + "\n" + lines.get(1))), false)
                .firstBreak()).get().satisfies(b -> assertThat(b.reason()).contains("partial record"));
    }

    @Test
    void open_again_continuesTheChain() throws Exception {
        writeRecords(3);
        try (AuditLog audit = AuditLog.open(log)) {
            assertThat(audit.record(T, "-", AuditLog.Decision.REFUSED, "key([0a])", null, "the guard says no")).isNull();
        }

        AuditChain.Verification v = verify(Files.readAllLines(log));
        assertThat(v.intact()).isTrue();
        assertThat(v.records()).isEqualTo(4);
    }

    @Test
    void open_logFromBeforeTheChain_keepsItAsAnUnchainedPrefixThatCannotBeChangedLater() throws Exception {
        log = tmp.resolve("audit.log");
        String old = String.join("\t", T.toString(), "-", "issued", "key([01])", "abc", "-") + "\n"
                + String.join("\t", T.toString(), "-", "refused", "key([02])", "-", "no") + "\n";
        Files.writeString(log, old);
        try (AuditLog audit = AuditLog.open(log)) {
            assertThat(audit.record(T, "-", AuditLog.Decision.ISSUED, "key([03])", "def", null)).isNull();
        }

        List<String> lines = Files.readAllLines(log);
        AuditChain.Verification v = verify(lines);
        assertThat(v.intact()).isTrue();
        assertThat(v.unchained()).isEqualTo(2);
        assertThat(v.issuedSerials()).containsExactly("def");

        List<String> edited = new ArrayList<>(lines);
        edited.set(0, edited.get(0).replace("key([01])", "key([09])"));
        assertThat(verify(edited).firstBreak()).get().extracting(AuditChain.Break::line).isEqualTo(3L);
    }

    @Test
    void open_logEndingInAPartialRecord_isRefusedWithTheRemedyAndLeftUntouched() throws Exception {
        writeRecords(2);
        Files.writeString(log, "2026-12-07T18:00:00Z\t-\tiss", java.nio.file.StandardOpenOption.APPEND);
        byte[] before = Files.readAllBytes(log);

        assertThatThrownBy(() -> AuditLog.open(log)).isInstanceOf(AuditLogException.class)
                .hasMessageContaining("partial record").hasMessageContaining("tao audit verify");
        assertThat(Files.readAllBytes(log)).isEqualTo(before);
    }

    @Test
    void open_lastLineNotARecordOrTooLong_isRefused() throws Exception {
        log = tmp.resolve("audit.log");
        Files.writeString(log, "hello\n");
        assertThatThrownBy(() -> AuditLog.open(log)).isInstanceOf(AuditLogException.class)
                .hasMessageContaining("not an audit record");

        Files.writeString(log, "x".repeat(AuditLog.MAX_LINE_BYTES + 10) + "\n");
        assertThatThrownBy(() -> AuditLog.open(log)).isInstanceOf(AuditLogException.class)
                .hasMessageContaining("longer than any record");

        Files.writeString(log, String.join("\t", T.toString(), "-", "issued", "-", "-", "-", "zz") + "\n");
        assertThatThrownBy(() -> AuditLog.open(log)).isInstanceOf(AuditLogException.class)
                .hasMessageContaining("no valid chain value");
    }

    @Test
    void record_fromManyThreads_isOneUnbrokenChain() throws Exception {
        log = tmp.resolve("audit.log");
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try (AuditLog audit = AuditLog.open(log)) {
            List<Future<IOException>> writes = new ArrayList<>();
            for (int i = 0; i < 2000; i++) {
                String serial = Integer.toHexString(0x1000 + i);
                writes.add(pool.submit(() -> audit.record(Instant.now(), "-", AuditLog.Decision.ISSUED, "key([01])",
                        serial, "")));
            }
            for (Future<IOException> w : writes) {
                assertThat(w.get()).isNull();
            }
        } finally {
            pool.shutdown();
        }

        AuditChain.Verification v = verify(Files.readAllLines(log, StandardCharsets.UTF_8));
        assertThat(v.intact()).isTrue();
        assertThat(v.issuedSerials()).hasSize(2000);
    }
}
