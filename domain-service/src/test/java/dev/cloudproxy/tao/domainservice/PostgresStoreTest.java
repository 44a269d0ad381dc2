package dev.cloudproxy.tao.domainservice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cloudproxy.tao.domain.DomainTemplate;
import dev.cloudproxy.tao.domain.Domain;
import dev.cloudproxy.tao.domain.RevocationList;
import dev.cloudproxy.tao.keys.Argon2Params;
import dev.cloudproxy.tao.keys.Signer;
import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link PostgresStore} against a throwaway cluster ({@link PostgresCluster}); two stores on one database stand for two replicas. */
class PostgresStoreTest {
    @TempDir
    Path tmp;

    private static final char[] PW = PostgresCluster.PASSWORD;

    @Test
    void service_onPostgres_issuesRecordsAndAuditsInTheDatabase() throws Exception {
        PostgresLocation db = PostgresCluster.shared().newDatabase();
        try (ServiceFixture f = new ServiceFixture(tmp);
                DomainService service = DomainService.builder(f.domain)
                        .store(PostgresStore.open(f.domain, db, PW, 4))
                        .listen(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).start()) {
            var client = dev.cloudproxy.tao.domain.DomainServiceClient.create(service.address(),
                    f.domain.policyCertificate());
            Signer key = f.newKey();
            X509Certificate cert = client.certify(f.hostAttests(f.programName(ServiceFixture.HASH), key), key.verifier());

            assertThat(service.registry().issued(cert.getSerialNumber())).contains(cert);
            assertThat(service.registry().issuedTo(f.programName(ServiceFixture.HASH)))
                    .containsExactly(cert.getSerialNumber());
            assertThat(((PostgresStore) service.store()).auditLines()).anySatisfy(l -> assertThat(l.split("\t"))
                    .contains("issued", f.programName(ServiceFixture.HASH).toString(),
                            CertificateRegistry.serialText(cert.getSerialNumber())));
            // The embedded default is untouched: nothing went to the domain directory.
            assertThat(f.dir.resolve(CertificateRegistry.ISSUED_DIR)).doesNotExist();
        }
    }

    @Test
    void record_sameSerialTwice_throwsDuplicateSerialException() throws Exception {
        try (Replicas r = new Replicas(2)) {
            X509Certificate cert = issue(r.f);
            r.one.record(cert);

            assertThrows(DuplicateSerialException.class, () -> r.two.record(cert));
            assertThat(r.two.issued(cert.getSerialNumber())).contains(cert);
        }
    }

    @Test
    void revoke_throughOneReplica_isInTheCrlTheOtherServesNext() throws Exception {
        try (Replicas r = new Replicas(2)) {
            X509Certificate cert = issue(r.f);
            r.one.record(cert);
            BigInteger before = RevocationList.number(r.two.currentCrl(Instant.now()));

            assertThat(r.one.revoke(List.of(cert.getSerialNumber()), Instant.now())).containsExactly(cert.getSerialNumber());

            X509CRL crl = r.two.currentCrl(Instant.now());
            assertThat(RevocationList.number(crl)).isGreaterThan(before);
            assertThat(RevocationList.entries(crl)).extracting(RevocationList.Entry::serial)
                    .containsExactly(cert.getSerialNumber());
            assertThat(r.two.isRevoked(cert.getSerialNumber())).isTrue();
            assertThat(r.two.revoke(List.of(cert.getSerialNumber()), Instant.now())).isEmpty();
        }
    }

    @Test
    void revoke_concurrentlyFromTwoReplicas_losesNoneAndNumbersIncrease() throws Exception {
        try (Replicas r = new Replicas(4)) {
            ExecutorService pool = Executors.newFixedThreadPool(8);
            List<Future<X509CRL>> crls = new ArrayList<>();
            Set<BigInteger> all = new HashSet<>();
            for (int i = 1; i <= 40; i++) {
                BigInteger serial = BigInteger.valueOf(1000 + i);
                all.add(serial);
                PostgresStore s = i % 2 == 0 ? r.one : r.two;
                crls.add(pool.submit(() -> {
                    s.revoke(List.of(serial), Instant.now());
                    return s.currentCrl(Instant.now());
                }));
            }
            for (Future<X509CRL> c : crls) {
                c.get();
            }
            pool.shutdown();

            X509CRL last = r.one.currentCrl(Instant.now());
            assertThat(RevocationList.entries(last)).extracting(RevocationList.Entry::serial)
                    .containsExactlyInAnyOrderElementsOf(all);
            // One CRL per revocation plus the first: every number used once, none skipped back.
            assertThat(RevocationList.number(last)).isEqualTo(BigInteger.valueOf(41));
        }
    }

