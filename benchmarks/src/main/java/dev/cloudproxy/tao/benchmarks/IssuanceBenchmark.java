package dev.cloudproxy.tao.benchmarks;

import dev.cloudproxy.tao.attestation.Attestation;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.domain.Domain;
import dev.cloudproxy.tao.domain.DomainServiceClient;
import dev.cloudproxy.tao.domainservice.CertificateRegistry;
import dev.cloudproxy.tao.domainservice.Certifier;
import dev.cloudproxy.tao.domainservice.DomainService;
import dev.cloudproxy.tao.keys.Signer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Program certificates issued per second by the domain service, end to end (a client connects
 * with TLS 1.3, sends an attestation, gets the certificate and checks it; the service verifies
 * the chain, asks the template's Datalog guard, signs, records the certificate durably in
 * {@code issued/} and audits), with 1 and with 16 client threads; and beside it, in the same run:
 *
 * <ul>
 *   <li>the service's decision without the network ({@link Certifier#certify}: verify, guard,
 *       issue, record);
 *   <li>{@link Domain#issueCertificate} alone (building and signing the certificate);
 *   <li>one bare ECDSA P-256 signature by the policy key over 512 bytes (what a certificate's
 *       signature costs).
 * </ul>
 * Every call issues a new certificate for the same attestation; the service does not
 * deduplicate. See {@code docs/performance.md}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
@State(Scope.Benchmark)
public class IssuanceBenchmark {
    private IssuanceFixture f;
    private Domain domain;
    private DomainService service;
    private DomainServiceClient client;
    private Certifier certifier;
    private Signer programKey;
    private Attestation attestation;
    private byte[] attestationBytes;
    private Prin program;
    private final byte[] tbs = new byte[512];

    @Setup
    public void setUp() throws Exception {
        f = new IssuanceFixture();
        domain = f.domain;
        programKey = f.programKey;
        program = f.program;
        attestation = f.attestation;
        attestationBytes = attestation.serialize();
        service = DomainService.builder(domain)
                .listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .lifetime(Duration.ofDays(1))
                .start();
        client = DomainServiceClient.create(service.address(), domain.policyCertificate());
        certifier = new Certifier(domain, new CertificateRegistry(domain), Duration.ofDays(1), Clock.systemUTC());
    }

    @TearDown
    public void tearDown() throws IOException {
        service.close();
        f.close();
    }

    @Benchmark
    @Threads(1)
    public X509Certificate endToEnd_1thread() throws Exception {
        return client.certify(attestation, programKey.verifier());
    }

    @Benchmark
    @Threads(16)
    public X509Certificate endToEnd_16threads() throws Exception {
        return client.certify(attestation, programKey.verifier());
    }

    @Benchmark
    @Threads(1)
    public Certifier.Decision decisionWithoutNetwork_1thread() throws Exception {
        return certifier.certify(attestationBytes, programKey.verifier().pkix(), List.of());
    }

    @Benchmark
    @Threads(1)
    public X509Certificate baseline_issueCertificateAlone() {
        return domain.issueCertificate(programKey.verifier(), program, Duration.ofDays(1), Instant.now());
    }

    @Benchmark
    @Threads(1)
    public byte[] baseline_policyKeySignature() {
        return f.policyKeys.signer().sign(tbs);
    }
}
