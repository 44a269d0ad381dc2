package dev.cloudproxy.tao.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The command line, the JVM option policy and the environment, without starting anything. */
class LauncherOptionsTest {
    @Test
    void parse_optionsThenJarThenAppArgumentsUnchanged() throws Exception {
        LauncherOptions o = LauncherOptions.parse(List.of("--cp", "a.jar", "--jvm-option=-Xmx64m", "--main", "x.Y",
                "--rule", "out * 443 DENY", "--state", "mine", "--seal-every=0", "-v", "app.jar", "--cp", "-v", "--"));

        assertThat(o.appJar()).isEqualTo(Path.of("app.jar"));
        assertThat(o.appArgs()).containsExactly("--cp", "-v", "--");
        assertThat(o.classpath()).containsExactly(Path.of("a.jar"));
        assertThat(o.jvmOptions()).containsExactly("-Xmx64m");
        assertThat(o.mainClass()).contains("x.Y");
        assertThat(o.rules().toLine()).isEqualTo("out * 443 DENY");
        assertThat(o.stateName()).contains("mine");
        assertThat(o.sealEverySeconds()).isZero();
        assertThat(o.verbose()).isTrue();
    }

    @Test
    void parse_classPath_splitAsJavaSplitsIt_repeatable_wildcardsKept() throws Exception {
        LauncherOptions o = LauncherOptions.parse(List.of("--cp", "a.jar:lib/*:classes", "--cp=b.jar", "app.jar"));

        assertThat(o.classpath()).containsExactly(Path.of("a.jar"), Path.of("lib/*"), Path.of("classes"), Path.of("b.jar"));
    }

    @Test
    void parse_classPathWithAnEmptyElement_refused() {
        for (String cp : List.of("a.jar::b.jar", ":a.jar", "a.jar:", "")) {
            assertThatThrownBy(() -> LauncherOptions.parse(List.of("--cp", cp, "app.jar")))
                    .as(cp).isInstanceOf(LauncherException.class).hasMessageContaining("empty element");
        }
    }

    @Test
    void parse_doubleDash_endsOptions() throws Exception {
        assertThat(LauncherOptions.parse(List.of("--", "-weird.jar", "x")).appJar()).isEqualTo(Path.of("-weird.jar"));
    }

    @Test
    void parse_mistakes_areOneLineErrors() {
        assertThatThrownBy(() -> LauncherOptions.parse(List.of("--main"))).hasMessageStartingWith("--main needs a value");
        assertThatThrownBy(() -> LauncherOptions.parse(List.of("--state", "../x", "a.jar"))).hasMessageContaining("--state must be");
        assertThatThrownBy(() -> LauncherOptions.parse(List.of("--seal-every", "-1", "a.jar"))).hasMessageContaining("seconds");
        assertThatThrownBy(() -> LauncherOptions.parse(List.of("--domain-service", "h:1", "a.jar")))
                .hasMessageContaining("go together");
        assertThatThrownBy(() -> LauncherOptions.parse(List.of("--domain-service", "no port", "a.jar")))
                .hasMessageContaining("HOST:PORT");
        assertThatThrownBy(() -> LauncherOptions.parse(List.of("--help"))).isInstanceOf(LauncherOptions.UsageRequested.class);
    }

    @Test
    void parse_taoRulesWithoutTheDomain_areRefusedNamingTheMissingOptions() {
        assertThatThrownBy(() -> LauncherOptions.parse(List.of("--rule", "out * 80 PLAIN", "--rule", "in 127.0.0.1 5000 TAO",
                "app.jar"))).isInstanceOf(LauncherException.class)
                .hasMessage("the rule 'in 127.0.0.1 5000 TAO' needs Tao channels: give --domain-service HOST:PORT and "
                        + "--policy-cert FILE (the domain that certifies this app)");
    }

    @Test
    void parse_crlOptions_needTheDomainAndBoundedSeconds(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        Path policy = tmp.resolve("policy.pem");
        try (dev.cloudproxy.tao.keys.Signer key = dev.cloudproxy.tao.keys.Signer.generate()) {
            java.nio.file.Files.writeString(policy, dev.cloudproxy.tao.domain.ProgramCertificate.toPem(
                    dev.cloudproxy.tao.domain.PolicyCertificate.create(key, "D",
                            dev.cloudproxy.tao.domain.DomainTemplate.X509Details.NONE, 30)));
        }
        LauncherOptions set = LauncherOptions.parse(List.of("--domain-service", "127.0.0.1:8124", "--policy-cert",
                policy.toString(), "--crl-refresh=5", "--crl-allow-stale", "app.jar"));

        assertThat(set.crlRefreshSeconds()).hasValue(5);
        assertThat(set.crlAllowStale()).isTrue();
        assertThat(LauncherOptions.parse(List.of("app.jar")).crlRefreshSeconds()).isEmpty();
        assertThat(LauncherOptions.parse(List.of("app.jar")).crlAllowStale()).isFalse();
        assertThatThrownBy(() -> LauncherOptions.parse(List.of("--crl-refresh", "5", "a.jar")))
                .hasMessageContaining("need --domain-service");
        assertThatThrownBy(() -> LauncherOptions.parse(List.of("--crl-allow-stale", "a.jar")))
                .hasMessageContaining("need --domain-service");
        for (String bad : new String[] {"0", "86401", "-1", "x"}) {
            assertThatThrownBy(() -> LauncherOptions.parse(List.of("--crl-refresh", bad, "a.jar")))
                    .as(bad).hasMessageContaining("--crl-refresh takes a number of seconds");
        }
    }

