package dev.cloudproxy.tao.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class JvmOptionPolicyTest {
    @ParameterizedTest
    @ValueSource(strings = {
        "-Xmx1g", "-Xms256m", "-Xss2m", "-Xmn64M", "-XX:MaxRAMPercentage=75", "-XX:MaxMetaspaceSize=256m",
        "-XX:ActiveProcessorCount=2", "-XX:+UseG1GC", "-XX:+UseZGC", "-XX:-UseAdaptiveSizePolicy",
        "-XX:MaxGCPauseMillis=50", "-XX:ParallelGCThreads=2", "-XX:TieredStopAtLevel=1",
        "-Xlog:gc*:file=gc.log", "-Xlog:disable", "-verbose:gc", "-ea", "-da:com.example...", "-esa",
        "-Dfile.encoding=UTF-8", "-Dapp.mode=test", "-Duser.timezone=UTC", "-Dflag", "-Djava.io.tmpdir=/tmp/x",
        "-Djava.awt.headless=true", "-Dtao.demo.untrusted=true", "-Xshare:off", "--enable-native-access=ALL-UNNAMED",
        "--enable-preview", "-XX:+DisableAttachMechanism", "-XX:-UsePerfData", "-XX:-HeapDumpOnOutOfMemoryError",
        "-XX:-CreateCoredumpOnCrash", "-Djdk.attach.allowAttachSelf=false", "-XX:+ExitOnOutOfMemoryError"})
    void check_safeFamilies_areAccepted(String option) throws Exception {
        JvmOptionPolicy.check(option);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        // remote management and RMI
        "-Dcom.sun.management.jmxremote", "-Dcom.sun.management.jmxremote.port=9010",
        "-Dcom.sun.management.jmxremote.authenticate=false", "-Djmx.remote.x.password.file=/tmp/p",
        "-Djava.rmi.server.hostname=0.0.0.0", "-Dsun.rmi.transport.tcp.responseTimeout=1",
        "-Djavax.management.builder.initial=x.Y", "-XX:+ManagementServer",
        // debugging and code loading
        "-agentlib:jdwp=transport=dt_socket,server=y,address=5005", "-Xrunjdwp:transport=dt_socket", "-Xdebug",
        "-javaagent:/tmp/evil.jar", "-agentpath:/tmp/evil.so", "-agentlib:hprof", "-Xbootclasspath/a:/tmp/e.jar",
        "--patch-module=java.base=/tmp/p", "--add-opens=java.base/java.lang=ALL-UNNAMED",
        "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED", "@/tmp/argfile", "-XX:Flags=/tmp/flags",
        "-XX:VMOptionsFile=/tmp/opts", "-XX:SharedArchiveFile=/tmp/a.jsa", "-Djava.library.path=/tmp",
        "-Djava.class.path=/tmp/e.jar", "-Djava.system.class.loader=evil.Loader", "-XX:+EnableJVMCI",
        // undoing the hardening
        "-XX:-DisableAttachMechanism", "-XX:+StartAttachListener", "-XX:+EnableDynamicAgentLoading",
        "-XX:+UsePerfData", "-XX:+HeapDumpOnOutOfMemoryError", "-XX:HeapDumpPath=/tmp", "-XX:+CreateCoredumpOnCrash",
        "-Djdk.attach.allowAttachSelf=true", "-Djdk.attach.allowAttachSelf", "-XX:+UnlockDiagnosticVMOptions",
        "-XX:+UnlockExperimentalVMOptions", "-XX:OnError=sh -c x", "-XX:OnOutOfMemoryError=x",
        "-XX:StartFlightRecording", "-XX:+FlightRecorder",
        // security, TLS, networking around the agent's hooks
        "-Djava.security.manager=allow", "-Djava.security.properties==/tmp/s", "-Djavax.net.ssl.trustStore=/tmp/t",
        "-Djdk.tls.client.protocols=TLSv1", "-DsocksProxyHost=10.0.0.1", "-Dhttps.proxyHost=p",
        "-Djava.net.useSystemProxies=true", "-Djava.nio.channels.spi.SelectorProvider=x.Y",
        "-Djdk.lang.Process.launchMechanism=FORK", "-Dsun.misc.URLClassPath.disableJarChecking=true",
        // anything not on the list, and malformed ones
        "-XX:+PrintFlagsFinal", "-XX:NativeMemoryTracking=summary", "-XX:ErrorFile=/tmp/e", "-Xcheck:jni",
        "-cp", "--class-path=/x", "-jar", "--module-path=/x", "-D", "-D=x", "-Dbad name=1", "", "not-an-option",
        "-Xmx1g ", "-Xmx1x", "-XX:MaxHeapSize=$(x)"})
    void check_everythingElse_isRefusedNamingTheOption(String option) {
        RefusedJvmOptionException e = assertThrows(RefusedJvmOptionException.class, () -> JvmOptionPolicy.check(option));

        assertThat(e.getMessage()).startsWith("JVM option '").contains(" is refused: ").doesNotContain("\n");
    }

    @Test
    void check_jmxRemote_saysItIsAManagementChannel() {
        RefusedJvmOptionException e = assertThrows(RefusedJvmOptionException.class,
                () -> JvmOptionPolicy.check("-Dcom.sun.management.jmxremote.port=9010"));

        assertThat(e.getMessage()).isEqualTo("JVM option '-Dcom.sun.management.jmxremote.port=...' is refused:"
                + " it opens a remote management (JMX) channel into the app");
    }

    @Test
    void check_refusedProperty_neverPrintsItsValue() {
        RefusedJvmOptionException e = assertThrows(RefusedJvmOptionException.class,
                () -> JvmOptionPolicy.check("-Djavax.net.ssl.keyStorePassword=hunter2"));

        assertThat(e.getMessage()).doesNotContain("hunter2").contains("-Djavax.net.ssl.keyStorePassword=...");
    }

    @Test
    void check_longOrUnprintableOption_isShortenedAndPrintable() {
        RefusedJvmOptionException e = assertThrows(RefusedJvmOptionException.class,
                () -> JvmOptionPolicy.check("-XX:" + "A".repeat(500) + "\u001b[2J"));

        assertThat(e.getMessage()).hasSizeLessThan(250).doesNotContain("\u001b");
    }

    @Test
    void checkAll_stopsAtTheFirstRefusedOption() {
        RefusedJvmOptionException e = assertThrows(RefusedJvmOptionException.class,
                () -> JvmOptionPolicy.checkAll(List.of("-Xmx1g", "-Xdebug", "-javaagent:x.jar")));

        assertThat(e.getMessage()).contains("'-Xdebug'");
    }
}
