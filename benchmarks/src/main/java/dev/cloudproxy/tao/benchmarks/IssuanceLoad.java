package dev.cloudproxy.tao.benchmarks;

import dev.cloudproxy.tao.attestation.AttestationVerifier;
import dev.cloudproxy.tao.domain.DomainServiceClient;
import dev.cloudproxy.tao.domain.ProgramCertificate;
import dev.cloudproxy.tao.domainservice.CertificateRegistry;
import dev.cloudproxy.tao.domainservice.Certifier;
import dev.cloudproxy.tao.domainservice.DomainService;
import dev.cloudproxy.tao.domainservice.DomainStore;
import dev.cloudproxy.tao.domainservice.FileStore;
import dev.cloudproxy.tao.domainservice.PostgresLocation;
import dev.cloudproxy.tao.domainservice.PostgresStore;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Certificate issuance under load, end to end, for each store, beside the signing baseline, in
 * one run: throughput and latency percentiles with {@code --clients} concurrent clients (default
 * 16), each a program with its own {@link DomainServiceClient} asking for certificate after
 * certificate through the TLS service (which verifies the attestation, asks the Datalog guard,
 * signs, records the certificate and its audit record durably with group commit, and answers).
 * Clients and service share this machine's cores, as they would on one test machine.
 *
 * <p>Rows: {@code Domain.issueCertificate} alone (build and sign); each other stage of a request
 * alone (verifying the attestation, the guard's answer, the client's check of the certificate,
 * one {@code fsync} of this disk); the service's decision without
 * storage or network ({@link Certifier#certify} with a recorder that records nothing: verify,
 * guard, sign); end to end on the file store, with a new TLS connection per request (resuming
 * the client's TLS session) and with kept connections; the same on PostgreSQL when
 * {@code --postgres postgresql://HOST:PORT/DB?user=USER} is given (password from
 * {@code TAO_STORE_PASSWORD}; the database should be empty, a fresh one per run).
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.cloudproxy.tao.benchmarks.IssuanceLoad \
 *     [--seconds 10] [--warmup 5] [--clients 16] [--postgres postgresql://127.0.0.1:5432/bench?user=tao]
 * </pre>
 */
public final class IssuanceLoad {
    private IssuanceLoad() {}

    /** One operation a client thread repeats. */
    @FunctionalInterface
    interface Op {
        void run() throws Exception;
    }

    /** Makes the operation one client thread repeats (its own client, say). */
    @FunctionalInterface
    interface PerThread {
        Op make() throws Exception;
    }

    /** What one row measured. */
    record Result(String name, long ops, double seconds, long[] latenciesNanos) {
        double perSecond() {
            return ops / seconds;
        }

        double percentileMillis(double p) {
            if (latenciesNanos.length == 0) {
                return Double.NaN;
            }
            int i = (int) Math.min(latenciesNanos.length - 1, Math.ceil(p * latenciesNanos.length) - 1);
            return latenciesNanos[Math.max(0, i)] / 1e6;
        }
    }

    public static void main(String[] args) throws Exception {
        int seconds = 10;
        int warmup = 5;
        int clients = 16;
        String postgres = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--seconds" -> seconds = Integer.parseInt(args[++i]);
                case "--warmup" -> warmup = Integer.parseInt(args[++i]);
                case "--clients" -> clients = Integer.parseInt(args[++i]);
                case "--postgres" -> postgres = args[++i];
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + " (--seconds N, --warmup N, --clients N, --postgres postgresql://HOST:PORT/DB?user=USER)");
            }
        }
        List<Result> results = new ArrayList<>();
        try (IssuanceFixture f = new IssuanceFixture()) {
            byte[] attestation = f.attestation.serialize();
            byte[] key = f.programKey.verifier().pkix();
            PerThread sign = () -> () -> f.domain.issueCertificate(f.programKey.verifier(), f.program,
                    Duration.ofDays(1), Instant.now());
            results.add(run("baseline: Domain.issueCertificate alone", clients, warmup, seconds, sign));
            // Where a certificate's time goes, each stage alone at the same concurrency.
            AttestationVerifier verifier = AttestationVerifier.create();
            results.add(run("stage: verify the attestation (parse, signature, time window)", clients, warmup, seconds,
                    () -> () -> verifier.verify(attestation)));
            results.add(run("stage: the guard's answer (Authorized, Datalog)", clients, warmup, seconds,
                    () -> () -> f.domain.guard().isAuthorized(f.program, Certifier.OPERATION, List.of())));
            X509Certificate sample = f.domain.issueCertificate(f.programKey.verifier(), f.program, Duration.ofDays(1),
                    Instant.now());
            results.add(run("stage: the client's check of the certificate", clients, warmup, seconds,
                    () -> () -> ProgramCertificate.verify(sample, f.domain.policyCertificate(), Instant.now())));
            results.add(run("stage: append 1 KiB and fsync (this disk), 1 thread", 1, warmup, seconds, () -> {
                FileChannel file = FileChannel.open(Files.createTempFile(f.tmp, "fsync", ".bin"),
                        StandardOpenOption.WRITE, StandardOpenOption.APPEND);
                ByteBuffer kib = ByteBuffer.allocate(1024);
                return () -> {
                    kib.clear();
                    file.write(kib);
                    file.force(false);
                };
            }));
            Certifier certifier = new Certifier(f.domain, new CertificateRegistry(f.domain), Duration.ofDays(1),
                    Clock.systemUTC());
            results.add(run("decision without storage or network (verify, guard, sign)", clients, warmup, seconds,
                    () -> () -> certifier.certify(attestation, key, List.of(), (cert, subject) -> { })));
            try (DomainService service = start(f, FileStore.open(f.domain, f.tmp.resolve("audit.log")))) {
                results.addAll(endToEnd("files", f, service, clients, warmup, seconds));
            }
            if (postgres != null) {
                String password = System.getenv("TAO_STORE_PASSWORD");
                DomainStore store = PostgresStore.open(f.domain, PostgresLocation.parse(postgres),
                        password == null ? new char[0] : password.toCharArray(), PostgresStore.DEFAULT_POOL_SIZE);
                try (DomainService service = start(f, store)) {
                    results.addAll(endToEnd("PostgreSQL", f, service, clients, warmup, seconds));
                }
            }
            // Again at the end: the first row also pays for warming up the JIT, and the load of a
            // shared machine drifts; the two baseline rows bracket the run.
            results.add(run("baseline again, at the end", clients, warmup, seconds, sign));
        }
        System.out.printf(Locale.ROOT, "%n%d clients, %d s measured after %d s warm-up, %d cores, Java %s%n%n",
                clients, seconds, warmup, Runtime.getRuntime().availableProcessors(), Runtime.version());
        System.out.println("| operation | per second | p50 ms | p99 ms |");
        System.out.println("|---|---|---|---|");
        for (Result r : results) {
            System.out.printf(Locale.ROOT, "| %s | %,.0f | %.2f | %.2f |%n", r.name(), r.perSecond(),
                    r.percentileMillis(0.50), r.percentileMillis(0.99));
        }
    }

    private static DomainService start(IssuanceFixture f, DomainStore store) throws Exception {
        return DomainService.builder(f.domain)
                .listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .lifetime(Duration.ofDays(1))
                .store(store)
                .start();
    }

    private static List<Result> endToEnd(String store, IssuanceFixture f, DomainService service, int clients,
            int warmup, int seconds) throws Exception {
        List<Result> out = new ArrayList<>();
        out.add(run("end to end, " + store + ", new TLS connection per request (session resumed)", clients, warmup,
                seconds, () -> {
                    DomainServiceClient c = DomainServiceClient.create(service.address(), f.domain.policyCertificate());
                    return () -> c.certify(f.attestation, f.programKey.verifier());
                }));
        out.add(run("end to end, " + store + ", kept connections", clients, warmup, seconds, () -> {
            DomainServiceClient c = DomainServiceClient.create(service.address(), f.domain.policyCertificate())
                    .withKeptConnections(1);
            return () -> c.certify(f.attestation, f.programKey.verifier());
        }));
        return out;
    }

    /**
     * Runs {@code threads} threads, each repeating its operation, for {@code warmup} seconds and
     * then {@code seconds} measured; returns the operations completed and their latencies.
     */
    static Result run(String name, int threads, int warmup, int seconds, PerThread perThread) throws Exception {
        System.out.printf(Locale.ROOT, "%s ...%n", name);
        long[][] latencies = new long[threads][];
        int[] counts = new int[threads];
        AtomicReference<Throwable> failure = new AtomicReference<>();
        CountDownLatch ready = new CountDownLatch(threads);
        long start = System.nanoTime() + 500_000_000L;
        long measureFrom = start + warmup * 1_000_000_000L;
        long end = measureFrom + seconds * 1_000_000_000L;
        List<Thread> all = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int me = t;
            Thread thread = new Thread(() -> {
                long[] mine = new long[1 << 16];
                int n = 0;
                try {
                    Op op = perThread.make();
                    ready.countDown();
                    while (System.nanoTime() < start) {
                        java.util.concurrent.locks.LockSupport.parkNanos(1_000_000);
                    }
                    while (true) {
                        long t0 = System.nanoTime();
                        if (t0 >= end) {
                            break;
                        }
                        op.run();
                        long t1 = System.nanoTime();
                        if (t0 >= measureFrom && t1 <= end) {
                            if (n == mine.length) {
                                mine = Arrays.copyOf(mine, n * 2);
                            }
                            mine[n++] = t1 - t0;
                        }
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                    ready.countDown();
                }
                latencies[me] = Arrays.copyOf(mine, n);
                counts[me] = n;
            }, "load-" + t);
            all.add(thread);
            thread.start();
        }
        ready.await();
        for (Thread t : all) {
            t.join();
        }
        if (failure.get() != null) {
            throw new IllegalStateException(name + " failed", failure.get());
        }
        long total = 0;
        for (int c : counts) {
            total += c;
        }
        long[] merged = new long[(int) total];
        int at = 0;
        for (long[] l : latencies) {
            System.arraycopy(l, 0, merged, at, l.length);
            at += l.length;
        }
        Arrays.sort(merged);
        return new Result(name, total, seconds, merged);
    }
}
