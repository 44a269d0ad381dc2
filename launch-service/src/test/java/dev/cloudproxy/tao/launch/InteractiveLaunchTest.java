package dev.cloudproxy.tao.launch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cloudproxy.tao.auth.Bytes;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.PrinExt;
import dev.cloudproxy.tao.guard.AclGuard;
import dev.cloudproxy.tao.host.HostDirectory;
import dev.cloudproxy.tao.host.HostService;
import dev.cloudproxy.tao.host.HostSetup;
import dev.cloudproxy.tao.host.OpenedHost;
import dev.cloudproxy.tao.host.ProgramRunner;
import dev.cloudproxy.tao.host.ProgramUsers;
import dev.cloudproxy.tao.keys.Argon2Params;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Interactive launches: the record names the program's endpoint and its Tao-attested key, and the
 * client's handshake with the endpoint must present that key. The program is a JVM on this test's
 * class path, so the host runs it as its own user (a program user could not read the class path).
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class InteractiveLaunchTest {
    private static final char[] PASSWORD = "host password".toCharArray();
    private static final Prin ALICE = Prin.key(new byte[32]).extend(PrinExt.of("Program", new Bytes(new byte[] {1})));

    @TempDir
    Path tmp;

    private final TestLaunchDomain domain = new TestLaunchDomain();
    private OpenedHost opened;
    private HostService host;
    private LaunchService service;

    @BeforeEach
    void start() throws Exception {
        HostDirectory dir = new HostDirectory(tmp.resolve("host"));
        HostSetup.initRoot(dir, PASSWORD, Optional.empty(), Argon2Params.FLOOR);
        opened = HostSetup.openRoot(dir, PASSWORD);
        host = HostService.start(opened, ProgramRunner.defaultFactories(), ProgramUsers.hostUser());
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path echo = TestLaunchDomain.script(tmp, "echo.sh", "exec '" + java + "' -Xshare:auto -cp '"
                + System.getProperty("java.class.path") + "' " + InteractiveEchoMain.class.getName() + " \"$@\"\n");
        AclGuard guard = AclGuard.inMemory();
        guard.authorize(ALICE, LaunchService.OPERATION, List.of("echo"));
        LaunchCatalog catalog = LaunchCatalog.parse(("Launchable(\"echo\", \"process\", \"" + echo
                + "\", \"interactive\", 1)\n").getBytes(StandardCharsets.UTF_8));
        service = domain.serve(opened, host, domain.certifyHost(opened), guard, catalog,
                new LaunchService.Limits(8, 2, 2, 4096, Duration.ofSeconds(60), Duration.ofSeconds(10)));
    }

    @AfterEach
    void stop() throws Exception {
        domain.closeWith(service, host, opened);
    }

    private VerifiedLaunch launch(String... args) throws Exception {
        LaunchClient.Result r = LaunchClient.launch(domain.client(ALICE), service.address(), "echo", List.of(args),
                LaunchClient.newNonce());
        return LaunchRecordVerifier.forDomain(domain.policyCert).verify(r.record(), r.hostCertificate(), r.nonce());
    }

    @Test
    void interactive_recordNamesTheEndpointAndTheAttestedKey_andTheHandshakePresentsThatKey() throws Exception {
        VerifiedLaunch v = launch();
        LaunchRecord rec = v.record();

        assertThat(rec.mode()).isEqualTo(LaunchCatalog.INTERACTIVE);
        assertThat(rec.endpoint()).startsWith("127.0.0.1:");
        assertThat(rec.programKey()).isNotEmpty();
        assertThat(rec.program().isIdenticalOrExtensionOf(opened.host().name())).isTrue();
        assertThat(host.runner().list()).hasSize(1); // it keeps running for the client
        try (SSLSocket s = LaunchClient.connect(rec)) {
            s.getOutputStream().write("hi\n".getBytes(StandardCharsets.UTF_8));
            s.getOutputStream().flush();
            String answer = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8))
                    .readLine();
            assertThat(answer).isEqualTo("echo hi");
            assertThat(s.getSession().getProtocol()).isEqualTo("TLSv1.3");
        }
    }

    @Test
    void interactive_endpointPresentingAnotherKeyThanTheRecordNames_abortsTheHandshake() throws Exception {
        VerifiedLaunch v = launch("other-key");

        SSLException e = assertThrows(SSLException.class, () -> LaunchClient.connect(v.record()).close());
        assertThat(e.getMessage() + e.getCause()).contains("another key than the launch record names");
    }

    @Test
    void interactive_programAnnouncingAKeyItsTaoDidNotAttest_isRefused_andKilled() throws Exception {
        LaunchRefusedException e = assertThrows(LaunchRefusedException.class, () -> launch("unattested-key"));

        assertThat(e).hasMessageContaining("did not attest");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!host.runner().list().isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(host.runner().list()).isEmpty();
    }
}
