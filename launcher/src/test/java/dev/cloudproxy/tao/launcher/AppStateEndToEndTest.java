package dev.cloudproxy.tao.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.channel.TaoChannels;
import dev.cloudproxy.tao.domain.Domain;
import dev.cloudproxy.tao.domain.DomainTemplate;
import dev.cloudproxy.tao.domain.ProgramCertificate;
import dev.cloudproxy.tao.domainservice.DomainService;
import dev.cloudproxy.tao.keys.Argon2Params;
import dev.cloudproxy.tao.launcher.LauncherProcess.Result;
import dev.cloudproxy.tao.launcher.apps.SealedApp;
import dev.cloudproxy.tao.launcher.apps.TaoClientApp;
import dev.cloudproxy.tao.paradigm.TaoParadigm;
import dev.cloudproxy.tao.soft.SoftTao;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Data that follows the app, not the exact name, on the development root (a liberal host: every
 * name is admitted to its app's state, so no command is needed): a new version of the code, a
 * changed channel rule, a changed JVM option and another Java runtime each give the app a new
 * name and keep its {@code @TaoSealed} state; the Tao paradigm's key follows too, and a new
 * program certificate names the new name.
 */
class AppStateEndToEndTest {
    private static final Path JDK25 = Path.of("/usr/lib/jvm/temurin-25-jdk-amd64");
    private static final Path JDK17 = Path.of("/usr/lib/jvm/java-17-openjdk-amd64");

    /** A Java runtime other than the one the launcher runs on: JDK 25, or JDK 17 when the tests run on 25. */
    private static Path otherRuntime() throws Exception {
        Path current = Path.of(System.getProperty("java.home")).toRealPath();
        for (Path candidate : List.of(JDK25, JDK17)) {
            if (Files.isRegularFile(candidate.resolve("release")) && !candidate.toRealPath().equals(current)) {
                return candidate;
            }
        }
        return null;
    }

    @TempDir
    Path tmp;

    private Map<String, String> env() throws Exception {
        Path home = tmp.resolve("home");
        Files.createDirectories(home);
        return Map.of("TAO_HOME", home.toString(), "HOME", tmp.toString());
    }

    private Result launch(Object... args) throws Exception {
        List<String> a = new ArrayList<>();
        for (Object o : args) {
            a.add(o.toString());
        }
        return LauncherProcess.run(tmp, env(), a);
    }

    @Test
    void newCode_changedRule_changedJvmOption_anotherRuntime_keepTheSealedCounter_withNoCommand() throws Exception {
        Path v1 = TestApps.jar(Files.createDirectories(tmp.resolve("v1")), "app", SealedApp.class, "version 1");
        Path v2 = TestApps.jar(Files.createDirectories(tmp.resolve("v2")), "app", SealedApp.class, "version 2");
        Set<String> names = new HashSet<>();

        assertThat(runs(launch("-v", v1, "one"), names)).isEqualTo("runs=0");
        assertThat(runs(launch("-v", v2, "two"), names)).isEqualTo("runs=1");
        assertThat(runs(launch("-v", "--rule", "out 127.0.0.1 19092 DENY", v2, "three"), names)).isEqualTo("runs=2");
        assertThat(runs(launch("-v", "--rule", "out 127.0.0.1 19092-19099 DENY", v2, "four"), names)).isEqualTo("runs=3");
        Result option = launch("-v", "--jvm-option=-Xmx256m", v2, "five");
        assertThat(runs(option, names)).isEqualTo("runs=4");
        assertThat(option.out()).startsWith("runs=4 total=140 note=four ");
        // Each change was a new name, which the exact-name seal of before would have refused.
        assertThat(names).hasSize(5);

        Path other = otherRuntime();
        assumeTrue(other != null, "no second Java runtime at " + JDK25 + " or " + JDK17);
        assertThat(runs(launch("-v", "--java-home", other, v2, "six"), names)).isEqualTo("runs=5");
        assertThat(runs(launch(v2, "seven"), names)).isEqualTo("runs=6"); // and back to the launcher's runtime
        assertThat(names).hasSize(6);
    }

    /** The {@code runs=N} the app printed; adds the app's name (printed with {@code -v}) to {@code names}. */
    private static String runs(Result r, Set<String> names) {
        assertThat(r.status()).as(r.err()).isZero();
        r.err().lines().filter(l -> l.startsWith("tao-launcher: app name: "))
                .forEach(l -> names.add(l.substring("tao-launcher: app name: ".length())));
        return r.out().substring(0, r.out().indexOf(' '));
    }

    @Test
    void underADatalogDomain_eachVersionNeedsOneFact_retractedUnadmittedAndOtherAppsAreRefused_andTheDataStays()
            throws Exception {
        char[] password = "domain password".toCharArray();
        Path domainDir = tmp.resolve("domain");
        DomainTemplate template = DomainTemplate.parse(Files.readAllBytes(Path.of("..", "docs", "domain_template.txt")),
                "template");
        Domain.create(domainDir, template, password, Argon2Params.FLOOR).close();
        Map<String, String> env = new HashMap<>(env());
        env.put(Launch.APP_POLICY_ENV, domainDir.toString());
        Path v1 = TestApps.jar(Files.createDirectories(tmp.resolve("v1")), "app", SealedApp.class, "version 1");
        Path v2 = TestApps.jar(Files.createDirectories(tmp.resolve("v2")), "app", SealedApp.class, "version 2");
        Path v3 = TestApps.jar(Files.createDirectories(tmp.resolve("v3")), "app", SealedApp.class, "version 3");
        Path other = TestApps.jar(Files.createDirectories(tmp.resolve("other")), "other", SealedApp.class, null);

        // v1 is refused until the operator admits it, with the fact to add.
        String v1Fact = missingFact(LauncherProcess.run(tmp, env, List.of(v1.toString(), "one")));
        changePolicy(domainDir, password, d -> d.guard().addRule(v1Fact));
        assertThat(LauncherProcess.run(tmp, env, List.of(v1.toString(), "one")).out()).startsWith("runs=0 ");
        assertThat(LauncherProcess.run(tmp, env, List.of(v1.toString(), "two")).out()).startsWith("runs=1 ");

        // v2: one fact, then it reads v1's counter.
        String v2Fact = missingFact(LauncherProcess.run(tmp, env, List.of(v2.toString(), "three")));
        assertThat(v2Fact).isNotEqualTo(v1Fact);
        changePolicy(domainDir, password, d -> d.guard().addRule(v2Fact));
        Result upgraded = LauncherProcess.run(tmp, env, List.of(v2.toString(), "three"));
        assertThat(upgraded.out()).as(upgraded.err()).startsWith("runs=2 total=120 note=two ");

        // v1 retracted (a downgrade), v3 never admitted, another app claiming the id: all refused.
        changePolicy(domainDir, password, d -> d.guard().retractRule(v1Fact));
        Path state = tmp.resolve("home/launcher/state/app.sealed");
        byte[] before = Files.readAllBytes(state);
        missingFact(LauncherProcess.run(tmp, env, List.of(v1.toString(), "down")));
        missingFact(LauncherProcess.run(tmp, env, List.of(v3.toString(), "three")));
        missingFact(LauncherProcess.run(tmp, env, List.of("--state", "app", other.toString(), "mine")));
        assertThat(Files.readAllBytes(state)).isEqualTo(before);
        Result after = LauncherProcess.run(tmp, env, List.of(v2.toString(), "four"));
        assertThat(after.out()).as(after.err()).startsWith("runs=3 total=130 note=three ");
    }

    private interface PolicyChange {
        void apply(Domain domain) throws Exception;
    }

    /** What {@code tao domain policy DIR --add/--retract RULE} does. */
    private static void changePolicy(Path dir, char[] password, PolicyChange change) throws Exception {
        try (Domain d = Domain.loadWithKeys(dir, password)) {
            change.apply(d);
            d.saveGuard();
        }
    }

    private static final Pattern FACT = Pattern.compile("Authorized\\(.+?, \"AppState\", \"app\"\\)");

    /** The launch was refused its app state, with the fact that would admit it; returns the fact. */
    private static String missingFact(Result r) {
        assertThat(r.status()).as(r.out() + r.err()).isNotZero();
        assertThat(r.err()).contains("does not admit this program to the state of app \"app\"");
        Matcher m = FACT.matcher(r.err());
        assertThat(m.find()).as(r.err()).isTrue();
        return m.group();
    }

    @Test
    void newVersion_keepsItsTaoChannelKey_andGetsACertificateForItsNewName() throws Exception {
        char[] password = "domain password".toCharArray();
        try (Domain domain = TestDomains.liberal(tmp.resolve("domain"), password);
                DomainService service = DomainService.builder(domain)
                        .listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).start();
                SoftTao serverTao = SoftTao.ephemeral()) {
            TaoChannels channels = TestDomains.serverChannels(serverTao, domain, service, tmp.resolve("server-state"));
            String server = serverTao.getTaoName().toString();
            Path policy = Files.writeString(tmp.resolve("policy.pem"), ProgramCertificate.toPem(domain.policyCertificate()));
            List<String> seen = new CopyOnWriteArrayList<>();
            try (SSLServerSocket listener = (SSLServerSocket) channels.sslContext().getServerSocketFactory()
                    .createServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
                Thread accept = new Thread(() -> {
                    while (true) {
                        try (SSLSocket s = (SSLSocket) listener.accept();
                                BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
                                PrintWriter out = new PrintWriter(s.getOutputStream(), true, StandardCharsets.UTF_8)) {
                            out.println("echo: " + in.readLine());
                            seen.add(channels.peerPrincipal(s.getSession()).toString());
                        } catch (Exception e) {
                            return; // closed
                        }
                    }
                }, "test-server");
                accept.setDaemon(true);
                accept.start();
                int port = listener.getLocalPort();
                List<String> rule = List.of("--rule", "out 127.0.0.1 " + port + " TAO",
                        "--domain-service", "127.0.0.1:" + service.address().getPort(), "--policy-cert", policy.toString());
                Path v1 = TestApps.jar(Files.createDirectories(tmp.resolve("v1")), "client", TaoClientApp.class, "v1");
                Path v2 = TestApps.jar(Files.createDirectories(tmp.resolve("v2")), "client", TaoClientApp.class, "v2");
                Path certFile = tmp.resolve("home/launcher/state/client.paradigm").resolve(TaoParadigm.CERT_FILE);

                Result first = launch(rule.get(0), rule.get(1), rule.get(2), rule.get(3), rule.get(4), rule.get(5), v1, port);
                X509Certificate cert1 = ProgramCertificate.parsePem(Files.readAllBytes(certFile));
                Result second = launch(rule.get(0), rule.get(1), rule.get(2), rule.get(3), rule.get(4), rule.get(5), v2, port);
                X509Certificate cert2 = ProgramCertificate.parsePem(Files.readAllBytes(certFile));

                assertThat(first.out()).as(first.err()).startsWith("answer: echo: hello\npeer: " + server);
                assertThat(second.out()).as(second.err()).startsWith("answer: echo: hello\npeer: " + server);
                Prin name1 = clientName(first);
                Prin name2 = clientName(second);
                assertThat(name2).isNotEqualTo(name1);
                assertThat(seen).containsExactly(name1.toString(), name2.toString());
                // The key followed the app; the certificate names the new version.
                assertThat(cert2.getPublicKey().getEncoded()).isEqualTo(cert1.getPublicKey().getEncoded());
                assertThat(cert2.getSerialNumber()).isNotEqualTo(cert1.getSerialNumber());
            }
        }
    }

    private static Prin clientName(Result r) throws Exception {
        return Prin.parse(r.out().lines().filter(l -> l.startsWith("name: ")).findFirst().orElseThrow()
                .substring("name: ".length()));
    }
}
