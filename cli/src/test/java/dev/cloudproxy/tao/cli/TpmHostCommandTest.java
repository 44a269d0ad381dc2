package dev.cloudproxy.tao.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudproxy.tao.cli.CliRunner.Result;
import dev.cloudproxy.tao.host.HostDirectory;
import dev.cloudproxy.tao.tpm.Swtpm;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code tao host init --root --tpm2} and the TPM-rooted host's daemon, on swtpm. */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class TpmHostCommandTest {
    @TempDir
    Path tmp;

    private Map<String, String> env() {
        Map<String, String> e = new HashMap<>();
        e.put("TAO_HOME", tmp.resolve("home").toString());
        e.put("PATH", "/usr/bin:/bin");
        return e;
    }

    private Result tao(String... args) {
        return CliRunner.run(InputStream.nullInputStream(), env(), args);
    }

    private HostDirectory dir() {
        return new HostDirectory(tmp.resolve("home").resolve("host"));
    }

    @Test
    void tpmRootedHost_isNamedByTheTpm_restarts_andRefusesToStartAfterItsPcrIsExtendedBySomethingElse() throws Exception {
        try (Swtpm swtpm = Swtpm.start()) {
            String simulator = "127.0.0.1:" + swtpm.port();
            Result init = tao("host", "init", "--root", "--tpm2", "--tpm-simulator", simulator);
            assertThat(init.status()).as(init.err()).isEqualTo(TaoCli.EXIT_OK);
            assertThat(init.out()).startsWith("tpm2([").contains(".PCRs(\"0,1,2,3,4,5,6,7,23\", \"")
                    .endsWith(".LiberalGuard()\n");
            assertThat(init.err()).contains("made a TPM-rooted host");
            String name = init.out().strip();
            String pcr23 = swtpm.tpm2Tools("tpm2_pcrread", "sha256:23");
            assertThat(name).contains(pcr23.substring(pcr23.indexOf("0x") + 2).strip().toLowerCase(java.util.Locale.ROOT));

            for (int run = 0; run < 2; run++) {
                Result start = tao("host", "start");
                assertThat(start.status()).as(start.err()).isEqualTo(TaoCli.EXIT_OK);
                Optional<ProcessHandle> daemon = HostCommand.readPid(dir()).flatMap(ProcessHandle::of);
                try {
                    assertThat(start.out()).startsWith(name + " (pid ");
                    // The host needed the TPM only to open: swtpm serves the next client while it runs.
                    assertThat(swtpm.tpm2Tools("tpm2_pcrread", "sha256:23")).isEqualTo(pcr23);
                    Result stop = tao("host", "stop");
                    assertThat(stop.status()).as(stop.err()).isEqualTo(TaoCli.EXIT_OK);
                } finally {
                    daemon.ifPresent(ProcessHandle::destroyForcibly);
                }
            }

            swtpm.tpm2Tools("tpm2_pcrextend", "23:sha256=" + "ab".repeat(32));
            Result refused = tao("host", "start", "--foreground");
            assertThat(refused.status()).isEqualTo(TaoCli.EXIT_INPUT);
            assertThat(refused.err()).contains("PCR 23 holds another measurement");
            assertThat(Files.exists(dir().adminSocket())).isFalse();
        }
    }

    @Test
    void programOfATpmRootedDaemon_getsRollbackProtectedSealAndUnseal_whileOthersUseTheTpm_andAnOlderHostDirectoryIsRefused() throws Exception {
        try (Swtpm swtpm = Swtpm.start()) {
            Result init = tao("host", "init", "--root", "--tpm2", "--tpm-simulator", "127.0.0.1:" + swtpm.port(),
                    "--tpm-pcrs", "0,7,23");
            assertThat(init.status()).as(init.err()).isEqualTo(TaoCli.EXIT_OK);
            copyTree(dir().root(), tmp.resolve("snapshot"));
            Result start = tao("host", "start", "--programs-as-host-user");
            assertThat(start.status()).as(start.err()).isEqualTo(TaoCli.EXIT_OK);
            Optional<ProcessHandle> daemon = HostCommand.readPid(dir()).flatMap(ProcessHandle::of);
            try {
                // A script that execs the JVM keeps its process id, so the host knows it by the script.
                String javaCommand = Path.of(System.getProperty("java.home"), "bin", "java").toString();
                Path script = tmp.resolve("probe.sh");
                Files.writeString(script, "#!/bin/sh\nexec '" + javaCommand + "' -Xshare:auto -cp '"
                        + System.getProperty("java.class.path") + "' " + RollbackProbeMain.class.getName() + "\n");
                Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
                for (int run = 0; run < 2; run++) {
                    Result probe = tao("run", script.toString());
                    assertThat(probe.status()).as(probe.out() + probe.err()).isZero();
                    assertThat(probe.out()).startsWith("ok ").contains("stale state: counter ");
                    // Between commits the host holds no TPM connection: another client gets swtpm.
                    assertThat(swtpm.tpm2Tools("tpm2_pcrread", "sha256:23")).contains("23:");
                }
                Result stop = tao("host", "stop");
                assertThat(stop.status()).as(stop.err()).isEqualTo(TaoCli.EXIT_OK);
            } finally {
                daemon.ifPresent(ProcessHandle::destroyForcibly);
            }
            // The whole host directory put back from before: the TPM's NV counter has moved on.
            deleteTree(dir().root());
            copyTree(tmp.resolve("snapshot"), dir().root());
            Result refused = tao("host", "start", "--foreground");
            assertThat(refused.status()).as(refused.err()).isEqualTo(TaoCli.EXIT_INPUT);
            assertThat(refused.err()).contains("stale state: counter ");
        }
    }

    private static void copyTree(Path from, Path to) throws java.io.IOException {
        try (java.util.stream.Stream<Path> files = Files.walk(from)) {
            for (Path p : files.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else if (Files.isRegularFile(p)) {
                    Files.copy(p, target, java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
    }

    private static void deleteTree(Path root) throws java.io.IOException {
        try (java.util.stream.Stream<Path> files = Files.walk(root)) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    @Test
    void tpmOptions_areCheckedBeforeAnythingIsMade() {
        assertThat(tao("host", "init", "--stacked", "--parent", "auto", "--tpm2").err()).contains("go with --root");
        assertThat(tao("host", "init", "--root", "--tpm-simulator", "127.0.0.1:1").err()).contains("need --tpm2");
        assertThat(tao("host", "init", "--root", "--tpm2", "--tpm-device", "/dev/null", "--tpm-simulator", "h:1").err())
                .contains("exclude each other");
        assertThat(tao("host", "init", "--root", "--tpm2", "--tpm-simulator", "nohostport").err()).contains("HOST:PORT");
        assertThat(tao("host", "init", "--root", "--tpm2", "--tpm-simulator", "127.0.0.1:1", "--tpm-pcrs", "0,7").err())
                .contains("must include the host PCR 23");
        assertThat(tao("host", "init", "--root", "--tpm2", "--tpm-simulator", "127.0.0.1:1", "--tpm-pcrs", "7,0,23").err())
                .contains("ascending");
        Result unreachable = tao("host", "init", "--root", "--tpm2", "--tpm-simulator", "127.0.0.1:1");
        assertThat(unreachable.status()).isEqualTo(TaoCli.EXIT_INPUT);
        assertThat(unreachable.err()).contains("cannot reach the TPM");
        assertThat(dir().config()).doesNotExist();
    }
}