    @Test
    void jvmOptions_hardeningComesLast_andWinsOverTheUsers() throws Exception {
        List<String> opts = JvmOptions.of(List.of("-Xmx1g", "-XX:+UseG1GC"), 17, false);
        List<String> with = JvmOptions.of(List.of(), 25, true);

        assertThat(opts).startsWith("-Xmx1g", "-XX:+UseG1GC").endsWith(JvmOptions.HARDENING.toArray(String[]::new));
        assertThat(opts).doesNotContain("--enable-native-access=ALL-UNNAMED", "-Xshare:off");
        assertThat(with).containsSequence("--enable-native-access=ALL-UNNAMED", "-Xshare:off");
    }

    @Test
    void jvmOptions_thatLoadCodeOrUndoHardening_areRefused() {
        for (String bad : List.of("-javaagent:x.jar", "-agentlib:jdwp=server=y", "-AGENTLIB:jdwp", "-agentpath:/x.so",
                "-Xbootclasspath/a:x", "-Xrunjdwp", "-Xdebug", "-XX:+HeapDumpOnOutOfMemoryError", "-XX:HeapDumpPath=/tmp",
                "-XX:-DisableAttachMechanism", "-XX:+UsePerfData", "-XX:OnError=sh", "-XX:StartFlightRecording",
                "-Djdk.attach.allowAttachSelf=true", "notAnOption", "")) {
            assertThatThrownBy(() -> JvmOptions.check(bad)).as(bad).isInstanceOf(LauncherException.class);
        }
    }

    @Test
    void childEnvironment_dropsInjectionAndTaoVariables_andNamesOnlyTheirNames() {
        Map<String, String> env = new HashMap<>(Map.of("JAVA_TOOL_OPTIONS", "-javaagent:evil.jar", "LD_PRELOAD", "/evil.so",
                "LD_LIBRARY_PATH", "/evil", "TAO_PASSWORD", "secret-value", "TAO_HOST_SOCKET", "/x", "CLASSPATH", "/evil.jar",
                "HOME", "/home/me", "LANG", "C.UTF-8"));
        ByteArrayOutputStream err = new ByteArrayOutputStream();

        ChildEnvironment.scrub(env, new PrintStream(err, true, StandardCharsets.UTF_8));

        assertThat(env).containsOnlyKeys("HOME", "LANG");
        String said = err.toString(StandardCharsets.UTF_8);
        assertThat(said).contains("removed JAVA_TOOL_OPTIONS", "removed LD_PRELOAD", "removed CLASSPATH")
                .doesNotContain("evil").doesNotContain("secret-value").doesNotContain("TAO_PASSWORD");
    }

    @Test
    void forwardedEnvironment_toAHost_keepsTaoHomeOnly_andWhatTheHostAccepts() {
        List<String> fwd = StackedFrontEnd.forwardedEnvironment(new TaoHome(Path.of("/h/.tao")), Map.of(
                "TAO_PASSWORD", "secret-value", "TAO_HOST_ADMIN", "/x", "PATH", "/bin", "LD_PRELOAD", "/evil.so",
                "JAVA_TOOL_OPTIONS", "-javaagent:x", "LANG", "C.UTF-8", "APP_SETTING", "1", "JDK_AOT_VM_OPTIONS", "-x",
                "_JAVA_LAUNCHER_DEBUG", "1"));

        assertThat(fwd).containsExactly("APP_SETTING=1", "LANG=C.UTF-8", "TAO_HOME=/h/.tao");
    }

    @Test
    void defaultStateName_isTheJarNamePlusTheMainClassWhenGiven() {
        assertThat(Launch.defaultStateName(Path.of("dir/my app.jar"), java.util.Optional.empty())).isEqualTo("my_app");
        assertThat(Launch.defaultStateName(Path.of("a.jar"), java.util.Optional.of("x.y.Main"))).isEqualTo("a+Main");
        assertThat(Launch.defaultStateName(Path.of(".jar"), java.util.Optional.empty())).isEqualTo("app");
    }
}
