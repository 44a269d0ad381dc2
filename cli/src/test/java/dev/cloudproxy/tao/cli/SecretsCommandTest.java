package dev.cloudproxy.tao.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudproxy.tao.CoreTao;
import dev.cloudproxy.tao.auth.Bytes;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.PrinExt;
import dev.cloudproxy.tao.channel.ProgramCredentials;
import dev.cloudproxy.tao.cli.CliRunner.Result;
import dev.cloudproxy.tao.domain.Domain;
import dev.cloudproxy.tao.domain.DomainTemplate;
import dev.cloudproxy.tao.keys.Argon2Params;
import dev.cloudproxy.tao.keys.Signer;
import dev.cloudproxy.tao.kms.DirectiveVerifier;
import dev.cloudproxy.tao.kms.DirectoryStore;
import dev.cloudproxy.tao.kms.MasterKey;
import dev.cloudproxy.tao.kms.ProtectedObjects;
import dev.cloudproxy.tao.secrets.SecretService;
import dev.cloudproxy.tao.soft.SoftTao;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code tao secrets}: the operator's client, against a secret service running in this JVM. */
class SecretsCommandTest {
    private static final String PASSWORD = "policy password";
    private static final Map<String, String> ENV = Map.of(Passwords.ENV, PASSWORD, "USER", "alice");

    @TempDir
    Path tmp;

    private Path dir;
    private Domain domain;
    private final List<AutoCloseable> closeLater = new ArrayList<>();
    private ProgramCredentials service;

    @BeforeEach
    void createDomainAndServiceCredentials() throws Exception {
        dir = tmp.resolve("domain");
        DomainTemplate template = DomainTemplate.parse(Files.readAllBytes(Path.of("..", "docs", "domain_template.txt")),
                "sample template");
        domain = Domain.create(dir, template, PASSWORD.toCharArray(), Argon2Params.FLOOR);
        closeLater.add(domain);
        Signer key = Signer.generate();
        closeLater.add(key);
        Prin name = Prin.key(new byte[32]).extend(PrinExt.of("Program", new Bytes(new byte[32])));
        X509Certificate cert = domain.issueCertificate(key.verifier(), name, Duration.ofDays(1), Instant.now());
        service = ProgramCredentials.of(key, List.of(cert), domain.policyCertificate());
    }

    @AfterEach
    void close() throws Exception {
        for (int i = closeLater.size() - 1; i >= 0; i--) {
            closeLater.get(i).close();
        }
    }

    private SecretService start(boolean operators) throws Exception {
        SoftTao tao = SoftTao.create(tmp.resolve("tao"), "tao password".toCharArray(), Argon2Params.FLOOR);
        MasterKey master = MasterKey.openOrCreate(tao, tmp.resolve("master.sealed"), CoreTao.SEAL_POLICY_SELF);
        closeLater.add(master);
        ProtectedObjects objects = ProtectedObjects.open(master, DirectoryStore.open(tmp.resolve("objects")),
                Clock.systemUTC());
        SecretService.Builder b = SecretService.builder(service, objects, domain.guard(),
                DirectiveVerifier.of(domain.policyVerifier(), Clock.systemUTC())).auditLog(tmp.resolve("audit.log"));
        if (operators) {
            b.operatorsOf(domain.policyPrincipal());
        }
        SecretService s = b.start();
        closeLater.add(s);
        return s;
    }

    private Result tao(SecretService s, String verb, String... args) {
        List<String> all = new ArrayList<>(List.of("secrets", verb, "--domain", dir.toString(), "--service",
                "127.0.0.1:" + s.address().getPort(), "--service-principal", service.principal().toString()));
        all.addAll(List.of(args));
        Result r = CliRunner.run(new ByteArrayInputStream(new byte[0]), ENV, all.toArray(String[]::new));
        assertThat(r.out() + r.err()).doesNotContain(PASSWORD);
        return r;
    }

