package dev.cloudproxy.tao.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cloudproxy.tao.launcher.LauncherProcess.Result;
import java.io.BufferedReader;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Apache Derby's network server and its {@code ij} tool, unchanged, from the jars exactly as Maven
 * Central serves them, under the launcher with Tao channels. Those jars' manifests name
 * {@code derby.jar}, {@code derbyshared.jar}, {@code derbytools.jar} and 13
 * {@code derbyLocale_*.jar} files that are not beside them (Maven names its files
 * {@code derby-10.16.1.1.jar}): the JVM skips them, and so does the launcher, measuring them as
 * absent. The class path is given as {@code java -cp} takes it, {@code a.jar:b.jar}.
 */
class DerbyEndToEndTest extends DomainServiceFixture {
    /** Derby's jars from the test class path (Maven's local repository), by artifact. */
    private static Path derby(String artifact) {
        return Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator)).map(Path::of)
                .filter(p -> p.getFileName().toString().startsWith(artifact + "-10.")).findFirst()
                .orElseThrow(() -> new AssertionError("no " + artifact + " jar on the test class path"));
    }

    private static String classPath(String... artifacts) {
        return Arrays.stream(artifacts).map(a -> derby(a).toString()).collect(Collectors.joining(File.pathSeparator));
    }

    @Test
    void derbyNetworkServerAndIj_fromMavenCentralJars_talkOverTaoChannels_andAPlainClientIsRefused() throws Exception {
        int port = freePort();
        Path home = Files.createDirectories(tmp.resolve("derby-home"));
        List<String> server = new ArrayList<>(List.of("--rule", "in 127.0.0.1 " + port + " TAO"));
        server.addAll(domainArgs());
        server.addAll(List.of("--jvm-option=-Dderby.system.home=" + home, "--cp", classPath("derby", "derbyshared", "derbytools"),
                derby("derbynet").toString(), "start", "-h", "127.0.0.1", "-p", Integer.toString(port)));
        try (LauncherProcess derby = LauncherProcess.start(tmp, env("derby"), true, server)) {
            BufferedReader out = derby.stdout();
            for (String line = out.readLine(); ; line = out.readLine()) {
                assertThat(line).as("Derby's start-up output ended early").isNotNull();
                if (line.contains("started and ready to accept connections on port " + port)) {
                    break;
                }
            }

            Path script = Files.writeString(tmp.resolve("script.sql"), String.join("\n",
                    "connect 'jdbc:derby://127.0.0.1:" + port + "/memory:taodb;create=true';",
                    "create table greeting (id int, word varchar(20));",
                    "insert into greeting values (1, 'tao-channel');",
                    "select word from greeting where id = 1;",
                    "disconnect;",
                    "exit;", ""));
            List<String> ij = new ArrayList<>(List.of("--rule", "out 127.0.0.1 " + port + " TAO"));
            ij.addAll(domainArgs());
            ij.addAll(List.of("--main", "org.apache.derby.tools.ij", "--cp", classPath("derbyclient", "derbyshared"),
                    "-v", derby("derbytools").toString(), script.toString()));
            Result client = LauncherProcess.run(tmp, env("ij"), ij);

            assertThat(client.status()).as(client.err()).isZero();
            assertThat(client.out()).as(client.err()).contains("1 row inserted/updated/deleted")
                    .contains("tao-channel").contains("1 row selected").doesNotContain("ERROR");
            assertThat(client.err()).as("the missing manifest jars are measured as absent")
                    .contains("tao-launcher: measured absent - ").contains("derbyLocale_fr.jar");
            String rule = "out 127.0.0.1 " + port + " TAO";
            assertThat(client.err()).as("-v: the agent's view").contains("tao-agent: rule '" + rule + "'\n")
                    .containsPattern("tao-agent: program certificate: subject .+, serial [0-9a-f]+, valid until 2\\d{3}-")
                    .contains("tao-agent: Tao channels to 127.0.0.1:" + port + " go through the relay on 127.0.0.1:")
                    .containsPattern("tao-agent: rule '" + rule + "' decided [1-9][0-9]* connects or binds");

            DriverManager.setLoginTimeout(60);
            assertThrows(SQLException.class, () -> DriverManager.getConnection(
                    "jdbc:derby://127.0.0.1:" + port + "/memory:plaindb;create=true"));

            derby.process().destroy();
            Result done = derby.waitFor();
            assertThat(done.err()).contains("tao-agent: refused a connection to the Tao channel listener on ")
                    .contains(":" + port + " from 127.0.0.1:").as("no -v, no agent's view").doesNotContain("decided");
        }
    }
}
