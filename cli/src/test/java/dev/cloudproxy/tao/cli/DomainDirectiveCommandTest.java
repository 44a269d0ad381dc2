package dev.cloudproxy.tao.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.cli.CliRunner.Result;
import dev.cloudproxy.tao.domain.Domain;
import dev.cloudproxy.tao.domain.DomainTemplate;
import dev.cloudproxy.tao.keys.Argon2Params;
import dev.cloudproxy.tao.kms.DirectiveRefusedException;
import dev.cloudproxy.tao.kms.DirectiveVerifier;
import dev.cloudproxy.tao.kms.ObjectId;
import dev.cloudproxy.tao.kms.Verb;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code tao domain directive}. */
class DomainDirectiveCommandTest {
    private static final String PASSWORD = "policy password";
    private static final Map<String, String> WITH_PASSWORD = Map.of(Passwords.ENV, PASSWORD);
    private static final String PROGRAM = "key([" + "11".repeat(32) + "]).Program([" + "aa".repeat(32) + "])";
    private static final String OTHER = "key([" + "11".repeat(32) + "]).Program([" + "bb".repeat(32) + "])";

    @TempDir
    Path tmp;

    private Path dir;

    @BeforeEach
    void createDomain() throws Exception {
        dir = tmp.resolve("domain");
        DomainTemplate template = DomainTemplate.parse(Files.readAllBytes(Path.of("..", "docs", "domain_template.txt")),
                "sample template");
        Domain.create(dir, template, PASSWORD.toCharArray(), Argon2Params.FLOOR).close();
    }

    private Result tao(String... args) {
        Result r = CliRunner.run(new ByteArrayInputStream(new byte[0]), WITH_PASSWORD, args);
        assertThat(r.out() + r.err()).doesNotContain(PASSWORD);
        return r;
    }

    @Test
    void directive_read_verifiesForThatProgramOnly() throws Exception {
        Path out = tmp.resolve("d.bin");
        Result r = tao("domain", "directive", dir.toString(), "--principal", PROGRAM, "--read", "/zone/key/k",
                "--epoch", "3", "--valid-for", "2h", "--out", out.toString());
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.err()).contains("says CanRead(" + PROGRAM + ", \"/zone/key/k\", 3)");

        byte[] signed = Files.readAllBytes(out);
        DirectiveVerifier verifier = DirectiveVerifier.of(Domain.load(dir).policyVerifier(), Clock.systemUTC());
        ObjectId object = ObjectId.of("/zone/key/k", 3);
        assertThat(verifier.verify(signed, Prin.parse(PROGRAM), Verb.READ, object).notAfter())
                .isBetween(Clock.systemUTC().instant().plus(Duration.ofMinutes(119)).getEpochSecond(),
                        Clock.systemUTC().instant().plus(Duration.ofMinutes(121)).getEpochSecond());
        assertThatThrownBy(() -> verifier.verify(signed, Prin.parse(OTHER), Verb.READ, object))
                .isInstanceOf(DirectiveRefusedException.class);
        assertThatThrownBy(() -> verifier.verify(signed, Prin.parse(PROGRAM), Verb.WRITE, object))
                .isInstanceOf(DirectiveRefusedException.class);
    }

    @Test
    void directive_own_grantsEveryVerb() throws Exception {
        Path out = tmp.resolve("own.bin");
        assertThat(tao("domain", "directive", dir.toString(), "--principal", PROGRAM, "--own", "/zone", "--epoch", "1",
                "--out", out.toString()).status()).isZero();
        DirectiveVerifier verifier = DirectiveVerifier.of(Domain.load(dir).policyVerifier(), Clock.systemUTC());
        assertThat(verifier.verify(Files.readAllBytes(out), Prin.parse(PROGRAM), Verb.DELETE, ObjectId.of("/zone", 1))
                .verb()).isEqualTo(Verb.OWN);
    }

    @Test
    void directive_badArguments_areUsageErrors() {
        String out = tmp.resolve("x.bin").toString();
        for (String[] args : new String[][] {
            {"--principal", PROGRAM, "--read", "/zone/../k", "--epoch", "1", "--out", out},
            {"--principal", PROGRAM, "--read", "/zone/k", "--write", "/zone/k", "--epoch", "1", "--out", out},
            {"--principal", PROGRAM, "--epoch", "1", "--out", out},
            {"--principal", PROGRAM, "--read", "/zone/k", "--epoch", "0", "--out", out},
            {"--principal", "not a principal", "--read", "/zone/k", "--epoch", "1", "--out", out},
            {"--principal", PROGRAM, "--read", "/zone/k", "--epoch", "1", "--valid-for", "forever", "--out", out},
        }) {
            String[] full = new String[args.length + 3];
            full[0] = "domain";
            full[1] = "directive";
            full[2] = dir.toString();
            System.arraycopy(args, 0, full, 3, args.length);
            assertThat(tao(full).status()).as(String.join(" ", args)).isEqualTo(TaoCli.EXIT_USAGE);
        }
        assertThat(Files.exists(tmp.resolve("x.bin"))).isFalse();
    }

    @Test
    void directive_wrongPassword_isAnError() {
        Result r = CliRunner.run(new ByteArrayInputStream(new byte[0]), Map.of(Passwords.ENV, "wrong"),
                "domain", "directive", dir.toString(), "--principal", PROGRAM, "--read", "/zone/k", "--epoch", "1",
                "--out", tmp.resolve("y.bin").toString());
        assertThat(r.status()).isEqualTo(TaoCli.EXIT_INPUT);
        assertThat(r.err()).contains("wrong password");
    }
}
