package dev.cloudproxy.tao.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cloudproxy.tao.launcher.LauncherProcess.Result;
import dev.cloudproxy.tao.launcher.apps.ArgsApp;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code java -javaagent:tao-launcher.jar[=OPTIONS] ...} added to an existing command line (or
 * through {@code JAVA_TOOL_OPTIONS}) gives the app what {@code java -jar tao-launcher.jar} gives
 * it: the same name for the same inputs, its arguments and exit status, the launcher's refusals,
 * its channel rules; and leaves no temporary file.
 */
class JavaAgentEndToEndTest extends DomainServiceFixture {
    Path launcherJar;
    Path hello;
    Path tmpdir;
    Map<String, String> env;

    @BeforeEach
    void setUp() throws Exception {
        launcherJar = TestApps.launcherJar(Files.createDirectories(tmp.resolve("launcher")));
        hello = TestApps.jar(Files.createDirectories(tmp.resolve("hello")), "hello", ArgsApp.class, null);
        tmpdir = Files.createDirectories(tmp.resolve("java-tmp"));
        env = new HashMap<>(env("agent"));
    }

    /** The JVM options of every run here: a private temporary directory, to count what is left in it. */
    private List<String> javaOptions() {
        List<String> o = new ArrayList<>(List.of("-Djava.io.tmpdir=" + tmpdir));
        if (Runtime.version().feature() >= 22) {
            o.add("--enable-native-access=ALL-UNNAMED"); // JNA's execve in premain, without a warning
        }
        return o;
    }

    /** {@code java [javaOptions] [before] -javaagent:tao-launcher.jar[=agentOptions] -cp hello.jar ArgsApp args}. */
    private List<String> javaCommand(List<String> before, String agentOptions, Object... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(javaOptions());
        cmd.addAll(before);
        if (agentOptions != null) {
            cmd.add("-javaagent:" + launcherJar + (agentOptions.isEmpty() ? "" : "=" + agentOptions));
        }
        cmd.addAll(List.of("-cp", hello.toString(), ArgsApp.class.getName()));
        for (Object a : args) {
            cmd.add(a.toString());
        }
        return cmd;
    }

    /** The same app as {@code java -jar tao-launcher.jar} runs it. */
    private Result launcher(Object... args) throws Exception {
        List<String> a = new ArrayList<>();
        for (String o : javaOptions()) {
            a.add("--jvm-option=" + o);
        }
        a.addAll(List.of("--main", ArgsApp.class.getName(), hello.toString()));
        for (Object o : args) {
            a.add(o.toString());
        }
        return LauncherProcess.run(tmp, env, a);
    }

