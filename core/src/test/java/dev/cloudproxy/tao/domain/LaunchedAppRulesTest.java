package dev.cloudproxy.tao.domain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cloudproxy.tao.auth.Bytes;
import dev.cloudproxy.tao.auth.Form;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.PrinExt;
import dev.cloudproxy.tao.auth.PrinTail;
import dev.cloudproxy.tao.auth.Str;
import dev.cloudproxy.tao.guard.DatalogGuard;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The sample template's rules for launched JVM apps (docs/domain_template.txt): a Datalog guard
 * admits an app on every trusted runtime with every trusted agent, on a trusted host and under a
 * trusted launcher stacked on one, and refuses any part it does not trust.
 */
class LaunchedAppRulesTest {
    private static final Prin HOST = Prin.key(filled(0x11).value());
    private static final PrinTail R1 = part("Runtime", filled(0x21));
    private static final PrinTail R2 = part("Runtime", filled(0x22));
    private static final PrinTail R_UNTRUSTED = part("Runtime", filled(0x23));
    private static final PrinTail AGENT = agent("0.1.0", 0x31);
    private static final PrinTail AGENT_UNTRUSTED = agent("0.0.9", 0x32);
    private static final PrinTail NO_AGENT = agent("", 0x33);
    private static final PrinTail APP_V1 = part("App", filled(0x41));
    private static final PrinTail APP_V2 = part("App", filled(0x42));
    private static final PrinTail CONFIG = part("Config", filled(0x51));
    private static final PrinTail CONFIG_OTHER_RULE = part("Config", filled(0x52));
    private static final PrinTail LAUNCHER = part("App", filled(0x61));
    private static final PrinTail LAUNCHER_CONFIG = part("Config", filled(0x62));
    private static final PrinExt LIBERAL = PrinExt.of("LiberalGuard");

    private DatalogGuard guard;

    @BeforeEach
    void templateGuard() throws Exception {
        guard = DatalogGuard.inMemory();
        for (Form rule : DomainTest.sampleTemplate("host = " + HOST).policy()) {
            guard.addRule(rule);
        }
        guard.addRule(PolicyFacts.trustedRuntime(R1));
        guard.addRule(PolicyFacts.trustedRuntime(R2));
        guard.addRule(PolicyFacts.trustedAgent(AGENT));
        guard.addRule(PolicyFacts.trustedApp(APP_V1, CONFIG));
        guard.addRule(PolicyFacts.trustedLauncher(NO_AGENT, LAUNCHER, LAUNCHER_CONFIG));
    }

    @Test
    void trustedApp_onEitherTrustedRuntime_admitted() {
        assertThat(executes(HOST.extend(jvm(R1, AGENT, APP_V1, CONFIG)))).isTrue();
        assertThat(executes(HOST.extend(jvm(R2, AGENT, APP_V1, CONFIG)))).isTrue();
    }

    @Test
    void untrustedRuntimeAgentAppOrConfig_refused() {
        assertThat(executes(HOST.extend(jvm(R_UNTRUSTED, AGENT, APP_V1, CONFIG)))).as("runtime").isFalse();
        assertThat(executes(HOST.extend(jvm(R1, AGENT_UNTRUSTED, APP_V1, CONFIG)))).as("agent").isFalse();
        assertThat(executes(HOST.extend(jvm(R1, AGENT, APP_V2, CONFIG)))).as("app").isFalse();
        assertThat(executes(HOST.extend(jvm(R1, AGENT, APP_V1, CONFIG_OTHER_RULE)))).as("config").isFalse();
        assertThat(executes(Prin.key(filled(0x12).value()).extend(jvm(R1, AGENT, APP_V1, CONFIG)))).as("host")
                .isFalse();
    }

    @Test
    void newVersion_afterOneFact_admitted_andRetractedVersion_refused() throws Exception {
        guard.addRule(PolicyFacts.trustedApp(APP_V2, CONFIG));
        assertThat(executes(HOST.extend(jvm(R1, AGENT, APP_V2, CONFIG)))).isTrue();
        guard.retractRule(PolicyFacts.trustedApp(APP_V1, CONFIG));
        assertThat(executes(HOST.extend(jvm(R1, AGENT, APP_V1, CONFIG)))).isFalse();
    }

