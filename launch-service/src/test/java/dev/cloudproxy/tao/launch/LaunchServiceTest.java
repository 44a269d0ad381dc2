package dev.cloudproxy.tao.launch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cloudproxy.tao.VerificationException;
import dev.cloudproxy.tao.attestation.Attestation;
import dev.cloudproxy.tao.auth.Bytes;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.PrinExt;
import dev.cloudproxy.tao.channel.ProgramCredentials;
import dev.cloudproxy.tao.channel.TaoChannels;
import dev.cloudproxy.tao.domain.DomainTemplate;
import dev.cloudproxy.tao.domain.PolicyCertificate;
import dev.cloudproxy.tao.domain.ProgramCertificate;
import dev.cloudproxy.tao.domain.RevocationList;
import dev.cloudproxy.tao.guard.AclGuard;
import dev.cloudproxy.tao.host.HostDirectory;
import dev.cloudproxy.tao.host.HostService;
import dev.cloudproxy.tao.host.HostSetup;
import dev.cloudproxy.tao.host.OpenedHost;
import dev.cloudproxy.tao.keys.Argon2Params;
import dev.cloudproxy.tao.keys.Signer;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real host with its launch service, real TLS clients, real programs. */
class LaunchServiceTest {
    private static final char[] PASSWORD = "host password".toCharArray();

    @TempDir
    Path tmp;

    private final TestLaunchDomain domain = new TestLaunchDomain();
    private final Signer policyKey = domain.policyKey;
    private final X509Certificate policyCert = domain.policyCert;
    private OpenedHost opened;
    private HostService host;
    private X509Certificate hostCert;
    private AclGuard guard;
    private LaunchService service;
    private Path script;
    private final Prin alice = client(1);
    private final Prin mallory = client(2);

    private static Prin client(int n) {
        byte[] h = new byte[32];
        h[0] = (byte) n;
        return Prin.key(h).extend(PrinExt.of("Program", new Bytes(new byte[] {(byte) n})));
    }

    @BeforeEach
    void startHost() throws Exception {
        Path dir = tmp.resolve("host");
        HostDirectory d = new HostDirectory(dir);
        HostSetup.initRoot(d, PASSWORD, Optional.empty(), Argon2Params.FLOOR);
        opened = HostSetup.openRoot(d, PASSWORD);
        host = HostService.start(opened);
        hostCert = domain.certifyHost(opened);
        guard = AclGuard.inMemory();
        guard.authorize(alice, LaunchService.OPERATION, List.of("hello"));
        guard.authorize(alice, LaunchService.OPERATION, List.of("chatty"));
        script = script("hello.sh", "echo \"hello $1\"\nexit 3\n");
        Path chatty = script("chatty.sh", "yes 0123456789abcdef\n");
        LaunchCatalog catalog = LaunchCatalog.parse(("# test catalog\n"
                + "Launchable(\"hello\", \"process\", \"" + script + "\", \"run\", 1)\n"
                + "Launchable(\"chatty\", \"process\", \"" + chatty + "\", \"run\", 0)\n"
                + "Launchable(\"nobody\", \"process\", \"" + script + "\", \"run\", 0)\n")
                .getBytes(StandardCharsets.UTF_8));
        LaunchService.Limits limits = new LaunchService.Limits(8, 2, 2, 4096, Duration.ofSeconds(30),
                Duration.ofSeconds(10));
        service = domain.serve(opened, host, hostCert, guard, catalog, limits);
    }

    private Path script(String name, String body) throws IOException {
        return TestLaunchDomain.script(tmp, name, body);
    }

    @AfterEach
    void stop() throws Exception {
        domain.closeWith(service, host, opened);
    }

    private TaoChannels channelsOf(Prin who) throws Exception {
        return domain.client(who);
    }

    private LaunchClient.Result launch(Prin who, String name, String... args) throws Exception {
        return LaunchClient.launch(channelsOf(who), service.address(), name, List.of(args), LaunchClient.newNonce());
    }

    private LaunchRecordVerifier verifier() {
        return LaunchRecordVerifier.forDomain(policyCert);
    }

