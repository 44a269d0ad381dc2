package dev.cloudproxy.tao.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudproxy.tao.cli.CliRunner.Result;
import dev.cloudproxy.tao.domain.Domain;
import dev.cloudproxy.tao.domain.DomainTemplate;
import dev.cloudproxy.tao.domain.ProgramCertificate;
import dev.cloudproxy.tao.host.HostDirectory;
import dev.cloudproxy.tao.host.HostService;
import dev.cloudproxy.tao.host.HostSetup;
import dev.cloudproxy.tao.host.OpenedHost;
import dev.cloudproxy.tao.host.ProgramUsers;
import dev.cloudproxy.tao.host.unix.Users;
import dev.cloudproxy.tao.keys.Argon2Params;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code tao host ...}, {@code tao run/list/stop/kill} against real hosts. */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class HostCommandTest {
    private static final String PASSWORD = "host password \u00e9";
    private static final String POLICY = "policy password";

    @TempDir
    Path tmp;

    private Map<String, String> env(String... more) {
        Map<String, String> e = new HashMap<>();
        e.put("TAO_HOME", tmp.resolve("home").toString());
        e.put("PATH", "/usr/bin:/bin");
        for (int i = 0; i < more.length; i += 2) {
            e.put(more[i], more[i + 1]);
        }
        return e;
    }

    private Result tao(Map<String, String> env, String... args) {
        return tao(env, InputStream.nullInputStream(), args);
    }

    private Result tao(Map<String, String> env, InputStream in, String... args) {
        return CliRunner.run(in, env, args);
    }

    private HostDirectory defaultDir() {
        return new HostDirectory(tmp.resolve("home").resolve("host"));
    }

    @Test
    void initRoot_inTheDefaultDirectory_printsTheNameOfTheDocumentedForm_andNeverThePassword() {
        Result r = tao(env("TAO_PASSWORD", PASSWORD), "host", "init", "--root");
        assertThat(r.status()).as(r.err()).isEqualTo(TaoCli.EXIT_OK);
        assertThat(r.out()).matches("key\\(\\[[0-9a-f]{64}\\]\\)\\.LiberalGuard\\(\\)\n");
        assertThat(r.out() + r.err()).doesNotContain(PASSWORD);
        assertThat(defaultDir().config()).exists();

        Result again = tao(env("TAO_PASSWORD", PASSWORD), "host", "init", "--root");
        assertThat(again.status()).isEqualTo(TaoCli.EXIT_INPUT);
        assertThat(again.err()).contains("already holds a host");

        Result show = tao(env(), "host", "show");
        assertThat(show.status()).isEqualTo(TaoCli.EXIT_OK);
        assertThat(show.out()).contains("type:           root").contains("name:           " + r.out().strip())
                .contains("running:        no").contains("admin.sock");
    }

    @Test
    void init_afterAnInitKilledMidway_removesItsRemains_andMakesTheHost() throws Exception {
        // What a killed init leaves: its directory beside the host's, named by a process now gone.
        Process gone = new ProcessBuilder("true").start();
        gone.waitFor();
        Path remains = tmp.resolve("home").resolve(".host.init-" + gone.pid() + "-0");
        Files.createDirectories(remains.resolve("keys"));
        Files.writeString(remains.resolve("keys").resolve("keys.tao"), "half a key set");
        Result before = tao(env(), "host", "show");
        assertThat(before.status()).isEqualTo(TaoCli.EXIT_INPUT);
        assertThat(before.err()).contains("tao host init");

        Result r = tao(env("TAO_PASSWORD", PASSWORD), "host", "init", "--root");

        assertThat(r.status()).as(r.err()).isEqualTo(TaoCli.EXIT_OK);
        assertThat(remains).doesNotExist();
        assertThat(tao(env(), "host", "show").out()).contains("type:           root");
    }

    @Test
    void init_usageAndInputErrors() {
        assertThat(tao(env(), "host", "init").status()).isEqualTo(TaoCli.EXIT_USAGE);
        assertThat(tao(env(), "host", "init", "--root", "--stacked").status()).isEqualTo(TaoCli.EXIT_USAGE);
        Result noParent = tao(env(), "host", "init", "--stacked");
        assertThat(noParent.status()).isEqualTo(TaoCli.EXIT_INPUT);
        assertThat(noParent.err()).contains("--parent");
        Result noPassword = tao(env(), "host", "init", "--root");
        assertThat(noPassword.status()).isEqualTo(TaoCli.EXIT_INPUT);
        assertThat(noPassword.err()).contains("TAO_PASSWORD");
        Result noHost = tao(env(), "host", "show");
        assertThat(noHost.status()).isEqualTo(TaoCli.EXIT_INPUT);
        assertThat(noHost.err()).contains("no host in");
        Result notRunning = tao(env(), "list");
        assertThat(notRunning.status()).isEqualTo(TaoCli.EXIT_INPUT);
        assertThat(notRunning.err()).contains("no host is running");
        Result stackedOutsideAHost = tao(env(), "host", "init", "--stacked", "--parent", "auto");
        assertThat(stackedOutsideAHost.status()).isEqualTo(TaoCli.EXIT_INPUT);
        assertThat(stackedOutsideAHost.err()).contains("TAO_HOST_SOCKET");
    }

    @Test
    void initInADomain_getsAHostCertificate_withThePolicyPasswordFromTheEnvironmentOnly() throws Exception {
        Path domainDir = tmp.resolve("domain");
        DomainTemplate t = DomainTemplate.parse("name = D\nguard = datalog\n".getBytes(StandardCharsets.UTF_8), "t");
        Domain.create(domainDir, t, POLICY.toCharArray(), Argon2Params.FLOOR).close();

        Result noPolicy = tao(env("TAO_PASSWORD", PASSWORD), "host", "init", "--root", "--domain", domainDir.toString());
        assertThat(noPolicy.status()).isEqualTo(TaoCli.EXIT_INPUT);
        assertThat(noPolicy.err()).contains("TAO_POLICY_PASSWORD").contains("--policy-password-file");
        Result wrong = tao(env("TAO_PASSWORD", PASSWORD, "TAO_POLICY_PASSWORD", "nope"), "host", "init", "--root",
                "--domain", domainDir.toString());
        assertThat(wrong.status()).isEqualTo(TaoCli.EXIT_INPUT);

        Result r = tao(env("TAO_PASSWORD", PASSWORD, "TAO_POLICY_PASSWORD", POLICY), "host", "init", "--root",
                "--domain", domainDir.toString());
        assertThat(r.status()).as(r.err()).isEqualTo(TaoCli.EXIT_OK);
        assertThat(r.out()).contains(".DatalogGuard([");
        assertThat(r.out() + r.err()).doesNotContain(POLICY).doesNotContain(PASSWORD);
        try (Domain d = Domain.load(domainDir)) {
            var cert = HostSetup.readCertificate(defaultDir()).orElseThrow();
            assertThat(ProgramCertificate.verify(cert, d.policyCertificate(), Instant.now()).toString())
                    .isEqualTo(r.out().strip());
        }
        assertThat(tao(env(), "host", "show").out()).contains("certificate:    " + defaultDir().certificate());
    }

    @Test
    void runListStopKill_throughARunningHost() throws Exception {
        assertThat(tao(env("TAO_PASSWORD", PASSWORD), "host", "init", "--root").status()).isZero();
        try (OpenedHost opened = HostSetup.openRoot(defaultDir(), PASSWORD.toCharArray());
                HostService service = HostService.start(opened)) {
            Result run = tao(env(), new ByteArrayInputStream("in\n".getBytes(StandardCharsets.UTF_8)),
                    "run", "sh", "-c", "cat; echo err >&2; exit 9");
            assertThat(run.status()).isEqualTo(9);
            assertThat(run.out()).isEqualTo("in\n");
            assertThat(run.err()).isEqualTo("err\n");

            Result detached = tao(env(), "run", "--detach", "/bin/sleep", "600");
            assertThat(detached.status()).isZero();
            String id = detached.out().strip();
            Result list = tao(env(), "list");
            assertThat(list.out()).startsWith(id + "\t").contains(opened.host().name() + ".Program([").contains("/bin/sleep");
            Result stop = tao(env(), "stop", id);
            assertThat(stop.out()).isEqualTo(id + "\texited 143\n");
            String other = tao(env(), "run", "--detach", "/bin/sleep", "600").out().strip();
            assertThat(tao(env(), "kill", other).out()).isEqualTo(other + "\texited 137\n");
            assertThat(tao(env(), "stop", "12345").err()).contains("no program 12345");
            assertThat(tao(env(), "list").out()).isEmpty();

            Result refused = tao(env(), "run", "--env", "LD_PRELOAD=/x.so", "/bin/true");
            assertThat(refused.status()).isEqualTo(TaoCli.EXIT_INPUT);
            assertThat(refused.err()).contains("LD_PRELOAD is refused");
            assertThat(tao(env(), "run", "--main", "X", "/bin/true").err()).contains("need --jvm");
            // Options after the program's name are the program's.
            Result passthrough = tao(env(), "run", "/bin/echo", "--help", "--host", "x");
            assertThat(passthrough.out()).isEqualTo("--help --host x\n");
        }
    }

    @Test
    void startAsADaemon_thenStop_endsTheDaemonAndItsPrograms() throws Exception {
        assertThat(tao(env("TAO_PASSWORD", PASSWORD), "host", "init", "--root").status()).isZero();
        Result wrong = tao(env("TAO_PASSWORD", "wrong"), "host", "start");
        assertThat(wrong.status()).isEqualTo(TaoCli.EXIT_INPUT);
        assertThat(wrong.err()).contains("the host did not start");

        Result start = tao(env("TAO_PASSWORD", PASSWORD), "host", "start", "--metrics", "127.0.0.1:0");
        assertThat(start.status()).as(start.err()).isZero();
        long pid = Long.parseLong(Files.readString(defaultDir().pidFile()).strip());
        ProcessHandle daemon = ProcessHandle.of(pid).orElseThrow();
        try {
            assertThat(start.out()).contains(".LiberalGuard() (pid " + pid + ")");
            Result again = tao(env("TAO_PASSWORD", PASSWORD), "host", "start");
            assertThat(again.status()).isEqualTo(TaoCli.EXIT_INPUT);
            assertThat(again.err()).contains("already running");
            String id = tao(env(), "run", "--detach", "/bin/sleep", "600").out().strip();
            long sleeper = Long.parseLong(tao(env(), "list").out().split("\t")[1]);
            assertThat(tao(env(), "host", "show").out()).contains("running:        yes, pid " + pid).contains(id + "\t");
            java.util.regex.Matcher url = java.util.regex.Pattern.compile("metrics at (http://\\S+)")
                    .matcher(Files.readString(defaultDir().log()));
            assertThat(url.find()).as("the daemon's log names its metrics address").isTrue();
            String scrape = java.net.http.HttpClient.newHttpClient().send(
                    java.net.http.HttpRequest.newBuilder(java.net.URI.create(url.group(1))).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString()).body();
            assertThat(scrape).contains("tao_host_programs_running 1\n");

            Result stop = tao(env(), "host", "stop");
            assertThat(stop.status()).as(stop.err()).isZero();
            assertThat(daemon.isAlive()).isFalse();
            assertThat(ProcessHandle.of(sleeper).map(ProcessHandle::isAlive).orElse(false)).isFalse();
            assertThat(defaultDir().adminSocket()).doesNotExist();
        } finally {
            daemon.destroyForcibly();
            daemon.onExit().get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void hostDaemon_runsProgramsUnderTheirOwnUidsWhenRoot_orAsItsOwnUserWhenAsked() throws Exception {
        assertThat(tao(env("TAO_PASSWORD", PASSWORD), "host", "init", "--root").status()).isZero();
        long me = Users.currentUid();
        for (boolean asHostUser : new boolean[] {false, true}) {
            Result start = asHostUser
                    ? tao(env("TAO_PASSWORD", PASSWORD), "host", "start", "--programs-as-host-user")
                    : tao(env("TAO_PASSWORD", PASSWORD), "host", "start");
            assertThat(start.status()).as(start.err()).isZero();
            ProcessHandle daemon = ProcessHandle.of(Long.parseLong(Files.readString(defaultDir().pidFile()).strip()))
                    .orElseThrow();
            try {
                Result id = tao(env(), "run", "/usr/bin/id", "-u");
                assertThat(id.status()).as(id.err()).isZero();
                long uid = Long.parseLong(id.out().strip());
                if (me == 0 && !asHostUser) {
                    assertThat(uid).as("a root host's program").isBetween(ProgramUsers.DEFAULT_FIRST,
                            ProgramUsers.DEFAULT_FIRST + ProgramUsers.DEFAULT_COUNT - 1);
                } else {
                    assertThat(uid).as("a program of a non-root host, or of a root host asked to").isEqualTo(me);
                }
                Result stop = tao(env(), "host", "stop");
                assertThat(stop.status()).as(stop.err()).isZero();
            } finally {
                daemon.destroyForcibly();
                daemon.onExit().get(30, TimeUnit.SECONDS);
            }
        }
    }
}
