package dev.cloudproxy.tao.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudproxy.tao.auth.Bytes;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.PrinExt;
import dev.cloudproxy.tao.cli.CliRunner.Result;
import dev.cloudproxy.tao.domain.Domain;
import dev.cloudproxy.tao.domain.DomainTemplate;
import dev.cloudproxy.tao.domainservice.DomainService;
import dev.cloudproxy.tao.host.HostDirectory;
import dev.cloudproxy.tao.io.AtomicFiles;
import dev.cloudproxy.tao.keys.Argon2Params;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 20's acceptance: a policy change made with {@code tao domain policy} on the domain's
 * machine (one directory) reaches a host daemon on another (another directory, which keeps
 * nothing of the domain but the cache {@code tao host start --domain-service} made) within its
 * TTL; a replayed older rule file is refused.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class DomainDistributionTest {
    private static final String HOST_PASSWORD = "host password";
    private static final String POLICY = "policy password";
    private static final Path TRUE = Path.of("/bin/true");

    @TempDir
    Path tmp;

    private Map<String, String> env(String... more) {
        Map<String, String> e = new HashMap<>();
        e.put("TAO_HOME", tmp.resolve("host-machine").toString());
        e.put("PATH", "/usr/bin:/bin");
        for (int i = 0; i < more.length; i += 2) {
            e.put(more[i], more[i + 1]);
        }
        return e;
    }

    private Result tao(Map<String, String> env, String... args) {
        return CliRunner.run(InputStream.nullInputStream(), env, args);
    }

    /** Waits, polling, until {@code condition} holds; false if it did not within {@code limit}. */
    private static boolean within(Duration limit, BooleanSupplier condition) throws InterruptedException {
        Instant end = Instant.now().plus(limit);
        while (Instant.now().isBefore(end)) {
            if (condition.getAsBoolean()) {
                return true;
            }
            Thread.sleep(100);
        }
        return condition.getAsBoolean();
    }

    private static void copyTree(Path from, Path to) throws Exception {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Files.copy(p, to.resolve(from.relativize(p).toString()), StandardCopyOption.COPY_ATTRIBUTES);
            }
        }
    }

    @Test
    void policyChangedOnTheDomain_reachesAHostElsewhereWithinItsTtl_andAReplayedOlderRuleFileIsRefused()
            throws Exception {
        Path domainDir = tmp.resolve("domain-machine").resolve("domain");
        Files.createDirectories(domainDir.getParent());
        DomainTemplate t = DomainTemplate.parse("name = Distributed\nguard = datalog\nrule = Start(1)\n"
                .getBytes(StandardCharsets.UTF_8), "t");
        Domain.create(domainDir, t, POLICY.toCharArray(), Argon2Params.FLOOR).close();
        byte[] versionOne = Files.readAllBytes(domainDir.resolve("rules.datalog"));
        // The host's machine gets a copy of the domain for 'tao host init' (the policy key issues
        // the host certificate), which is removed once the host has its cache.
        Path copy = tmp.resolve("host-machine").resolve("domain-copy");
        Files.createDirectories(copy.getParent());
        copyTree(domainDir, copy);
        Result init = tao(env("TAO_PASSWORD", HOST_PASSWORD, "TAO_POLICY_PASSWORD", POLICY), "host", "init", "--root",
                "--domain", copy.toString());
        assertThat(init.status()).as(init.err()).isZero();
        Prin hostName = Prin.parse(init.out().strip());
        Prin program = hostName.extend(PrinExt.of("Program",
                new Bytes(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(TRUE)))));
        HostDirectory hostDir = new HostDirectory(tmp.resolve("host-machine").resolve("host"));

        try (Domain domain = Domain.loadWithKeys(domainDir, POLICY.toCharArray());
                DomainService service = DomainService.builder(domain)
                        .listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).start()) {
            Result start = tao(env("TAO_PASSWORD", HOST_PASSWORD), "host", "start", "--domain-service",
                    "127.0.0.1:" + service.address().getPort(), "--policy-ttl", "1s");
            assertThat(start.status()).as(start.err()).isZero();
            ProcessHandle daemon = ProcessHandle.of(Long.parseLong(Files.readString(hostDir.pidFile()).strip()))
                    .orElseThrow();
            try {
                AtomicFiles.deleteTree(copy);
                assertThat(hostDir.domainCache().resolve("rules.datalog")).exists();
                Result refused = tao(env(), "run", TRUE.toString());
                assertThat(refused.status()).as("not yet authorized").isNotZero();

                Result change = tao(Map.of("TAO_PASSWORD", POLICY), "domain", "policy", domainDir.toString(),
                        "--canexecute", program.toString());
                assertThat(change.status()).as(change.err()).isZero();

                // A TTL of 1 s: the daemon fetches within about a second; allow for a slow machine.
                assertThat(within(Duration.ofSeconds(30), () -> tao(env(), "run", TRUE.toString()).status() == 0))
                        .as("the program is admitted once the host fetched the change").isTrue();

                // A replayed older rule file in the host's cache: refused, the program still runs,
                // and the daemon puts the current file back at its next refresh.
                Path cached = hostDir.domainCache().resolve("rules.datalog");
                Files.move(Files.write(tmp.resolve("replay"), versionOne), cached,
                        StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                assertThat(tao(env(), "run", TRUE.toString()).status()).isZero();
                assertThat(within(Duration.ofSeconds(30), () -> {
                    try {
                        return !java.util.Arrays.equals(Files.readAllBytes(cached), versionOne);
                    } catch (java.io.IOException e) {
                        return false;
                    }
                })).as("the cache is put right").isTrue();
                assertThat(Files.readString(hostDir.log())).contains("replayed older policy");

                // Retracted on the domain: refused at the program's next start.
                Result retract = tao(Map.of("TAO_PASSWORD", POLICY), "domain", "policy", domainDir.toString(),
                        "--retract-canexecute", program.toString());
                assertThat(retract.status()).as(retract.err()).isZero();
                assertThat(within(Duration.ofSeconds(30), () -> tao(env(), "run", TRUE.toString()).status() != 0))
                        .isTrue();
            } finally {
                tao(env(), "host", "stop");
                daemon.destroyForcibly();
                daemon.onExit().get(30, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void start_domainServiceForAHostInNoDomain_isRefused() {
        assertThat(tao(env("TAO_PASSWORD", HOST_PASSWORD), "host", "init", "--root").status()).isZero();

        Result r = tao(env("TAO_PASSWORD", HOST_PASSWORD), "host", "start", "--domain-service", "127.0.0.1:1");

        assertThat(r.status()).isEqualTo(TaoCli.EXIT_INPUT);
        assertThat(r.err()).contains("in no domain");
        Result ttlAlone = tao(env("TAO_PASSWORD", HOST_PASSWORD), "host", "start", "--policy-ttl", "1s");
        assertThat(ttlAlone.err()).contains("--policy-ttl needs --domain-service");
    }
}
