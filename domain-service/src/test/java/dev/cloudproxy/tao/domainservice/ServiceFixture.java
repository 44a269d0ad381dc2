package dev.cloudproxy.tao.domainservice;

import dev.cloudproxy.tao.AttestRequest;
import dev.cloudproxy.tao.attestation.Attestation;
import dev.cloudproxy.tao.auth.Bytes;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.PrinExt;
import dev.cloudproxy.tao.auth.Says;
import dev.cloudproxy.tao.auth.Speaksfor;
import dev.cloudproxy.tao.domain.Domain;
import dev.cloudproxy.tao.domain.DomainServiceClient;
import dev.cloudproxy.tao.domain.DomainTemplate;
import dev.cloudproxy.tao.auth.SubPrin;
import dev.cloudproxy.tao.keys.Argon2Params;
import dev.cloudproxy.tao.keys.Keys;
import dev.cloudproxy.tao.keys.Signer;
import dev.cloudproxy.tao.soft.SoftTao;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A domain from docs/domain_template.txt that trusts one soft-Tao host and one program hash, its
 * running service and a client. Tests make programs by extending a soft Tao's name with
 * {@code Program([hash])}: the soft Tao then signs for that name as a host signs for the programs
 * it runs, with no host daemon needed.
 */
final class ServiceFixture implements AutoCloseable {
    static final char[] PASSWORD = "domain password".toCharArray();
    static final String HASH = "aa".repeat(32);
    static final String OTHER_HASH = "bb".repeat(32);

    final Path dir;
    final Path hostKeyDir;
    /** The host's keys: it signs for {@code key(H).Program([..])} as a host signs for its programs. */
    final Keys host;
    final Domain domain;
    final DomainService service;
    final DomainServiceClient client;
    private final List<AutoCloseable> closeLater = new ArrayList<>();

    /** A domain whose template gets {@code extraLines}; {@code trustHost} adds the host as TrustedHost. */
    ServiceFixture(Path tmp, boolean trustHost, String extraLines, DomainServiceCustomizer customize) throws Exception {
        this.dir = tmp.resolve("domain");
        this.host = Keys.generate();
        this.hostKeyDir = tmp.resolve("host-keys");
        host.save(hostKeyDir, PASSWORD, Argon2Params.FLOOR);
        String lines = "program = " + HASH + "\n" + (trustHost ? "host = " + host.principal() + "\n" : "") + extraLines;
        String text = Files.readString(Path.of("..", "docs", "domain_template.txt")) + lines;
        this.domain = Domain.create(dir, DomainTemplate.parse(text.getBytes(StandardCharsets.UTF_8), "template"),
                PASSWORD, Argon2Params.FLOOR);
        DomainService.Builder b = DomainService.builder(domain)
                .listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        this.service = customize.apply(b).start();
        this.client = DomainServiceClient.create(service.address(), domain.policyCertificate())
                .withTimeout(Duration.ofSeconds(20));
    }

    ServiceFixture(Path tmp) throws Exception {
        this(tmp, true, "", b -> b);
    }

    interface DomainServiceCustomizer {
        DomainService.Builder apply(DomainService.Builder b);
    }

    /**
     * A soft Tao on the host's key whose name is extended with {@code Program([hash])}: it attests
     * and seals exactly as a program of that host would see it.
     */
    SoftTao program(String hash) throws Exception {
        SoftTao tao = SoftTao.open(hostKeyDir, PASSWORD);
        tao.extendTaoName(SubPrin.of(PrinExt.of("Program", Bytes.ofHex(hash))));
        closeLater.add(tao);
        return tao;
    }

    /** What the host signs for its program {@code name}: {@code name says key(K) speaksfor name}. */
    Attestation hostAttests(Prin name, Signer programKey) {
        return delegation(host.signer(), name, programKey);
    }

    Prin programName(String hash) {
        return programName(host.principal(), hash);
    }

    static Prin programName(Prin host, String hash) {
        return host.extend(PrinExt.of("Program", Bytes.ofHex(hash)));
    }

    /** {@code name says key(K) speaksfor name}, signed by {@code signer} (no delegation). */
    static Attestation delegation(Signer signer, Prin name, Signer programKey) {
        long now = System.currentTimeMillis() / 1000;
        return Attestation.sign(signer, Says.during(name, now, now + 3600, new Speaksfor(programKey.principal(), name)));
    }

    static AttestRequest keyRequest(Signer programKey, Prin name) {
        return AttestRequest.of(new Speaksfor(programKey.principal(), name));
    }

    Signer newKey() {
        Signer s = Signer.generate();
        closeLater.add(s);
        return s;
    }

    /** The {@code issued} audit record of {@code cert}, issued to {@code programName(HASH)}. */
    AuditRecord issuedRecord(java.security.cert.X509Certificate cert) {
        return new AuditRecord(java.time.Instant.now(), "127.0.0.1:1", AuditLog.Decision.ISSUED,
                programName(HASH).toString(), CertificateRegistry.serialText(cert.getSerialNumber()), null);
    }

    List<String> auditLines() throws IOException {
        return Files.readAllLines(service.auditFile(), StandardCharsets.UTF_8);
    }

    static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }

    @Override
    public void close() throws Exception {
        service.close();
        domain.close();
        host.close();
        for (AutoCloseable c : closeLater) {
            c.close();
        }
    }

    /** Fails the test, naming what to install, when there is no working openssl binary. */
    static void requireOpenssl() throws InterruptedException {
        boolean works;
        try {
            Process p = new ProcessBuilder("openssl", "version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            works = p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            works = false;
        }
        if (!works) {
            throw new AssertionError("openssl is not installed, and this test uses it as an independent TLS/X.509 implementation:"
                    + " install it (Debian/Ubuntu: apt-get install -y openssl) and run again");
        }
    }

    /** Runs openssl with {@code args} in {@code dir}; returns exit status and combined output. */
    static Object[] openssl(Path dir, String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add("openssl");
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("openssl hung");
        }
        return new Object[] {p.exitValue(), out};
    }
}