    private static byte[] sha256(byte[] b) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(b);
    }

    @Test
    void runToCompletion_returnsTheOutputAndARecordThatVerifies_andLeavesNoProcessNorCopy() throws Exception {
        LaunchClient.Result r = launch(alice, "hello", "world");

        assertThat(new String(r.output(), StandardCharsets.UTF_8)).isEqualTo("hello world\n");
        assertThat(r.host()).isEqualTo(opened.host().name());
        VerifiedLaunch v = verifier().verify(r.record(), r.hostCertificate(), r.nonce(), r.output());
        LaunchRecord rec = v.record();
        assertThat(rec.program()).isEqualTo(opened.host().name()
                .extend(PrinExt.of("Program", new Bytes(sha256(Files.readAllBytes(script))))));
        assertThat(rec.catalogName()).isEqualTo("hello");
        assertThat(rec.nonce()).isEqualTo(r.nonce());
        assertThat(rec.exitStatus()).isEqualTo(3);
        assertThat(rec.mode()).isEqualTo(LaunchCatalog.RUN);
        assertThat(rec.outputSha256()).isEqualTo(sha256(r.output()));
        assertThat(v.host()).isEqualTo(opened.host().name());
        assertThat(v.rootedInTpmQuote()).isFalse();
        // No process, no private copy: the record is signed after the host released the program.
        assertThat(ProcessHandle.of(rec.pid()).map(ProcessHandle::isAlive).orElse(false)).isFalse();
        assertThat(host.runner().list()).isEmpty();
        try (Stream<Path> left = Files.list(opened.directory().programs())) {
            assertThat(left).isEmpty();
        }
    }

    @Test
    void verify_oneChangedByteOfTheOutput_fails() throws Exception {
        LaunchClient.Result r = launch(alice, "hello", "world");
        byte[] out = r.output();
        out[0] ^= 1;

        VerificationException e = assertThrows(VerificationException.class,
                () -> verifier().verify(r.record(), r.hostCertificate(), r.nonce(), out));
        assertThat(e).hasMessageContaining("output");
    }

    /**
     * Every flipped byte of the record fails, except inside the attestation header's informational
     * key name and epoch, which CloudProxy's signature does not cover (core's AttestationTest): a
     * flip there changes nothing the verifier reports.
     */
    @Test
    void verify_anyFlippedBitOfTheRecord_failsOrLeavesTheVerifiedLaunchUnchanged() throws Exception {
        LaunchClient.Result r = launch(alice, "hello", "world");
        VerifiedLaunch expected = verifier().verify(r.record(), r.hostCertificate(), r.nonce(), r.output());
        byte[] rec = r.record();
        int survived = 0;
        for (int i = 0; i < rec.length; i++) {
            byte[] bad = rec.clone();
            bad[i] ^= 0x01;
            try {
                assertThat(verifier().verify(bad, r.hostCertificate(), r.nonce(), r.output())).isEqualTo(expected);
                survived++;
            } catch (VerificationException e) {
                // expected for every byte the signature covers
            }
        }
        assertThat(survived).isLessThanOrEqualTo(8);
    }

    @Test
    void verify_recordReplayedForAnotherNonce_fails() throws Exception {
        LaunchClient.Result r = launch(alice, "hello", "world");
        byte[] other = r.nonce();
        other[5] ^= 1;

        VerificationException e = assertThrows(VerificationException.class,
                () -> verifier().verify(r.record(), r.hostCertificate(), other, r.output()));
        assertThat(e).hasMessageContaining("nonce");
    }

    @Test
    void verify_recordSignedByAnotherHostKey_fails() throws Exception {
        LaunchClient.Result r = launch(alice, "hello", "world");
        // The same host name certified for another key: the record's key is not the certified one.
        Signer other = domain.newKey();
        X509Certificate otherCert = ProgramCertificate.issue(policyKey, policyCert, other.verifier(),
                opened.host().name(), Duration.ofDays(1), Instant.now());
        VerificationException e = assertThrows(VerificationException.class,
                () -> verifier().verify(r.record(), otherCert.getEncoded(), r.nonce(), r.output()));
        assertThat(e).hasMessageContaining("not signed by the key of the host certificate");

        // A record the other key signed itself, for the same statement, under this host's certificate.
        Attestation forged = Attestation.sign(other, Attestation.parse(r.record()).statement());
        assertThrows(VerificationException.class,
                () -> verifier().verify(forged.serialize(), r.hostCertificate(), r.nonce(), r.output()));
    }

    @Test
    void verify_hostCertificateOfAnotherDomain_fails() throws Exception {
        LaunchClient.Result r = launch(alice, "hello", "world");
        try (Signer otherPolicy = Signer.generate()) {
            X509Certificate otherDomain = PolicyCertificate.create(otherPolicy, "launch test",
                    DomainTemplate.X509Details.NONE, 30);
            assertThrows(VerificationException.class, () -> LaunchRecordVerifier.forDomain(otherDomain)
                    .verify(r.record(), r.hostCertificate(), r.nonce(), r.output()));
        }
    }

    @Test
    void verify_expiredHostCertificate_fails() throws Exception {
        LaunchClient.Result r = launch(alice, "hello", "world");

        VerificationException e = assertThrows(VerificationException.class, () -> verifier()
                .at(Instant.now().plus(Duration.ofDays(2))).verify(r.record(), r.hostCertificate(), r.nonce()));
        assertThat(e).hasMessageContaining("host certificate");
    }

    @Test
    void verify_revokedHostCertificate_fails_whileAListWithoutItPasses() throws Exception {
        LaunchClient.Result r = launch(alice, "hello", "world");
        Instant now = Instant.now();
        byte[] empty = RevocationList.issue(policyKey, policyCert, List.of(), BigInteger.ONE, now,
                now.plus(Duration.ofDays(1))).getEncoded();
        byte[] revoking = RevocationList.issue(policyKey, policyCert,
                List.of(new RevocationList.Entry(hostCert.getSerialNumber(), now)), BigInteger.TWO, now,
                now.plus(Duration.ofDays(1))).getEncoded();

        verifier().withCrl(empty).verify(r.record(), r.hostCertificate(), r.nonce(), r.output());
        VerificationException e = assertThrows(VerificationException.class,
                () -> verifier().withCrl(revoking).verify(r.record(), r.hostCertificate(), r.nonce(), r.output()));
        assertThat(e).hasMessageContaining("revoked");
    }

    @Test
    void unauthorizedClient_isRefused_andNothingIsStarted() throws Exception {
        LaunchRefusedException e = assertThrows(LaunchRefusedException.class, () -> launch(mallory, "hello", "x"));

        assertThat(e).hasMessageContaining("Authorized(" + mallory + ", \"Launch\", \"hello\")");
        assertThat(host.runner().find(1)).isEmpty(); // the runner never gave out an id
    }

    @Test
    void catalogNameTheGuardDoesNotAuthorize_isRefused_andNothingIsStarted() throws Exception {
        assertThrows(LaunchRefusedException.class, () -> launch(alice, "nobody"));

        assertThat(host.runner().find(1)).isEmpty();
    }

    @Test
    void unknownName_isRefused_andNothingIsStarted() throws Exception {
        LaunchRefusedException e = assertThrows(LaunchRefusedException.class, () -> launch(alice, "/bin/sh"));

        assertThat(e).hasMessageContaining("no program named");
        assertThat(host.runner().find(1)).isEmpty();
    }

    @Test
    void moreArgumentsThanTheCatalogAllows_isRefused_andNothingIsStarted() throws Exception {
        assertThrows(LaunchRefusedException.class, () -> launch(alice, "hello", "a", "b"));

        assertThat(host.runner().find(1)).isEmpty();
    }

    @Test
    void catalogBinaryReplacedOnDisk_theRecordShowsTheNewMeasurement() throws Exception {
        LaunchClient.Result before = launch(alice, "hello", "world");
        Files.writeString(script, "#!/bin/sh\necho \"replaced $1\"\n");

        LaunchClient.Result after = launch(alice, "hello", "world");

        LaunchRecord a = verifier().verify(before.record(), before.hostCertificate(), before.nonce()).record();
        LaunchRecord b = verifier().verify(after.record(), after.hostCertificate(), after.nonce(), after.output())
                .record();
        assertThat(b.program()).isNotEqualTo(a.program());
        assertThat(b.program()).isEqualTo(opened.host().name()
                .extend(PrinExt.of("Program", new Bytes(sha256(Files.readAllBytes(script))))));
        assertThat(new String(after.output(), StandardCharsets.UTF_8)).isEqualTo("replaced world\n");
    }

    @Test
    void programPrintingMoreThanTheBound_isKilled_andGetsNoRecord() throws Exception {
        LaunchRefusedException e = assertThrows(LaunchRefusedException.class, () -> launch(alice, "chatty"));

        assertThat(e).hasMessageContaining("more than 4096 bytes");
        assertThat(host.runner().list()).isEmpty();
    }

    @Test
    void clientOfAnotherDomain_failsTheHandshake_andNothingIsStarted() throws Exception {
        try (Signer otherPolicy = Signer.generate(); Signer k = Signer.generate()) {
            X509Certificate otherDomain = PolicyCertificate.create(otherPolicy, "other", DomainTemplate.X509Details.NONE,
                    30);
            X509Certificate cert = ProgramCertificate.issue(otherPolicy, otherDomain, k.verifier(), alice,
                    Duration.ofDays(1), Instant.now());
            TaoChannels stranger = TaoChannels.of(ProgramCredentials.of(k, List.of(cert), otherDomain));

            assertThrows(IOException.class, () -> LaunchClient.launch(stranger, service.address(), "hello", List.of(),
                    LaunchClient.newNonce()));
        }
        assertThat(host.runner().find(1)).isEmpty();
    }

    @Test
    void connectionsOfOneClientOverTheBound_areRefused_whileAnotherClientIsServed() throws Exception {
        TaoChannels aliceChannels = channelsOf(alice);
        java.util.List<javax.net.ssl.SSLSocket> held = new java.util.ArrayList<>();
        try {
            for (int i = 0; i < 2; i++) { // the test's bound: 2 per client; these send nothing
                javax.net.ssl.SSLSocket s = (javax.net.ssl.SSLSocket) aliceChannels.sslContext().getSocketFactory()
                        .createSocket(service.address().getAddress(), service.address().getPort());
                s.startHandshake();
                held.add(s);
            }
            Thread.sleep(500); // the server has counted both

            LaunchRefusedException e = assertThrows(LaunchRefusedException.class, () -> LaunchClient.launch(
                    aliceChannels, service.address(), "hello", List.of(), LaunchClient.newNonce()));
            assertThat(e).hasMessageContaining("too many connections");
            LaunchRefusedException other = assertThrows(LaunchRefusedException.class, () -> launch(mallory, "hello"));
            assertThat(other).hasMessageContaining("Authorized("); // served: refused by the guard, not the bound
        } finally {
            for (javax.net.ssl.SSLSocket s : held) {
                s.close();
            }
        }
        assertThat(host.runner().find(1)).isEmpty();
    }

    @Test
    void connectionsOfOneSourceStallingTheirHandshakes_areBoundedToHalfTheSlots_whileAnotherSourceIsServed()
            throws Exception {
        java.net.InetAddress otherSource = java.net.InetAddress.getByName("127.0.0.2");
        java.util.List<java.net.Socket> stalled = new java.util.ArrayList<>();
        try {
            for (int i = 0; i < service.maxPerSource(); i++) { // TCP only: no handshake, nothing sent
                java.net.Socket s = new java.net.Socket();
                s.bind(new java.net.InetSocketAddress(otherSource, 0));
                s.connect(service.address());
                stalled.add(s);
            }
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
            while (service.connectionsFrom(otherSource) < service.maxPerSource() && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            assertThat(service.connectionsFrom(otherSource)).isEqualTo(service.maxPerSource());

            // One more from that source is closed before any handshake work.
            try (java.net.Socket extra = new java.net.Socket()) {
                extra.bind(new java.net.InetSocketAddress(otherSource, 0));
                extra.connect(service.address());
                extra.setSoTimeout(10_000);
                assertThat(extra.getInputStream().read()).isEqualTo(-1);
            }
            // Another source is still served.
            assertThat(launch(alice, "hello").output()).isNotNull();
        } finally {
            for (java.net.Socket s : stalled) {
                s.close();
            }
        }
    }
}
