package dev.cloudproxy.tao.domainservice;

import static dev.cloudproxy.tao.domainservice.ServiceFixture.HASH;
import static dev.cloudproxy.tao.domainservice.ServiceFixture.OTHER_HASH;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cloudproxy.tao.AttestRequest;
import dev.cloudproxy.tao.attestation.Attestation;
import dev.cloudproxy.tao.auth.Bytes;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.PrinExt;
import dev.cloudproxy.tao.auth.Says;
import dev.cloudproxy.tao.auth.Speaksfor;
import dev.cloudproxy.tao.channel.CrlSource;
import dev.cloudproxy.tao.channel.RevocationChecker;
import dev.cloudproxy.tao.channel.RevocationUnknownException;
import dev.cloudproxy.tao.channel.RevokedCertificateException;
import dev.cloudproxy.tao.domain.CertificateRefusedException;
import dev.cloudproxy.tao.domain.Domain;
import dev.cloudproxy.tao.domain.DomainServiceClient;
import dev.cloudproxy.tao.domain.DomainServiceProtocol;
import dev.cloudproxy.tao.domain.ProgramCertificate;
import dev.cloudproxy.tao.keys.Argon2Params;
import dev.cloudproxy.tao.keys.Signer;
import dev.cloudproxy.tao.soft.SoftTao;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import dev.cloudproxy.tao.metrics.MetricsEndpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DomainServiceTest {
    @TempDir
    Path tmp;

    private ServiceFixture f;

    @AfterEach
    void tearDown() throws Exception {
        if (f != null) {
            f.close();
        }
    }

    private ServiceFixture fixture() throws Exception {
        f = new ServiceFixture(tmp);
        return f;
    }

    private static CertificateRefusedException refused(Callable<?> call) {
        return assertThrows(CertificateRefusedException.class, call::call);
    }

    @Test
    void certify_programOfATrustedHostWithATrustedHash_getsAVerifiedCertificate() throws Exception {
        fixture();
        SoftTao program = f.program(HASH);
        Signer key = f.newKey();
        Attestation a = program.attest(ServiceFixture.keyRequest(key, program.getTaoName()));

        X509Certificate cert = f.client.certify(a, key.verifier());

        assertThat(ProgramCertificate.verify(cert, f.domain.policyCertificate(), Instant.now()))
                .isEqualTo(f.programName(HASH));
        assertThat(cert.getPublicKey().getEncoded()).isEqualTo(key.verifier().pkix());
        String serial = CertificateRegistry.serialText(cert.getSerialNumber());
        assertThat(f.dir.resolve("issued").resolve(serial + ".pem")).exists();
        assertThat(f.auditLines()).anySatisfy(line -> assertThat(line.split("\t"))
                .containsSubsequence("issued", f.programName(HASH).toString(), serial));
    }

    @Test
    void certify_issuedCertificate_opensslVerifiesAgainstThePolicyCertificate() throws Exception {
        ServiceFixture.requireOpenssl();
        fixture();
        Signer key = f.newKey();
        X509Certificate cert = f.client.certify(f.hostAttests(f.programName(HASH), key), key.verifier());
        Files.writeString(tmp.resolve("program.pem"), ProgramCertificate.toPem(cert));

        Object[] r = ServiceFixture.openssl(tmp, "verify", "-x509_strict", "-purpose", "sslclient", "-CAfile",
                f.dir.resolve(Domain.POLICY_CERT_FILE).toString(), "program.pem");

        assertThat(r[1]).asString().contains("program.pem: OK");
        assertThat(r[0]).isEqualTo(0);
    }

    @Test
    void certify_nameExtendedWithThisDomainsPolicyKey_isAuthorizedAsTheProgram() throws Exception {
        fixture();
        Signer key = f.newKey();
        Prin name = f.programName(HASH).extend(DomainServiceProtocol.policyKeyExtension(f.domain.policyPrincipal()));

        X509Certificate cert = f.client.certify(f.hostAttests(name, key), key.verifier());

        assertThat(ProgramCertificate.verify(cert, f.domain.policyCertificate(), Instant.now())).isEqualTo(name);
    }

    @Test
    void certify_nameExtendedWithAnotherPolicyKey_isRefused() throws Exception {
        fixture();
        Signer key = f.newKey();
        Prin name = f.programName(HASH).extend(PrinExt.of("PolicyKey", new Bytes(new byte[32])));

        assertThat(refused(() -> f.client.certify(f.hostAttests(name, key), key.verifier())).reason())
                .contains("the guard does not authorize");
    }

    @Test
    void certify_selfSignedAttestationClaimingATrustedProgramsName_isRefused() throws Exception {
        fixture();
        Signer attacker = f.newKey();
        Signer key = f.newKey();
        Attestation forged = ServiceFixture.delegation(attacker, f.programName(HASH), key);

        CertificateRefusedException e = refused(() -> f.client.certify(forged, key.verifier()));

        assertThat(e.reason()).startsWith("the attestation does not verify").contains("does not speak for");
        assertThat(f.auditLines()).anySatisfy(line -> assertThat(line).contains("\trefused\t"));
    }

    @Test
    void certify_trustedHashOnAnUntrustedKey_isRefusedForItsRoot() throws Exception {
        fixture();
        Signer attacker = f.newKey();
        Signer key = f.newKey();
        Attestation selfRooted = ServiceFixture.delegation(attacker,
                ServiceFixture.programName(attacker.principal(), HASH), key);

        assertThat(refused(() -> f.client.certify(selfRooted, key.verifier())).reason())
                .contains("does not root in a key the domain trusts");
    }

    @Test
    void certify_expiredAttestation_isRefused() throws Exception {
        fixture();
        SoftTao program = f.program(HASH);
        Signer key = f.newKey();
        long now = Instant.now().getEpochSecond();
        Attestation expired = program.attest(ServiceFixture.keyRequest(key, program.getTaoName())
                .from(now - 7200).until(now - 3600));

        assertThat(refused(() -> f.client.certify(expired, key.verifier())).reason()).contains("expired");
    }

    @Test
    void metrics_afterAnIssueARefusalAndACrlRequest_countEachAndAScrapeShowsThem() throws Exception {
        fixture();
        Signer key = f.newKey();
        f.client.certify(f.hostAttests(f.programName(HASH), key), key.verifier());
        refused(() -> f.client.certify(f.hostAttests(f.programName(OTHER_HASH), key), key.verifier()));
        f.client.fetchCrl();

        try (MetricsEndpoint endpoint = MetricsEndpoint.start(
                new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), f.service.metrics())) {
            java.net.http.HttpResponse<String> scrape = java.net.http.HttpClient.newHttpClient().send(
                    java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:"
                            + endpoint.address().getPort() + MetricsEndpoint.PATH)).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(scrape.body())
                    .contains("tao_domain_service_decisions_total{decision=\"issued\"} 1\n")
                    .contains("tao_domain_service_decisions_total{decision=\"refused\"} 1\n")
                    .contains("tao_domain_service_refusals_total{reason=\"guard\"} 1\n")
                    .contains("tao_domain_service_crl_requests_total 1\n")
                    .contains("tao_domain_service_handshakes_total{result=\"ok\"} 3\n")
                    .containsPattern("tao_domain_service_crl_age_seconds \\d+\n")
                    .contains("tao_domain_service_connections_open ");
        }
    }

    @Test
    void events_anIssueAndARefusal_areJfrEventsWithPrincipalSerialAndReason() throws Exception {
        fixture();
        Signer key = f.newKey();
        Path file = tmp.resolve("service.jfr");
        try (jdk.jfr.Recording recording = new jdk.jfr.Recording()) {
            recording.enable("dev.cloudproxy.tao.Certification");
            recording.start();
            f.client.certify(f.hostAttests(f.programName(HASH), key), key.verifier());
            refused(() -> f.client.certify(f.hostAttests(f.programName(OTHER_HASH), key), key.verifier()));
            recording.stop();
            recording.dump(file);
        }
        List<jdk.jfr.consumer.RecordedEvent> events = jdk.jfr.consumer.RecordingFile.readAllEvents(file).stream()
                .filter(e -> e.getEventType().getName().equals("dev.cloudproxy.tao.Certification")).toList();
        assertThat(events).extracting(e -> e.getString("decision")).containsExactly("issued", "refused");
        assertThat(events.get(0).getString("principal")).isEqualTo(f.programName(HASH).toString());
        assertThat(events.get(0).getString("serial")).isNotBlank();
        assertThat(events.get(1).getString("reason")).isNotBlank();
        assertThat(events.get(1).getString("serial")).isNull();
    }

    @Test
    void certify_programWhoseHashThePolicyDoesNotTrust_isRefusedByTheGuard() throws Exception {
        fixture();
        Signer key = f.newKey();

        CertificateRefusedException e = refused(
                () -> f.client.certify(f.hostAttests(f.programName(OTHER_HASH), key), key.verifier()));

        assertThat(e.reason()).isEqualTo("the guard does not authorize " + f.programName(OTHER_HASH)
                + ": Authorized(P, \"Execute\") does not hold");
    }

    @Test
    void certify_launchedAppWithUntrustedParts_refusalNamesEachMissingFactAndTheCommand() throws Exception {
        fixture();
        Signer key = f.newKey();
        Prin app = f.host.principal().extend(PrinExt.of("Jvm", part("Runtime", Bytes.ofHex(HASH)),
                dev.cloudproxy.tao.auth.PrinTail.of(PrinExt.of("Agent", new dev.cloudproxy.tao.auth.Str("0.1.0"),
                        Bytes.ofHex(HASH))), part("App", Bytes.ofHex(HASH)), part("Config", Bytes.ofHex(OTHER_HASH))));

        CertificateRefusedException e = refused(() -> f.client.certify(f.hostAttests(app, key), key.verifier()));

        assertThat(e.reason()).startsWith("the guard does not authorize " + app + ": Authorized(P, \"Execute\") does not"
                + " hold; missing TrustedRuntime(ext.Runtime([" + HASH + "])) (tao domain policy DIR --trust-runtime"
                + " JAVA_HOME); TrustedAgent(").contains("(tao domain policy DIR --trust-agent tao-launcher.jar)")
                .contains("; TrustedApp(ext.App([" + HASH + "]), ext.Config([" + OTHER_HASH + "])) (tao domain policy"
                        + " DIR --trust-app -- [the launcher options] app.jar)");
    }

    private static dev.cloudproxy.tao.auth.PrinTail part(String name, Bytes digest) {
        return dev.cloudproxy.tao.auth.PrinTail.of(PrinExt.of(name, digest));
    }

    @Test
    void certify_keyOtherThanTheOneDelegatedTo_isRefused() throws Exception {
        fixture();
        Signer key = f.newKey();
        Signer other = f.newKey();

        assertThat(refused(() -> f.client.certify(f.hostAttests(f.programName(HASH), key), other.verifier())).reason())
                .contains("not to the key sent");
    }

    @Test
    void certify_statementThatIsNotAKeyDelegation_isRefused() throws Exception {
        fixture();
        Signer key = f.newKey();
        Prin name = f.programName(HASH);
        long now = Instant.now().getEpochSecond();
        Attestation other = Attestation.sign(f.host.signer(),
                Says.during(name, now, now + 600, new Speaksfor(key.principal(), f.host.principal())));

        assertThat(refused(() -> f.client.certify(other, key.verifier())).reason()).contains("P says key(K) speaksfor P");
    }

    /** A stacked host (key K2) whose parent is the trusted host, as tao-host's stacked hosts attest. */
    @Test
    void certify_programOfAStackedHostOnATrustedLinuxHostImage_isIssued() throws Exception {
        String linux = "cc".repeat(32);
        f = new ServiceFixture(tmp, true, "linux_host = " + linux + "\n", b -> b);
        Signer stackedKey = f.newKey();
        Signer key = f.newKey();
        Prin stackedName = f.host.principal().extend(PrinExt.of("LinuxHost", Bytes.ofHex(linux)));
        long now = Instant.now().getEpochSecond();
        Attestation parent = Attestation.sign(f.host.signer(),
                Says.during(f.host.principal(), now, now + 3600, new Speaksfor(stackedKey.principal(), stackedName)));
        Prin program = stackedName.extend(PrinExt.of("Program", Bytes.ofHex(HASH)));
        Attestation a = Attestation.sign(stackedKey,
                Says.during(program, now, now + 3600, new Speaksfor(key.principal(), program)), parent);

        X509Certificate cert = f.client.certify(a, key.verifier());

        assertThat(ProgramCertificate.verify(cert, f.domain.policyCertificate(), Instant.now())).isEqualTo(program);
    }

    @Test
    void certify_forgedDelegationToAStackedHost_isRefused() throws Exception {
        String linux = "cc".repeat(32);
        f = new ServiceFixture(tmp, true, "linux_host = " + linux + "\n", b -> b);
        Signer forger = f.newKey();
        Signer key = f.newKey();
        Prin stackedName = f.host.principal().extend(PrinExt.of("LinuxHost", Bytes.ofHex(linux)));
        long now = Instant.now().getEpochSecond();
        // Made by the forger's own key, not by the trusted host the name starts with.
        Attestation forgedParent = Attestation.sign(forger,
                Says.during(forger.principal(), now, now + 3600, new Speaksfor(forger.principal(), stackedName)));
        Prin program = stackedName.extend(PrinExt.of("Program", Bytes.ofHex(HASH)));
        Attestation a = Attestation.sign(forger,
                Says.during(program, now, now + 3600, new Speaksfor(key.principal(), program)), forgedParent);

        assertThat(refused(() -> f.client.certify(a, key.verifier())).reason())
                .startsWith("the attestation does not verify");
    }

    @Test
    void certify_hostCertificateInsteadOfATrustedHostFact_rootsTheChainUntilRevoked() throws Exception {
        f = new ServiceFixture(tmp, false, "", b -> b);
        Prin program = f.programName(HASH);
        f.domain.guard().addRule("Authorized(" + program + ", \"Execute\")");
        f.domain.saveGuard();
        Signer key = f.newKey();
        Attestation a = f.hostAttests(program, key);
        assertThat(refused(() -> f.client.certify(a, key.verifier())).reason())
                .contains("does not root in a key the domain trusts").contains("no host certificate was sent");
        X509Certificate hostCert = f.domain.issueCertificate(f.host.verifier(), f.host.principal(),
                Duration.ofDays(1), Instant.now());

        X509Certificate cert = f.client.certify(a, key.verifier(), List.of(hostCert));
        assertThat(ProgramCertificate.verify(cert, f.domain.policyCertificate(), Instant.now())).isEqualTo(program);

        f.service.registry().revoke(List.of(hostCert.getSerialNumber()), Instant.now());
        assertThat(refused(() -> f.client.certify(a, key.verifier(), List.of(hostCert))).reason())
                .contains("host certificate 0: revoked");
    }

    @Test
    void certify_hostCertificateForAnotherKey_doesNotRootTheChain() throws Exception {
        f = new ServiceFixture(tmp, false, "", b -> b);
        Prin program = f.programName(HASH);
        f.domain.guard().addRule("Authorized(" + program + ", \"Execute\")");
        f.domain.saveGuard();
        Signer key = f.newKey();
        Signer stranger = f.newKey();
        X509Certificate strangerCert = f.domain.issueCertificate(stranger.verifier(), f.host.principal(),
                Duration.ofDays(1), Instant.now());

        assertThat(refused(() -> f.client.certify(f.hostAttests(program, key), key.verifier(),
                List.of(strangerCert))).reason())
                .contains("for a key that signed no level of the chain");
    }

    @Test
    void certify_nameUnderThePolicyKey_isRefusedEvenWhenThePolicyAllowsIt() throws Exception {
        fixture();
        Prin service = DomainServiceProtocol.servicePrincipal(f.domain.policyPrincipal());
        f.domain.guard().addRule("TrustedHost(" + f.domain.policyPrincipal() + ")");
        f.domain.guard().addRule("Authorized(" + service + ", \"Execute\")");
        f.domain.saveGuard();
        Signer key = f.newKey();
        try (var policyKeys = dev.cloudproxy.tao.keys.Keys.load(f.dir.resolve(Domain.POLICY_KEYS_DIR),
                ServiceFixture.PASSWORD)) {
            Attestation a = ServiceFixture.delegation(policyKeys.signer(), service, key);

            assertThat(refused(() -> f.client.certify(a, key.verifier())).reason())
                    .contains("names under the policy key");
        }
    }

    @Test
    void certify_sixteenAtOnce_allAreIssuedWithDistinctSerials() throws Exception {
        fixture();
        int n = 16;
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<X509Certificate>> results = new java.util.ArrayList<>();
            for (int i = 0; i < n; i++) {
                Signer key = f.newKey();
                Attestation a = f.hostAttests(f.programName(HASH), key);
                results.add(pool.submit(() -> {
                    go.await();
                    return f.client.certify(a, key.verifier());
                }));
            }
            go.countDown();
            Set<BigInteger> serials = new HashSet<>();
            for (Future<X509Certificate> r : results) {
                serials.add(r.get(60, TimeUnit.SECONDS).getSerialNumber());
            }
            assertThat(serials).hasSize(n);
            assertThat(f.auditLines().stream().filter(l -> l.contains("\tissued\t"))).hasSize(n);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void certify_whileAClientSitsSilentMidHandshake_isStillAnswered() throws Exception {
        fixture();
        try (Socket silent = new Socket(f.service.address().getAddress(), f.service.address().getPort())) {
            silent.getOutputStream().write(new byte[] {0x16, 0x03, 0x01}); // the start of a TLS record, then nothing
            Signer key = f.newKey();

            assertThat(f.client.certify(f.hostAttests(f.programName(HASH), key), key.verifier())).isNotNull();
        }
    }

    @Test
    void silentClient_isDisconnectedAfterTheReadTimeout() throws Exception {
        f = new ServiceFixture(tmp, true, "", b -> b.readTimeout(Duration.ofMillis(300)));
        try (Socket silent = new Socket(f.service.address().getAddress(), f.service.address().getPort())) {
            silent.setSoTimeout(20_000);
            // The service may send a TLS alert before it closes; what matters is that it closes.
            assertThat(readUntilClosed(silent.getInputStream())).isLessThan(64);
        }
        Signer key = f.newKey();
        assertThat(f.client.certify(f.hostAttests(f.programName(HASH), key), key.verifier())).isNotNull();
    }

    @Test
    void trickleClient_isDisconnectedAtTheConnectionDeadline() throws Exception {
        f = new ServiceFixture(tmp, true, "", b -> b.connectionDeadline(Duration.ofMillis(500)));
        try (SSLSocket tls = tlsTo(f)) {
            OutputStream out = tls.getOutputStream();
            InputStream in = tls.getInputStream();
            out.write(new byte[] {0, 0, 1, 0}); // announces 256 bytes and never sends them
            out.flush();

            assertThat(readUntilClosed(in)).isZero();
        }
    }

    @Test
    void oversizedFrame_closesThatConnectionOnly() throws Exception {
        fixture();
        try (SSLSocket tls = tlsTo(f)) {
            tls.getOutputStream().write(new byte[] {(byte) 0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff});
            tls.getOutputStream().flush();
            assertThat(tls.getInputStream().read()).isEqualTo(-1);
        }
        Signer key = f.newKey();
        assertThat(f.client.certify(f.hostAttests(f.programName(HASH), key), key.verifier())).isNotNull();
        assertThat(f.auditLines()).anySatisfy(line -> assertThat(line).contains("\tbad-request\t")
                .contains("out of range"));
    }

    @Test
    void malformedRequest_getsABadRequestAnswer() throws Exception {
        fixture();
        try (SSLSocket tls = tlsTo(f)) {
            byte[] garbage = "not a protobuf message at all".getBytes(StandardCharsets.US_ASCII);
            DomainServiceProtocol.writeFrame(tls.getOutputStream(), garbage, DomainServiceProtocol.MAX_REQUEST_BYTES);
            byte[] answer = DomainServiceProtocol.readFrame(tls.getInputStream(), DomainServiceProtocol.MAX_RESPONSE_BYTES);

            assertThat(DomainServiceProtocol.parseResponse(answer).getStatus())
                    .isEqualTo(dev.cloudproxy.tao.proto.DomainServiceProtos.DomainServiceStatus.DOMAIN_SERVICE_BAD_REQUEST);
        }
    }

    @Test
    void tooManyConnections_extraOnesAreClosedAndAudited() throws Exception {
        f = new ServiceFixture(tmp, true, "", b -> b.maxConnections(1));
        try (Socket hog = new Socket(f.service.address().getAddress(), f.service.address().getPort());
                Socket extra = new Socket(f.service.address().getAddress(), f.service.address().getPort())) {
            extra.setSoTimeout(20_000);
            assertThat(readUntilClosed(extra.getInputStream())).isZero();
            assertThat(hog.isConnected()).isTrue();
        }
        assertThat(f.auditLines()).anySatisfy(line -> assertThat(line).contains("too many connections"));
    }

    @Test
    void revoke_thenFetchCrl_listsTheSerialAndOpensslReadsIt() throws Exception {
        fixture();
        Signer key = f.newKey();
        X509Certificate cert = f.client.certify(f.hostAttests(f.programName(HASH), key), key.verifier());

        List<BigInteger> revoked = f.service.registry().revoke(List.of(cert.getSerialNumber()), Instant.now());
        X509CRL crl = f.client.fetchCrl();

        assertThat(revoked).containsExactly(cert.getSerialNumber());
        assertThat(crl.isRevoked(cert)).isTrue();
        assertThat(f.service.registry().revoke(List.of(cert.getSerialNumber()), Instant.now())).isEmpty();
        ServiceFixture.requireOpenssl();
        Files.writeString(tmp.resolve("program.pem"), ProgramCertificate.toPem(cert));
        String crlPath = f.dir.resolve(CertificateRegistry.CRL_FILE).toString();
        Object[] text = ServiceFixture.openssl(tmp, "crl", "-in", crlPath, "-noout", "-text");
        assertThat(text[0]).isEqualTo(0);
        assertThat(text[1]).asString().containsIgnoringCase(cert.getSerialNumber().toString(16));
        Object[] verify = ServiceFixture.openssl(tmp, "verify", "-crl_check", "-CRLfile", crlPath, "-CAfile",
                f.dir.resolve(Domain.POLICY_CERT_FILE).toString(), "program.pem");
        assertThat(verify[0]).isNotEqualTo(0);
        assertThat(verify[1]).asString().contains("certificate revoked");
    }

    @Test
    void revoke_thenCheckerRefreshes_refusesTheCertificate() throws Exception {
        fixture();
        Signer key = f.newKey();
        X509Certificate cert = f.client.certify(f.hostAttests(f.programName(HASH), key), key.verifier());
        // The checker a program builds from its domain service's address, as SimpleExample does.
        RevocationChecker checker = RevocationChecker.fromDomainService(f.domain.policyCertificate(),
                f.service.address()).build();
        checker.check(cert);

        f.service.registry().revoke(f.service.registry().issuedTo(f.programName(HASH)), Instant.now());
        checker.refresh();

        RevokedCertificateException e = assertThrows(RevokedCertificateException.class, () -> checker.check(cert));
        assertThat(e).hasMessageContaining(cert.getSerialNumber().toString(16));
    }

    @Test
    void checker_serviceOfAnotherDomain_isNotBelievedAndFailsClosed() throws Exception {
        fixture();
        Signer key = f.newKey();
        X509Certificate cert = f.client.certify(f.hostAttests(f.programName(HASH), key), key.verifier());
        try (TestDomainOfItsOwn other = new TestDomainOfItsOwn()) {
            // A checker of another domain, pointed at this domain's service: the service's TLS
            // certificate does not chain to its policy certificate, so no list is believed.
            RevocationChecker checker = RevocationChecker.builder(other.policyCertificate,
                    CrlSource.domainService(DomainServiceClient.create(f.service.address(), other.policyCertificate)
                            .withTimeout(Duration.ofSeconds(20)))).build();

            assertThrows(IOException.class, checker::refresh);
            assertThrows(RevocationUnknownException.class, () -> checker.check(cert));
        }
    }

    /** A bare policy key and certificate of another domain. */
    private static final class TestDomainOfItsOwn implements AutoCloseable {
        final Signer policyKey = Signer.generate();
        final X509Certificate policyCertificate = dev.cloudproxy.tao.domain.PolicyCertificate.create(policyKey,
                "Other Domain", dev.cloudproxy.tao.domain.DomainTemplate.X509Details.NONE, 30);

        @Override
        public void close() {
            policyKey.close();
        }
    }

    @Test
    void issuedTo_findsEveryCertificateOfAPrincipal() throws Exception {
        fixture();
        Signer k1 = f.newKey();
        Signer k2 = f.newKey();
        X509Certificate c1 = f.client.certify(f.hostAttests(f.programName(HASH), k1), k1.verifier());
        X509Certificate c2 = f.client.certify(f.hostAttests(f.programName(HASH), k2), k2.verifier());

        assertThat(f.service.registry().issuedTo(f.programName(HASH)))
                .containsExactlyInAnyOrder(c1.getSerialNumber(), c2.getSerialNumber());
        assertThat(f.service.registry().issuedTo(f.programName(OTHER_HASH))).isEmpty();
    }

    @Test
    void client_ofAnotherDomain_refusesTheService() throws Exception {
        fixture();
        try (Domain other = Domain.create(tmp.resolve("other"), dev.cloudproxy.tao.domain.DomainTemplate.parse(
                "name = Other\nguard = liberal\n".getBytes(StandardCharsets.UTF_8), "t"),
                ServiceFixture.PASSWORD, Argon2Params.FLOOR)) {
            DomainServiceClient wrong = DomainServiceClient.create(f.service.address(), other.policyCertificate());
            Signer key = f.newKey();

            assertThrows(javax.net.ssl.SSLHandshakeException.class,
                    () -> wrong.certify(f.hostAttests(f.programName(HASH), key), key.verifier()));
        }
    }

    @Test
    void client_programOfTheDomainPosingAsTheService_isRefused() throws Exception {
        fixture();
        Signer impostorKey = f.newKey();
        X509Certificate impostorCert = f.domain.issueCertificate(impostorKey.verifier(), f.programName(HASH),
                Duration.ofDays(1), Instant.now());
        SSLContext tls = ServiceTls.context(impostorKey, impostorCert);
        try (var server = tls.getServerSocketFactory().createServerSocket(0, 1,
                java.net.InetAddress.getLoopbackAddress())) {
            Thread t = new Thread(() -> {
                try (SSLSocket s = (SSLSocket) server.accept()) {
                    s.startHandshake();
                } catch (IOException expected) {
                    // The client aborts the handshake.
                }
            });
            t.start();
            DomainServiceClient client = DomainServiceClient.create(
                    new java.net.InetSocketAddress(server.getInetAddress(), server.getLocalPort()),
                    f.domain.policyCertificate());
            Signer key = f.newKey();

            IOException e = assertThrows(IOException.class,
                    () -> client.certify(f.hostAttests(f.programName(HASH), key), key.verifier()));
            assertThat(e).isInstanceOf(javax.net.ssl.SSLHandshakeException.class);
            t.join(20_000);
        }
    }

    /** Reads until the peer closes (or resets) the connection; returns how many bytes came. */
    private static int readUntilClosed(InputStream in) {
        int n = 0;
        try {
            while (in.read() >= 0) {
                n++;
            }
        } catch (IOException reset) {
            // Closed with a reset: closed all the same.
        }
        return n;
    }

    /** A TLS connection to the service that trusts it blindly: for sending raw frames. */
    private static SSLSocket tlsTo(ServiceFixture f) throws Exception {
        SSLContext context = SSLContext.getInstance("TLSv1.3");
        context.init(null, new javax.net.ssl.TrustManager[] {new javax.net.ssl.X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        }}, null);
        SSLSocket s = (SSLSocket) context.getSocketFactory().createSocket(f.service.address().getAddress(),
                f.service.address().getPort());
        s.setSoTimeout(20_000);
        s.startHandshake();
        return s;
    }
}
