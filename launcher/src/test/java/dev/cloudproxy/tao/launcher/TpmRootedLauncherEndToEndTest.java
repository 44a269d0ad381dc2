package dev.cloudproxy.tao.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudproxy.tao.auth.Form;
import dev.cloudproxy.tao.auth.Pred;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.PrinExt;
import dev.cloudproxy.tao.auth.PrinTail;
import dev.cloudproxy.tao.auth.SubPrin;
import dev.cloudproxy.tao.domain.Domain;
import dev.cloudproxy.tao.domain.DomainTemplate;
import dev.cloudproxy.tao.domain.PolicyFacts;
import dev.cloudproxy.tao.domain.ProgramCertificate;
import dev.cloudproxy.tao.domainservice.DomainService;
import dev.cloudproxy.tao.host.HostDirectory;
import dev.cloudproxy.tao.host.HostService;
import dev.cloudproxy.tao.host.HostSetup;
import dev.cloudproxy.tao.host.OpenedHost;
import dev.cloudproxy.tao.host.ProgramRunner;
import dev.cloudproxy.tao.host.ProgramUsers;
import dev.cloudproxy.tao.keys.Argon2Params;
import dev.cloudproxy.tao.launcher.LauncherProcess.Result;
import dev.cloudproxy.tao.launcher.apps.TaoClientApp;
import dev.cloudproxy.tao.launcher.apps.TaoServerApp;
import dev.cloudproxy.tao.tpm.Swtpm;
import dev.cloudproxy.tao.tpm.TpmParent;
import dev.cloudproxy.tao.tpm.TpmTao;
import java.io.BufferedReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole chain of the design on swtpm: a TPM-rooted host (its key delegated by a TPM quote)
 * runs two launchers, each a stacked host for one unmodified app; the apps get program
 * certificates from the domain service of a Datalog domain (the template's rules, no liberal
 * guard) and talk over a Tao channel. The domain trusts the TPM by its attestation key and PCR
 * values ({@code TrustedTpm}, {@code TrustedTpmPcrs}), not by the host's key.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class TpmRootedLauncherEndToEndTest {
    private static final char[] PASSWORD = "domain password".toCharArray();
    /**
     * Admits launched apps by the tail under a trusted host: the launcher's measurement, its
     * stacked host's guard and the app's measurement (the template's rules for launched apps are
     * another issue's; this test is about the TPM root under them).
     */
    private static final String LAUNCHED_APP_RULE = "forall P: forall Host: forall App: TrustedHost(Host)"
            + " and TrustedLaunchedApp(App) and Subprin(P, Host, App) implies MemberProgram(P)";

    @TempDir
    Path tmp;

    @Test
    void appsLaunchedOnATpmRootedHost_inADatalogDomain_getCertificatesOpensslVerifies_andTalkOverATaoChannel()
            throws Exception {
        try (Swtpm swtpm = Swtpm.start();
                Domain domain = Domain.create(tmp.resolve("domain"),
                        DomainTemplate.read(Path.of("..", "docs", "domain_template.txt")), PASSWORD, Argon2Params.FLOOR);
                DomainService service = DomainService.builder(domain)
                        .listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).start()) {
            Path home = Files.createDirectory(tmp.resolve("home"));
            HostDirectory dir = new HostDirectory(home.resolve("host"));
            String spec = TpmParent.simulatorSpec("127.0.0.1", swtpm.port());
            byte[] hostCode = MessageDigest.getInstance("SHA-256")
                    .digest("TpmRootedLauncherEndToEndTest host".getBytes(StandardCharsets.UTF_8));
            try (HostSetup.Staging staging = HostSetup.stage(dir);
                    TpmTao tpm = TpmParent.open(spec, staging.directory().root().resolve("tpm"), hostCode,
                            Optional.of(List.of(0, 7, TpmTao.HOST_PCR)))) {
                HostSetup.initStacked(staging, tpm, spec, Optional.empty());
            }
            Path policy = Files.writeString(tmp.resolve("policy.pem"), ProgramCertificate.toPem(domain.policyCertificate()));
            Map<String, String> env = Map.of("TAO_HOME", home.toString(), "HOME", tmp.toString(),
                    "TAO_LAUNCHER_JAR", TestApps.launcherJar(Files.createDirectory(tmp.resolve("launcher"))).toString());
            List<String> domainArgs = List.of("--domain-service", "127.0.0.1:" + service.address().getPort(),
                    "--policy-cert", policy.toString());
            Path serverJar = TestApps.jar(Files.createDirectories(tmp.resolve("server")), "server", TaoServerApp.class, null);
            Path clientJar = TestApps.jar(Files.createDirectories(tmp.resolve("client")), "client", TaoClientApp.class, null);
            // Rules for any port keep each app's name (its measured agent options) the same in every run.
            List<String> serverArgs = args(List.of("--rule", "in 127.0.0.1 * TAO"), domainArgs,
                    List.of(serverJar.toString(), "socket", "0", "1"));

            try (TpmTao tpm = TpmParent.open(spec, dir.root().resolve("tpm"), hostCode, Optional.empty());
                    OpenedHost opened = HostSetup.openStacked(dir, tpm)) {
                tpm.releaseConnection(); // the host serves without holding swtpm's one connection
                Prin host = opened.host().name();
                assertThat(host.toString()).startsWith("tpm2([").contains(".PCRs(\"0,7,23\", \"");
                try (HostService hostService = HostService.start(opened, ProgramRunner.defaultFactories(),
                        ProgramUsers.hostUser())) {
                    // The domain trusts this TPM in this state, and hosts on it that append the guard
                    // this one does; nothing yet about the apps, so each is refused its certificate.
                    Prin ak = host.root();
                    PrinTail pcrs = new PrinTail(new SubPrin(host.ext().exts().subList(0, 1)));
                    PrinTail guard = new PrinTail(new SubPrin(host.ext().exts().subList(1, host.ext().size())));
                    addRules(domain, PolicyFacts.trustedTpm(ak), PolicyFacts.trustedTpmPcrs(pcrs),
                            PolicyFacts.trustedGuard(guard), Form.parse(LAUNCHED_APP_RULE));
                    Prin server = refusedName(LauncherProcess.run(tmp, env, serverArgs), service, host);
                    Prin client = refusedName(LauncherProcess.run(tmp, env, args(List.of("--rule", "out 127.0.0.1 * TAO"),
                            domainArgs, List.of(clientJar.toString(), "1"))), service, host);

                    addRules(domain, trustedLaunchedApp(server, host), trustedLaunchedApp(client, host));
                    try (LauncherProcess serverRun = LauncherProcess.start(tmp, env, true, serverArgs)) {
                        BufferedReader out = serverRun.stdout();
                        String serverName = value(out.readLine(), "name: ");
                        int port = Integer.parseInt(value(out.readLine(), "listening on "));
                        Result clientRun = LauncherProcess.run(tmp, env, args(List.of("--rule", "out 127.0.0.1 * TAO"),
                                domainArgs, List.of(clientJar.toString(), Integer.toString(port))));

                        assertThat(clientRun.status()).as(clientRun.err()).isZero();
                        List<String> lines = clientRun.out().lines().toList();
                        assertThat(lines.get(0)).as(clientRun.err()).isEqualTo("answer: echo: hello");
                        assertThat(lines.get(1)).isEqualTo("peer: " + serverName);
                        String clientName = value(lines.get(2), "name: ");
                        assertThat(serverName).isEqualTo(server.toString());
                        assertThat(clientName).isEqualTo(client.toString());
                        assertThat(out.readLine()).endsWith(" peer=" + clientName + " line=hello");
                        assertThat(serverRun.waitFor().status()).isZero();
                    }
                    for (Prin app : List.of(server, client)) {
                        // ...PCRs(..).LiberalGuard().Jvm(launcher parts).LiberalGuard().Jvm(app parts).PolicyKey([..])
                        assertThat(app.toString()).startsWith(host + ".Jvm(ext.Runtime([");
                        assertThat(app.lastExtension().orElseThrow().name()).isEqualTo("PolicyKey");
                    }
                }
            }
            List<Path> certificates = programCertificates(home);
            assertThat(certificates).hasSize(2);
            for (Path cert : certificates) {
                assertThat(openssl("verify", "-CAfile", policy.toString(), cert.toString()))
                        .isEqualTo(cert + ": OK\n");
            }
        }
    }

    private static List<String> args(List<String> rules, List<String> domainArgs, List<String> app) {
        List<String> all = new ArrayList<>(rules);
        all.addAll(domainArgs);
        all.addAll(app);
        return all;
    }

    private static void addRules(Domain domain, Form... rules) throws Exception {
        for (Form r : rules) {
            domain.guard().addRule(r);
        }
        domain.saveGuard();
    }

    /**
     * The principal the domain service refused for want of authorization, from its audit line
     * (the reason sent to the program is cut at 300 characters, shorter than a TPM-rooted name).
     */
    private static Prin refusedName(Result r, DomainService service, Prin host) throws Exception {
        assertThat(r.status()).as(r.err()).isEqualTo(Main.LAUNCHER_FAILED);
        assertThat(r.out()).as("the app never ran").isEmpty();
        // The root was trusted (the TPM rules): what is missing is the app's authorization.
        assertThat(r.err()).contains("the domain service refused: the guard does not authorize " + host.root());
        List<Prin> refused = new ArrayList<>();
        for (String line : Files.readAllLines(service.auditFile())) {
            String[] f = line.split("	");
            if (f[2].equals("refused") && f[5].startsWith("the guard does not authorize ")) {
                refused.add(Prin.parse(f[3]));
            }
        }
        Prin p = refused.get(refused.size() - 1);
        assertThat(p.isIdenticalOrExtensionOf(host)).as(p.toString()).isTrue();
        return p;
    }

    /** {@code TrustedLaunchedApp(tail)}: the refused name between the host and its {@code PolicyKey}. */
    private static Form trustedLaunchedApp(Prin app, Prin host) {
        List<PrinExt> exts = app.ext().exts();
        return Pred.of("TrustedLaunchedApp",
                new PrinTail(new SubPrin(exts.subList(host.ext().size(), exts.size() - 1))));
    }

    private static List<Path> programCertificates(Path home) throws Exception {
        try (Stream<Path> files = Files.walk(home)) {
            return files.filter(p -> p.getFileName().toString().equals("program.cert.pem")).sorted().toList();
        }
    }

    private static String openssl(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("openssl"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return out;
    }

    private static String value(String line, String prefix) {
        assertThat(line).as("output line").startsWith(prefix);
        return line.substring(prefix.length());
    }
}
