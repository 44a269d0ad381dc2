package dev.cloudproxy.tao.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JavaCommandLineTest {
    @TempDir
    Path tmp;

    Path own;
    Path app;
    Path lib;

    @BeforeEach
    void setUp() throws Exception {
        own = Files.writeString(tmp.resolve("tao-launcher.jar"), "launcher");
        app = Files.writeString(tmp.resolve("app.jar"), "app");
        lib = Files.writeString(tmp.resolve("lib.jar"), "lib");
    }

    private List<String> cmd(String... args) {
        List<String> c = new ArrayList<>(List.of("/usr/bin/java"));
        c.addAll(List.of(args));
        return c;
    }

    private List<String> map(Map<String, String> env, String... args) throws LauncherException {
        return JavaCommandLine.launcherArgs(cmd(args), env, own);
    }

    @Test
    void classPathCommand_mapsToMainCpAndAppJar_andParsesAsTheLauncherWouldTakeIt() throws Exception {
        List<String> args = map(Map.of(), "-Xmx64m", "-javaagent:" + own + "=rule=out * 443 DENY,v", "-Dx=1",
                "-cp", app + ":" + lib, "x.Main", "a", "--", "-v");

        assertThat(args).containsExactly("--rule=out * 443 DENY", "-v", "--jvm-option=-Xmx64m", "--jvm-option=-Dx=1",
                "--main", "x.Main", "--cp", lib.toString(), "--", app.toString(), "a", "--", "-v");
        LauncherOptions o = LauncherOptions.parse(args);
        assertThat(o.appJar()).isEqualTo(app);
        assertThat(o.classpath()).containsExactly(lib);
        assertThat(o.mainClass()).contains("x.Main");
        assertThat(o.jvmOptions()).containsExactly("-Xmx64m", "-Dx=1");
        assertThat(o.rules().toLine()).isEqualTo("out * 443 DENY");
        assertThat(o.verbose()).isTrue();
        assertThat(o.appArgs()).containsExactly("a", "--", "-v");
    }

    @Test
    void jarCommand_mapsToTheAppJar_andIgnoresCpAsJavaDoes() throws Exception {
        assertThat(map(Map.of("CLASSPATH", "other.jar"), "-cp", "ignored.jar", "-javaagent:" + own, "-jar", app.toString(), "x"))
                .containsExactly("--", app.toString(), "x");
    }

    @Test
    void optionVariables_comeInTheJvmsOrder_andTheAgentMayBeInThem() throws Exception {
        Map<String, String> env = Map.of(
                "JAVA_TOOL_OPTIONS", "-Dtool=1 '-javaagent:" + own + "=rule=in 127.0.0.1 5000 DENY'",
                "JDK_JAVA_OPTIONS", "-Djdk=\"a b\"",
                "_JAVA_OPTIONS", "-Dlate=1",
                "CLASSPATH", app.toString());

        assertThat(map(env, "-Dcmd=1", "Main")).containsExactly("--rule=in 127.0.0.1 5000 DENY", "--jvm-option=-Dtool=1",
                "--jvm-option=-Djdk=a b", "--jvm-option=-Dcmd=1", "--jvm-option=-Dlate=1", "--main", "Main", "--",
                app.toString());
    }

    @Test
    void javaLauncherOptionsWithTheirValueApart_reachTheLauncherAsOneOption() throws Exception {
        assertThat(map(Map.of(), "-javaagent:" + own, "--add-opens", "java.base/java.lang=ALL-UNNAMED", "--class-path="
                + app, "Main")).containsExactly("--jvm-option=--add-opens=java.base/java.lang=ALL-UNNAMED", "--main",
                "Main", "--", app.toString());
    }

    @Test
    void otherAgents_goToTheLauncher_whichRefusesThem() throws Exception {
        List<String> args = map(Map.of(), "-javaagent:" + lib, "-javaagent:" + own, "-cp", app.toString(), "Main");

        assertThat(args).contains("--jvm-option=-javaagent:" + lib);
        LauncherException e = assertThrows(LauncherException.class, () -> LauncherOptions.parse(args));
        assertThat(e.getMessage()).startsWith("JVM option '-javaagent:");
    }

    @Test
    void commandsTheLauncherCannotTake_areRefusedWithOneLine() {
        String agent = "-javaagent:" + own;
        assertThat(refusal(Map.of(), "-Xmx1g", "-cp", app.toString(), "Main")).contains("do not name -javaagent:");
        assertThat(refusal(Map.of(), agent, agent + "=v", "-cp", app.toString(), "Main")).contains("given 2 times");
        assertThat(refusal(Map.of(), agent, "-m", "mod/x.Main")).startsWith("modules are not supported");
        assertThat(refusal(Map.of(), agent, "Hello.java")).startsWith("source-file mode");
        assertThat(refusal(Map.of(), agent, "-cp", tmp + ":" + app, "Main")).contains("is not a jar file");
        assertThat(refusal(Map.of(), agent, "-cp", tmp + "/*", "Main")).contains("is not a jar file");
        assertThat(refusal(Map.of(), agent, "Main")).as("the class path is '.'").contains("'.' is not a jar file");
        assertThat(refusal(Map.of(), agent, "-cp")).contains("-cp needs a value");
        assertThat(refusal(Map.of("JAVA_TOOL_OPTIONS", "'-Dx"), agent, "-jar", app.toString()))
                .isEqualTo("JAVA_TOOL_OPTIONS has an unmatched quote");
    }

    @Test
    void jvmNotStartedByJava_isRefused_evenWithTheAgentInJavaToolOptions() {
        Map<String, String> env = Map.of("JAVA_TOOL_OPTIONS", "-javaagent:" + own);
        for (String tool : new String[] {"/usr/lib/jvm/jdk/bin/javac", "jar", "/opt/app/bin/embedding-server"}) {
            LauncherException e = assertThrows(LauncherException.class,
                    () -> JavaCommandLine.launcherArgs(List.of(tool, "cf", "x.jar"), env, own));
            assertThat(e.getMessage()).contains("not by java: -javaagent:tao-launcher.jar takes java command lines only");
        }
    }

    private String refusal(Map<String, String> env, String... args) {
        return assertThrows(LauncherException.class, () -> map(env, args)).getMessage();
    }

    @Test
    void agentOptions_areLauncherOptionsSeparatedByCommas() throws Exception {
        assertThat(JavaCommandLine.agentOptions("")).isEmpty();
        assertThat(JavaCommandLine.agentOptions("rule=out 10.0.0.0/8 443 TAO,rules=/etc/r,state=s,seal-every=0,"
                + "domain-service=h:1,policy-cert=/p.pem,crl-refresh=5,crl-allow-stale,host-socket=/s,dev-root,verbose,v"))
                .containsExactly("--rule=out 10.0.0.0/8 443 TAO", "--rules=/etc/r", "--state=s", "--seal-every=0",
                        "--domain-service=h:1", "--policy-cert=/p.pem", "--crl-refresh=5", "--crl-allow-stale",
                        "--host-socket=/s", "--dev-root", "--verbose", "-v");
        for (String bad : new String[] {"v,", ",v", "rule", "v=1", "--rule=x", "unknown=1", "main=x.Y", "java-home=/j"}) {
            assertThrows(LauncherException.class, () -> JavaCommandLine.agentOptions(bad), bad);
        }
        assertThat(assertThrows(LauncherException.class, () -> JavaCommandLine.agentOptions("jvm-option=-Xmx1g"))
                .getMessage()).contains("the java command line itself gives");
    }

    @Test
    void theLaunchersOwnCommand_isRecognized() throws Exception {
        assertThat(JavaCommandLine.startsTheLauncher(cmd("-javaagent:" + own, "-jar", own.toString(), "app.jar"), Map.of(), own))
                .isTrue();
        assertThat(JavaCommandLine.startsTheLauncher(cmd("-javaagent:" + own, "-cp", own.toString(), Main.class.getName()),
                Map.of(), own)).isTrue();
        assertThat(JavaCommandLine.startsTheLauncher(cmd("-javaagent:" + own, "-jar", app.toString()), Map.of(), own))
                .isFalse();
    }

    @Test
    void cmdline_isSplitAtNul() {
        assertThat(JavaCommandLine.splitCmdline("java\0-cp\0a b.jar\0Main\0\0".getBytes()))
                .containsExactly("java", "-cp", "a b.jar", "Main", "");
        assertThat(Optional.of(JavaCommandLine.splitCmdline(new byte[0]))).contains(List.of());
    }
}