    @Test
    void appUnderTrustedLauncherStackedOnHost_admitted_underUntrustedLauncher_refused() {
        // The launcher's stacked host appends its guard: host.Jvm(launcher).LiberalGuard().Jvm(app).
        Prin launcher = HOST.extend(jvm(R2, NO_AGENT, LAUNCHER, LAUNCHER_CONFIG), LIBERAL);
        assertThat(executes(launcher.extend(jvm(R1, AGENT, APP_V1, CONFIG)))).isTrue();
        assertThat(executes(launcher)).as("the launcher is a host, not a member").isFalse();
        assertThat(executes(launcher.parent().orElseThrow().extend(jvm(R1, AGENT, APP_V1, CONFIG))))
                .as("without the launcher's guard").isFalse();

        Prin otherLauncher = HOST.extend(jvm(R2, NO_AGENT, APP_V2, LAUNCHER_CONFIG), LIBERAL);
        assertThat(executes(otherLauncher.extend(jvm(R1, AGENT, APP_V1, CONFIG)))).isFalse();
        Prin launcherOnUntrustedRuntime = HOST.extend(jvm(R_UNTRUSTED, NO_AGENT, LAUNCHER, LAUNCHER_CONFIG), LIBERAL);
        assertThat(executes(launcherOnUntrustedRuntime.extend(jvm(R1, AGENT, APP_V1, CONFIG)))).isFalse();
    }

    @Test
    void hints_refusedLaunchedApp_nameEachMissingFactAndItsCommand() throws Exception {
        Prin app = HOST.extend(jvm(R_UNTRUSTED, AGENT_UNTRUSTED, APP_V2, CONFIG), PrinExt.of("PolicyKey", filled(1)));
        List<String> missing = LaunchedAppHints.missing(guard, app);
        assertThat(missing).hasSize(3);
        assertThat(missing.get(0)).isEqualTo(PolicyFacts.trustedRuntime(R_UNTRUSTED)
                + " (tao domain policy DIR --trust-runtime JAVA_HOME)");
        assertThat(missing.get(1)).startsWith("TrustedAgent(ext.Agent(\"0.0.9\"").endsWith("--trust-agent tao-launcher.jar)");
        assertThat(missing.get(2)).startsWith("TrustedApp(ext.App([4242").contains("--trust-app -- ");

        Prin onOtherHost = Prin.key(filled(0x12).value()).extend(jvm(R1, AGENT, APP_V1, CONFIG));
        assertThat(LaunchedAppHints.missing(guard, onOtherHost)).singleElement().asString()
                .isEqualTo("JvmHost(" + Prin.key(filled(0x12).value()) + ") (tao domain policy DIR --add-host "
                        + Prin.key(filled(0x12).value()) + ", or --trust-launcher tao-launcher.jar for a launcher on a Tao host)");
        assertThat(LaunchedAppHints.missing(guard, HOST.extend(PrinExt.of("Jvm", filled(1))))).as("old form").isEmpty();
        assertThat(LaunchedAppHints.missing(guard, HOST.extend(jvm(R1, AGENT, APP_V1, CONFIG)))).isEmpty();
    }

    @Test
    void policyFacts_wrongPart_refused() {
        assertThrows(IllegalArgumentException.class, () -> PolicyFacts.trustedRuntime(APP_V1));
        assertThrows(IllegalArgumentException.class, () -> PolicyFacts.trustedApp(CONFIG, APP_V1));
        assertThrows(IllegalArgumentException.class, () -> PolicyFacts.trustedAgent(PrinTail.of(
                PrinExt.of("Agent", new Str("1")), PrinExt.of("Agent", new Str("2")))));
    }

    private boolean executes(Prin p) {
        return guard.isAuthorized(p, "Execute", List.of());
    }

    private static PrinExt jvm(PrinTail runtime, PrinTail agent, PrinTail app, PrinTail config) {
        return PrinExt.of("Jvm", runtime, agent, app, config);
    }

    private static PrinTail agent(String version, int fill) {
        return PrinTail.of(PrinExt.of("Agent", new Str(version), filled(fill)));
    }

    private static PrinTail part(String name, Bytes digest) {
        return PrinTail.of(PrinExt.of(name, digest));
    }

    private static Bytes filled(int b) {
        byte[] v = new byte[32];
        Arrays.fill(v, (byte) b);
        return new Bytes(v);
    }
}
