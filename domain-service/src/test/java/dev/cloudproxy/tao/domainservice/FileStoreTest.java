package dev.cloudproxy.tao.domainservice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cloudproxy.tao.keys.Signer;
import java.io.BufferedReader;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link FileStore}'s group commit: the journal, the audit log and the {@code issued/} index together. */
class FileStoreTest {
    @TempDir
    Path tmp;

    @Test
    void recordIssued_sixtyFourAtOnce_everyCertificateRecordedFoundAndInTheAuditChain() throws Exception {
        try (ServiceFixture f = new ServiceFixture(tmp); FileStore store = open(f)) {
            List<X509Certificate> certs = new ArrayList<>();
            for (int i = 0; i < 64; i++) {
                certs.add(issue(f));
            }
            ExecutorService pool = Executors.newFixedThreadPool(16);
            try {
                List<Future<?>> done = new ArrayList<>();
                for (X509Certificate c : certs) {
                    done.add(pool.submit(() -> {
                        store.recordIssued(c, f.issuedRecord(c));
                        return null;
                    }));
                }
                for (Future<?> d : done) {
                    d.get(30, TimeUnit.SECONDS);
                }
            } finally {
                pool.shutdownNow();
            }

            List<BigInteger> serials = certs.stream().map(X509Certificate::getSerialNumber).toList();
            assertThat(store.certificates().issuedTo(f.programName(ServiceFixture.HASH)))
                    .containsExactlyInAnyOrderElementsOf(serials);
            assertThat(IssuedJournal.read(store.certificates().journalFile())).containsExactlyInAnyOrderElementsOf(certs);
            for (X509Certificate c : certs) {
                assertThat(store.certificates().hasFile(c.getSerialNumber())).isTrue();
            }
            AuditChain.Verification v = verify(store.audit().file());
            assertThat(v.intact()).isTrue();
            assertThat(v.issuedSerials()).containsExactlyInAnyOrderElementsOf(
                    serials.stream().map(CertificateRegistry::serialText).toList());
            long[] counts = store.commitCounts();
            assertThat(counts[1]).isEqualTo(64);
            assertThat(counts[0]).isBetween(1L, 64L);
        }
    }

    @Test
    void recordIssued_auditLogCannotBeWritten_failsWithCommitFailedAndRecordsNothing() throws Exception {
        try (ServiceFixture f = new ServiceFixture(tmp); FileStore store = open(f)) {
            X509Certificate kept = issue(f);
            store.recordIssued(kept, f.issuedRecord(kept));
            long journalBefore = Files.size(store.certificates().journalFile());
            long auditBefore = Files.size(store.audit().file());
            store.audit().close();

            X509Certificate lost = issue(f);
            assertThrows(CommitFailedException.class, () -> store.recordIssued(lost, f.issuedRecord(lost)));

            assertThat(Files.size(store.certificates().journalFile())).isEqualTo(journalBefore);
            assertThat(Files.size(store.audit().file())).isEqualTo(auditBefore);
            assertThat(store.certificates().issued(lost.getSerialNumber())).isEmpty();
            assertThat(store.certificates().issuedTo(f.programName(ServiceFixture.HASH)))
                    .containsExactly(kept.getSerialNumber());
        }
    }

    @Test
    void recordIssued_serialAlreadyRecorded_throwsDuplicateAndAuditsNothing() throws Exception {
        try (ServiceFixture f = new ServiceFixture(tmp); FileStore store = open(f)) {
            X509Certificate cert = issue(f);
            store.recordIssued(cert, f.issuedRecord(cert));
            long auditBefore = Files.size(store.audit().file());

            assertThrows(DuplicateSerialException.class, () -> store.recordIssued(cert, f.issuedRecord(cert)));

            assertThat(Files.size(store.audit().file())).isEqualTo(auditBefore);
            assertThat(IssuedJournal.read(store.certificates().journalFile())).containsExactly(cert);
        }
    }

    @Test
    void open_indexFileLostInACrash_certificateStillFoundAndItsFileRebuilt() throws Exception {
        try (ServiceFixture f = new ServiceFixture(tmp)) {
            X509Certificate cert = issue(f);
            try (FileStore store = open(f)) {
                store.recordIssued(cert, f.issuedRecord(cert));
            }
            Path file = f.dir.resolve(CertificateRegistry.ISSUED_DIR)
                    .resolve(CertificateRegistry.serialText(cert.getSerialNumber()) + ".pem");
            Files.delete(file);

            // Found from the journal alone, as `tao domain revoke` would look for it.
            CertificateRegistry reader = new CertificateRegistry(f.domain);
            assertThat(reader.issued(cert.getSerialNumber())).contains(cert);
            assertThat(reader.issuedTo(f.programName(ServiceFixture.HASH))).containsExactly(cert.getSerialNumber());

            try (FileStore store = open(f)) {
                assertThat(file).exists();
                assertThrows(DuplicateSerialException.class, () -> store.recordIssued(cert, f.issuedRecord(cert)));
            }
        }
    }

    @Test
    void open_journalEndsInAPartialRecord_cutsItOffAndKeepsTheWholeOnes() throws Exception {
        try (ServiceFixture f = new ServiceFixture(tmp)) {
            X509Certificate cert = issue(f);
            Path journal;
            try (FileStore store = open(f)) {
                store.recordIssued(cert, f.issuedRecord(cert));
                journal = store.certificates().journalFile();
            }
            long whole = Files.size(journal);
            // A crash during an append: a length and part of a certificate.
            Files.write(journal, new byte[] {0, 0, 2, 0, 0x30, (byte) 0x82}, StandardOpenOption.APPEND);
            assertThat(IssuedJournal.read(journal)).containsExactly(cert);

            try (FileStore store = open(f)) {
                assertThat(Files.size(journal)).isEqualTo(whole);
                X509Certificate next = issue(f);
                store.recordIssued(next, f.issuedRecord(next));
                assertThat(IssuedJournal.read(journal)).containsExactly(cert, next);
            }
        }
    }

    private FileStore open(ServiceFixture f) throws IOException {
        return FileStore.open(f.domain, tmp.resolve("store-audit.log"));
    }

    private static X509Certificate issue(ServiceFixture f) {
        try (Signer key = Signer.generate()) {
            return f.domain.issueCertificate(key.verifier(), f.programName(ServiceFixture.HASH), Duration.ofDays(1),
                    Instant.now());
        }
    }

    private static AuditChain.Verification verify(Path log) throws IOException {
        try (BufferedReader r = Files.newBufferedReader(log, StandardCharsets.UTF_8)) {
            return AuditChain.verify(r, true);
        }
    }
}