    private static long entries(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.count();
        }
    }

    @Test
    void javaagent_onAnExistingCommand_runsTheAppAsTheLauncherDoes_withItsArgumentsAndStatus_andNoTemporaryFile()
            throws Exception {
        Result launched = launcher(3, "a", "b");
        assertThat(launched.status()).as(launched.err()).isEqualTo(3);

        Result r;
        long pid;
        try (LauncherProcess p = LauncherProcess.startCommand(tmp, env, false, javaCommand(List.of(), "", 3, "a", "b"))) {
            pid = p.process().pid();
            r = p.waitFor();
        }

        assertThat(r.status()).as(r.err()).isEqualTo(3);
        List<String> out = r.out().lines().toList();
        assertThat(out.get(0)).startsWith("name: key([").contains(").Jvm(ext.Runtime([");
        assertThat(out.get(1)).isEqualTo("args: 3 a b");
        assertThat(out.get(3)).as("the app's JVM has no launcher agent").isEqualTo("launcher agent: false");
        assertThat(r.out()).as("same inputs, same name").isEqualTo(launched.out());
        assertThat(r.err().lines()).allMatch(l -> l.startsWith("tao-launcher: "));
        assertThat(entries(tmpdir)).as("nothing in java.io.tmpdir").isZero();
        assertThat(Path.of("/tmp", "hsperfdata_" + System.getProperty("user.name"), Long.toString(pid)))
                .as("the first JVM's perf data file").doesNotExist();
        assertThat(entries(Path.of(env.get("TAO_HOME"), "launcher", "run"))).isZero();
        assertThat(entries(Path.of(env.get("TAO_HOME"), "launcher", "jvm"))).isZero();
    }

    @Test
    void javaToolOptions_withTheAgent_runsTheAppOnce_andTheAppSeesNeitherTheVariableNorTheAgent() throws Exception {
        Result launched = launcher(0, "x");
        env.put("JAVA_TOOL_OPTIONS", "-javaagent:" + launcherJar);

        Result r = LauncherProcess.runCommand(tmp, env, javaCommand(List.of(), null, 0, "x"));

        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out()).as("same name, one run, no variable, no agent: no loop").isEqualTo(launched.out())
                .contains("JAVA_TOOL_OPTIONS=null\n").contains("launcher agent: false\n");
        assertThat(r.out().lines().filter(l -> l.startsWith("name: "))).hasSize(1);
        assertThat(r.err()).doesNotContain("removed JAVA_TOOL_OPTIONS");
        assertThat(entries(tmpdir)).isZero();
    }

    @Test
    void javaagent_inAJvmTheLauncherStarted_refusesToStartTheLauncherAgain() throws Exception {
        env.put(Launch.GATE_ENV, tmp.resolve("gate").toString());

        Result r = LauncherProcess.runCommand(tmp, env, javaCommand(List.of(), "", 0));

        assertThat(r.status()).isEqualTo(Main.LAUNCHER_FAILED);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).isEqualTo("tao-launcher: -javaagent:tao-launcher.jar in a JVM the launcher started (its app"
                + " or itself): refusing to start the launcher again\n");
    }

    @Test
    void javaOptionTheLauncherRefuses_isRefusedWithTheLaunchersMessage() throws Exception {
        String jdwp = "-agentlib:jdwp=transport=dt_socket,server=y,suspend=n,address=127.0.0.1:0";
        Result launched = LauncherProcess.run(tmp, env, List.of("--jvm-option=" + jdwp, hello.toString()));

        Result r = LauncherProcess.runCommand(tmp, env, javaCommand(List.of(jdwp), "", 0));

        assertThat(r.status()).isEqualTo(Main.LAUNCHER_FAILED).isEqualTo(launched.status());
        assertThat(r.out()).doesNotContain("name: ");
        String refusal = launched.err().lines().filter(l -> l.contains("jdwp")).findFirst().orElseThrow();
        assertThat(refusal).startsWith("tao-launcher: JVM option '-agentlib:jdwp");
        assertThat(r.err().lines()).contains(refusal);
    }

    @Test
    void agentOptions_thatAreNotLauncherOptions_areRefusedWithTheSyntax() throws Exception {
        Result bad = LauncherProcess.runCommand(tmp, env, javaCommand(List.of(), "rule=out * 80 DENY,bogus", 0));
        Result cp = LauncherProcess.runCommand(tmp, env, javaCommand(List.of(), "cp=x.jar", 0));

        assertThat(bad.status()).isEqualTo(Main.LAUNCHER_FAILED);
        assertThat(bad.err()).startsWith("tao-launcher: the -javaagent option 'bogus' is not understood: the -javaagent"
                + " options of tao-launcher.jar are launcher options without their leading --, separated by ','");
        assertThat(cp.status()).isEqualTo(Main.LAUNCHER_FAILED);
        assertThat(cp.err()).contains("the java command line itself gives the class path");
        assertThat(bad.out() + cp.out()).isEmpty();
    }

    /**
     * The H2 TCP server by its usual command line plus {@code -javaagent} with an {@code in} rule:
     * a plain JDBC client reaches the relay's TLS handshake, never H2; H2's own shell under the
     * launcher with an {@code out ... TAO} rule gets its answer.
     */
    @Test
    void theH2Server_byItsUsualCommandWithTheAgent_servesOnlyTaoChannels() throws Exception {
        int port = freePort();
        Path h2 = Path.of(org.h2.tools.Server.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path data = Files.createDirectories(tmp.resolve("h2-data"));
        String agentOptions = "rule=in 127.0.0.1 " + port + " TAO,domain-service=127.0.0.1:" + service.address().getPort()
                + ",policy-cert=" + policy;
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(javaOptions());
        cmd.addAll(List.of("-javaagent:" + launcherJar + "=" + agentOptions, "-cp", h2.toString(), "org.h2.tools.Server",
                "-tcp", "-tcpPort", Integer.toString(port), "-ifNotExists", "-baseDir", data.toString()));
        try (LauncherProcess server = LauncherProcess.startCommand(tmp, env("h2"), true, cmd)) {
            assertThat(server.stdout().readLine()).as("H2 is listening").startsWith("TCP server running at tcp://")
                    .contains(":" + port);

            assertThrows(SQLException.class, () -> DriverManager.getConnection(
                    "jdbc:h2:tcp://127.0.0.1:" + port + "/./plain-client-db", "sa", ""));
            assertThat(entries(data)).as("H2 never saw the plain client").isZero();

            List<String> client = new ArrayList<>(List.of("--rule", "out 127.0.0.1 " + port + " TAO"));
            client.addAll(domainArgs());
            client.addAll(List.of("--main", "org.h2.tools.Shell", h2.toString(), "-url",
                    "jdbc:h2:tcp://127.0.0.1:" + port + "/./tao-client-db", "-user", "sa", "-password", "pw",
                    "-sql", "SELECT 40 + 2"));
            Result shell = LauncherProcess.run(tmp, env("h2-client"), client);
            assertThat(shell.status()).as(shell.err()).isZero();
            assertThat(shell.out()).contains("42");

            server.process().destroy();
            Result done = server.waitFor();
            assertThat(done.err()).contains("tao-agent: refused a connection to the Tao channel listener on ");
        }
    }
}