    @Test
    void audit_fromTwoReplicasAtOnce_isOneUnbrokenChainAndAnEditedRecordBreaksIt() throws Exception {
        try (Replicas r = new Replicas(4)) {
            ExecutorService pool = Executors.newFixedThreadPool(8);
            List<Future<IOException>> writes = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                PostgresStore s = i % 2 == 0 ? r.one : r.two;
                String serial = Integer.toHexString(0x1000 + i);
                writes.add(pool.submit(() -> s.record(Instant.now(), "127.0.0.1:1", AuditLog.Decision.ISSUED,
                        "key([01])", serial, "")));
            }
            for (Future<IOException> w : writes) {
                assertThat(w.get()).isNull();
            }
            pool.shutdown();

            AuditChain.Verification v = verify(r.two.auditLines());
            assertThat(v.intact()).isTrue();
            assertThat(v.records()).isEqualTo(200);
            assertThat(v.issuedSerials()).hasSize(200);

            try (Connection c = PostgresCluster.shared().connect(r.db.database()); Statement st = c.createStatement()) {
                st.execute("UPDATE tao_audit SET principal = 'key([02])'"
                        + " WHERE id = (SELECT id FROM tao_audit ORDER BY id OFFSET 99 LIMIT 1)");
            }
            assertThat(verify(r.one.auditLines()).firstBreak()).get().extracting(AuditChain.Break::line).isEqualTo(100L);
        }
    }

    @Test
    void recordIssued_sixtyFourAtOnceOnTwoReplicas_everyCertificateRecordedAndInTheAuditChain() throws Exception {
        try (Replicas r = new Replicas(4)) {
            List<X509Certificate> certs = new ArrayList<>();
            for (int i = 0; i < 64; i++) {
                certs.add(issue(r.f));
            }
            ExecutorService pool = Executors.newFixedThreadPool(16);
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < certs.size(); i++) {
                PostgresStore s = i % 2 == 0 ? r.one : r.two;
                X509Certificate c = certs.get(i);
                done.add(pool.submit(() -> {
                    s.recordIssued(c, r.f.issuedRecord(c));
                    return null;
                }));
            }
            for (Future<?> d : done) {
                d.get(60, java.util.concurrent.TimeUnit.SECONDS);
            }
            pool.shutdown();

            List<String> serials = certs.stream().map(c -> CertificateRegistry.serialText(c.getSerialNumber())).toList();
            assertThat(r.one.issuedSerials()).containsExactlyInAnyOrderElementsOf(serials);
            assertThat(r.two.issuedTo(r.f.programName(ServiceFixture.HASH)))
                    .containsExactlyInAnyOrderElementsOf(certs.stream().map(X509Certificate::getSerialNumber).toList());
            AuditChain.Verification v = verify(r.two.auditLines());
            assertThat(v.intact()).isTrue();
            assertThat(v.issuedSerials()).containsExactlyInAnyOrderElementsOf(serials);
        }
    }

    @Test
    void recordIssued_auditInsertFails_failsWithCommitFailedAndRecordsNoCertificate() throws Exception {
        try (Replicas r = new Replicas(2)) {
            try (Connection c = PostgresCluster.shared().connect(r.db.database()); Statement st = c.createStatement()) {
                st.execute("CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS"
                        + " $$ BEGIN RAISE EXCEPTION 'audit refused by the test'; END $$");
                st.execute("CREATE TRIGGER refuse_audit BEFORE INSERT ON tao_audit FOR EACH ROW"
                        + " EXECUTE FUNCTION refuse_audit()");
            }
            X509Certificate cert = issue(r.f);

            CommitFailedException e = assertThrows(CommitFailedException.class,
                    () -> r.one.recordIssued(cert, r.f.issuedRecord(cert)));

            assertThat(e).hasMessageContaining("audit refused by the test");
            assertThat(r.two.issued(cert.getSerialNumber())).isEmpty();
            assertThat(r.two.issuedSerials()).isEmpty();
            assertThat(r.two.auditLines()).isEmpty();
        }
    }

    @Test
    void recordIssued_serialAlreadyRecordedByTheOtherReplica_throwsDuplicateAndAuditsNothing() throws Exception {
        try (Replicas r = new Replicas(2)) {
            X509Certificate cert = issue(r.f);
            r.one.recordIssued(cert, r.f.issuedRecord(cert));

            assertThrows(DuplicateSerialException.class, () -> r.two.recordIssued(cert, r.f.issuedRecord(cert)));

            assertThat(r.one.auditLines()).hasSize(1);
        }
    }

    private static AuditChain.Verification verify(List<String> lines) throws IOException {
        return AuditChain.verify(new java.io.BufferedReader(new java.io.StringReader(String.join("\n", lines))), true);
    }

    @Test
    void open_wrongPassword_throwsStoreAuthenticationExceptionWithoutThePassword() throws Exception {
        PostgresLocation db = PostgresCluster.shared().newDatabase();
        try (ServiceFixture f = new ServiceFixture(tmp)) {
            StoreAuthenticationException e = assertThrows(StoreAuthenticationException.class,
                    () -> PostgresStore.open(f.domain, db, "hunter2-wrong".toCharArray(), 1));
            assertThat(e).hasMessageContaining("refused user tao").hasMessageNotContaining("hunter2");
        }
    }

    @Test
    void open_nothingListening_throwsStoreUnavailableException() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        try (ServiceFixture f = new ServiceFixture(tmp)) {
            PostgresLocation nowhere = new PostgresLocation("127.0.0.1", port, "tao", "tao", "disable");
            assertThatThrownBy(() -> PostgresStore.open(f.domain, nowhere, PW, 1))
                    .isInstanceOf(StoreUnavailableException.class).hasMessageContaining("start the database");
        }
    }

    @Test
    void open_schemaOfAnotherVersion_throwsStoreSchemaException() throws Exception {
        assertThatThrownBy(() -> alterThenOpen("UPDATE tao_schema SET version = 99"))
                .isInstanceOf(StoreSchemaException.class).hasMessageContaining("version 99");
    }

    @Test
    void open_anotherDomainsDatabase_throwsStoreSchemaException() throws Exception {
        PostgresLocation db = PostgresCluster.shared().newDatabase();
        try (ServiceFixture f = new ServiceFixture(tmp.resolve("a"));
                Domain other = Domain.create(tmp.resolve("other"), DomainTemplate.parse(
                        Files.readString(Path.of("..", "docs", "domain_template.txt")).getBytes(StandardCharsets.UTF_8),
                        "template"), ServiceFixture.PASSWORD, Argon2Params.FLOOR)) {
            PostgresStore.open(f.domain, db, PW, 1).close();
            assertThatThrownBy(() -> PostgresStore.open(other, db, PW, 1))
                    .isInstanceOf(StoreSchemaException.class).hasMessageContaining("another domain");
        }
    }

    @Test
    void crl_alteredInTheDatabase_isRefused() throws Exception {
        assertThatThrownBy(() -> alterThenOpen(
                "UPDATE tao_crl SET der = overlay(der placing '\\x00'::bytea from octet_length(der) - 3)"))
                .isInstanceOf(StoreException.class).hasMessageContaining("the database was altered");
    }

    /** Opens a store on a fresh database (creating the schema), runs {@code sql} on it, and opens it again. */
    private void alterThenOpen(String sql) throws Exception {
        PostgresCluster cluster = PostgresCluster.shared();
        PostgresLocation db = cluster.newDatabase();
        try (ServiceFixture f = new ServiceFixture(tmp)) {
            PostgresStore.open(f.domain, db, PW, 1).close();
            try (Connection c = cluster.connect(db.database()); Statement s = c.createStatement()) {
                s.execute(sql);
            }
            PostgresStore.open(f.domain, db, PW, 1).close();
        }
    }

    @Test
    void location_parse_readsTheAddressAndRefusesAPasswordWithoutRepeatingIt() {
        PostgresLocation l = PostgresLocation.parse("postgresql://db.example:6432/tao?user=ca&sslmode=verify-full");
        assertThat(l).isEqualTo(new PostgresLocation("db.example", 6432, "tao", "ca", "verify-full"));
        assertThat(PostgresLocation.parse(l.toString())).isEqualTo(l);
        assertThat(PostgresLocation.parse("postgresql://[::1]/tao?user=ca").port()).isEqualTo(5432);

        assertThatThrownBy(() -> PostgresLocation.parse("postgresql://ca:s3cret@db/tao?user=ca"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageNotContaining("s3cret");
        assertThatThrownBy(() -> PostgresLocation.parse("postgresql://db/tao?user=ca&password=s3cret"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageNotContaining("s3cret");
        assertThatThrownBy(() -> PostgresLocation.parse("postgresql://db/tao"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("user");
    }

    /** A domain and two stores on one fresh database, standing for two replicas. */
    private final class Replicas implements AutoCloseable {
        final ServiceFixture f;
        final PostgresLocation db;
        final PostgresStore one;
        final PostgresStore two;

        Replicas(int poolSize) throws Exception {
            db = PostgresCluster.shared().newDatabase();
            f = new ServiceFixture(tmp);
            one = PostgresStore.open(f.domain, db, PW, poolSize);
            two = PostgresStore.open(f.domain, db, PW, poolSize);
        }

        @Override
        public void close() throws Exception {
            one.close();
            two.close();
            f.close();
        }
    }

    private static X509Certificate issue(ServiceFixture f) {
        try (Signer key = Signer.generate()) {
            return f.domain.issueCertificate(key.verifier(), f.programName(ServiceFixture.HASH), Duration.ofDays(1),
                    Instant.now());
        }
    }
}
