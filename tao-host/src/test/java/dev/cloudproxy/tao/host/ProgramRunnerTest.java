package dev.cloudproxy.tao.host;

import static dev.cloudproxy.tao.host.TestHosts.hostedScript;
import static dev.cloudproxy.tao.host.TestHosts.sha256;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cloudproxy.tao.auth.Bytes;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.PrinExt;
import dev.cloudproxy.tao.guard.ConservativeGuard;
import dev.cloudproxy.tao.guard.LiberalGuard;
import dev.cloudproxy.tao.host.TestHosts.Conversation;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real hosted programs started by a real host (a {@link HostService} on a host directory), run as
 * the host's own user whoever runs the tests (the programs here run this test's class path,
 * which a program under its own user could not read); {@link SeparateUsersTest} covers a root
 * host's programs under their own users.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ProgramRunnerTest {
    private static final HexFormat HEX = HexFormat.of();
    private static final String SECRET = HEX.formatHex("attack at dawn".getBytes(StandardCharsets.UTF_8));

    @TempDir
    Path temp;

    private Path hostDir;
    private OpenedHost opened;
    private HostService service;

    @BeforeEach
    void start() throws Exception {
        hostDir = temp.resolve("host");
        opened = TestHosts.root(hostDir);
        service = HostService.start(opened, ProgramRunner.defaultFactories(), ProgramUsers.hostUser());
    }

    @AfterEach
    void stop() throws Exception {
        service.close();
        opened.close();
    }

    private Conversation run(Path program) throws Exception {
        return new Conversation(service.runner().start(ProgramSpec.process(program, List.of()), true));
    }

    @Test
    void processProgram_isNamedByTheHostAndTheHashOfItsBytes() throws Exception {
        Path script = hostedScript(temp, "a");
        Conversation c = run(script);
        Prin expected = opened.host().name().extend(PrinExt.of("Program", new Bytes(sha256(script))));
        assertThat(c.next()).isEqualTo("connected " + expected);
        assertThat(opened.host().name()).isEqualTo(opened.config().key().extend(LiberalGuard.INSTANCE.subprincipal()));
        assertThat(c.program().name()).isEqualTo(expected);
        assertThat(c.ask("exit 3")).isEqualTo("bye");
        assertThat(c.program().exit().get()).isEqualTo(3);
    }

    @Test
    void apiParent_inAProgramWithCoreButNoAgent_isItsHostedTao() throws Exception {
        Conversation c = run(hostedScript(temp, "a"));
        c.next(); // connected

        // tao-core's TaoProvider service binds Tao.parent() to TAO_HOST_SOCKET: the same name and
        // the same seal key as core's own client.
        assertThat(c.ask("api 0a0b")).isEqualTo(c.program().name() + " self 0a0b");
        assertThat(c.ask("exit 0")).isEqualTo("bye");
    }

    @Test
    void processStartedByHand_withTheSocketInItsEnvironment_isRefused() throws Exception {
        Path script = hostedScript(temp, "a");
        ProcessBuilder pb = new ProcessBuilder(script.toString());
        pb.environment().put("TAO_HOST_SOCKET", service.programSocket().toString());
        Process p = pb.start();
        try {
            String line = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(line).startsWith("> refused").contains("is not a hosted program of this host");
        } finally {
            p.destroyForcibly();
            p.waitFor();
        }
    }

    @Test
    void twoPrograms_cannotUnsealEachOthersSelfBlobs_andACrashDisturbsNeitherHostNorOthers() throws Exception {
        Conversation a = run(hostedScript(temp, "a"));
        Conversation b = run(hostedScript(temp, "b"));
        a.next();
        b.next();
        String blob = a.ask("seal self " + SECRET);
        assertThat(b.ask("unseal " + blob)).isEqualTo("UnsealException unseal failed");
        String any = a.ask("seal any " + SECRET);
        assertThat(b.ask("unseal " + any)).isEqualTo("unsealed any " + SECRET);

        b.program().kill();
        assertThat(b.program().exit().get()).isNotZero();
        assertThat(a.ask("unseal " + blob)).isEqualTo("unsealed self " + SECRET);
        Conversation c = run(hostedScript(temp, "c"));
        assertThat(c.next()).startsWith("connected ");
        assertThat(service.runner().list()).extracting(RunningProgram::id)
                .containsExactly(a.program().id(), c.program().id());
        a.program().stop();
        c.program().stop();
    }

    @Test
    void hostRestart_keepsSealedDataReadable_forTheSameProgram() throws Exception {
        Path script = hostedScript(temp, "a");
        Conversation first = run(script);
        first.next();
        String blob = first.ask("seal self " + SECRET);
        first.ask("exit 0");
        first.program().exit().get();
        service.close();
        opened.close();

        opened = HostSetup.openRoot(new HostDirectory(hostDir), TestHosts.PASSWORD);
        service = HostService.start(opened, ProgramRunner.defaultFactories(), ProgramUsers.hostUser());
        Conversation again = run(script);
        again.next();
        assertThat(again.ask("unseal " + blob)).isEqualTo("unsealed self " + SECRET);
        again.program().stop();
    }

    @Test
    void replacingTheFileAfterStart_changesNothing_theMeasuredBytesRun() throws Exception {
        Path script = temp.resolve("v.sh");
        Files.writeString(script, "#!/bin/sh\nread line\necho v1 $line\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
        byte[] v1 = sha256(script);
        RunningProgram p = service.runner().start(ProgramSpec.process(script, List.of()), true);
        // Swap the file in place (same inode) and by rename; the program was measured before.
        Files.writeString(script, "#!/bin/sh\nread line\necho v2 $line\n");
        p.process().getOutputStream().write("go\n".getBytes(StandardCharsets.UTF_8));
        p.process().getOutputStream().close();
        String out = new String(p.process().getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(out).isEqualTo("v1 go\n");
        assertThat(p.name().lastExtension().orElseThrow()).isEqualTo(PrinExt.of("Program", new Bytes(v1)));
        assertThat(p.exit().get()).isZero();
    }

    @Test
    void nativeExecutable_runsFromItsSealedCopy_withArgumentsAndExitStatus() throws Exception {
        RunningProgram p = service.runner().start(ProgramSpec.process(Path.of("/bin/sh"), List.of("-c", "echo hi; exit 7")), true);
        assertThat(new String(p.process().getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("hi\n");
        assertThat(p.exit().get()).isEqualTo(7);
        assertThat(p.name().lastExtension().orElseThrow())
                .isEqualTo(PrinExt.of("Program", new Bytes(sha256(Path.of("/bin/sh")))));
    }

    @Test
    void environment_isFixedPlusTheCallersEntries_andCodeLoadingVariablesAreRefused() throws Exception {
        RunningProgram p = service.runner().start(ProgramSpec.process(Path.of("/usr/bin/env"), List.of())
                .withEnv(List.of("GREETING=hello")), true);
        String env = new String(p.process().getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(env.lines().sorted().toList()).containsExactly("GREETING=hello", "HOME=" + System.getProperty("user.home"),
                "LANG=C.UTF-8", "PATH=/usr/local/bin:/usr/bin:/bin", "TAO_HOST_SOCKET=" + service.programSocket());
        for (String bad : List.of("LD_PRELOAD=/x.so", "BASH_ENV=/x", "JAVA_TOOL_OPTIONS=-javaagent:x", "TAO_HOST_SOCKET=/x",
                "GCONV_PATH=/x", "GLIBC_TUNABLES=x", "PYTHONPATH=/x", "PATH=/x", "JAVA_HOME=/x",
                "noequals", "1BAD=x")) {
            assertThrows(IllegalArgumentException.class, () -> ProgramSpec.process(Path.of("/bin/true"), List.of())
                    .withEnv(List.of(bad)), bad);
        }
    }

    @Test
    void missingProgram_failsToStart_andTheHostCarriesOn() throws Exception {
        ProgramStartException e = assertThrows(ProgramStartException.class,
                () -> service.runner().start(ProgramSpec.process(temp.resolve("nope"), List.of()), false));
        assertThat(e.getMessage()).contains("no such file");
        Conversation c = run(hostedScript(temp, "a"));
        assertThat(c.next()).startsWith("connected");
        c.program().stop();
    }

    @Test
    void guardThatDeniesExecution_refusesToStart() throws Exception {
        ProgramRunner strict = new ProgramRunner(opened.host(), new HostedPrograms(), service.programSocket(),
                temp.resolve("scratch"), ConservativeGuard.INSTANCE, ProgramRunner.defaultFactories());
        ProgramStartException e = assertThrows(ProgramStartException.class,
                () -> strict.start(ProgramSpec.process(Path.of("/bin/true"), List.of()), false));
        assertThat(e.isDenied()).isTrue();
        assertThat(e.getMessage()).contains("does not authorize");
    }
}