    @Test
    void secrets_operatorCreatesWritesReadsRotatesAndRetires_auditedAsTheOperator() throws Exception {
        SecretService s = start(true);
        assertThat(tao(s, "create", "/customers", "--type", "aes-256-gcm", "--protector", "/").out())
                .isEqualTo("/customers#1 aes-256-gcm active\n");
        Result folder = tao(s, "create", "/customers/key/folder", "--type", "aes-256-gcm", "--protector", "/customers");
        assertThat(folder.status()).as(folder.err()).isZero();
        Path in = tmp.resolve("f1.txt");
        Files.writeString(in, "customer 1: account 12345");
        assertThat(tao(s, "write", "/customers/file/f1", "--protector", "/customers/key/folder", "--in", in.toString())
                .out()).isEqualTo("/customers/file/f1#1 file active\n");

        Path out = tmp.resolve("copy");
        Result read = tao(s, "read", "/customers/file/f1", "--out", out.toString());
        assertThat(read.status()).as(read.err()).isZero();
        assertThat(read.out()).doesNotContain("12345");
        assertThat(Files.readString(out)).isEqualTo("customer 1: account 12345");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(out))).isEqualTo("rw-------");

        assertThat(tao(s, "rotate", "/customers/key/folder").out()).isEqualTo("/customers/key/folder#2 aes-256-gcm active\n");
        Result retire = tao(s, "retire", "/customers/file/f1", "--epoch", "1");
        assertThat(retire.status()).as(retire.err()).isZero();
        assertThat(tao(s, "read", "/customers/file/f1", "--epoch", "1", "--out", out.toString()).status()).isEqualTo(1);
        // The zone key still protects the folder key: refused. Nothing depends on the folder
        // key's first epoch any more (the file under it is retired): revoked.
        assertThat(tao(s, "revoke", "/customers", "--epoch", "1").err())
                .contains("refused").contains("active object");
        assertThat(tao(s, "revoke", "/customers/key/folder", "--epoch", "1").out())
                .isEqualTo("/customers/key/folder#1 aes-256-gcm revoked\n");

        String audit = Files.readString(tmp.resolve("audit.log"), StandardCharsets.US_ASCII);
        assertThat(audit).contains(".Operator(\"alice\")\tCREATE\t/customers#1\tGRANTED\tOPERATOR\t")
                .doesNotContain("12345");
    }

    @Test
    void secrets_serviceThatDoesNotServeOperators_refusesWithTheGuardsReason() throws Exception {
        SecretService s = start(false);
        Result r = tao(s, "create", "/customers", "--type", "aes-256-gcm", "--protector", "/");
        assertThat(r.status()).isEqualTo(1);
        assertThat(r.err()).contains("the secret service refused").contains("Authorized(P, \"Create\", \"/customers\"");
    }

    @Test
    void secrets_anotherServicePrincipal_isRefusedAtTheHandshake() throws Exception {
        SecretService s = start(true);
        String other = Prin.key(new byte[32]).extend(PrinExt.of("Program", new Bytes(new byte[] {1}))).toString();
        Result r = CliRunner.run(new ByteArrayInputStream(new byte[0]), ENV, "secrets", "rotate", "--domain",
                dir.toString(), "--service", "127.0.0.1:" + s.address().getPort(), "--service-principal", other,
                "/customers");
        assertThat(r.status()).isEqualTo(1);
        assertThat(r.err()).contains("cannot talk to the secret service");
    }

    @Test
    void secrets_badArguments_areUsageErrorsBeforeAnyPasswordIsAsked() throws Exception {
        SecretService s = start(true);
        assertThat(tao(s, "create", "/customers", "--type", "file", "--protector", "/").err())
                .contains("files are written, not created");
        assertThat(tao(s, "create", "/customers", "--type", "aes-256-gcm", "--protector", "/").status()).isZero();
        assertThat(tao(s, "read", "not-a-name", "--out", tmp.resolve("x").toString()).status()).isEqualTo(2);
        assertThat(tao(s, "retire", "/customers", "--epoch", "0").status()).isEqualTo(2);
        Result noDomain = CliRunner.run(new ByteArrayInputStream(new byte[0]), ENV, "secrets", "rotate", "/customers");
        assertThat(noDomain.status()).isEqualTo(2);
    }
}
