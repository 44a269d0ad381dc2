package dev.cloudproxy.tao.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code tao host init} killed at each of its steps (issue 14, attack 10): the process really dies
 * there ({@link InitCrashMain} halts its JVM, like {@code kill -9}), and what it leaves is either
 * no host, which the next {@code init} makes, or a complete host, which opens; never a directory
 * that {@code init} calls a host and {@code start} does not.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class HostInitCrashTest {
    @TempDir
    Path temp;

    private HostDirectory dir() {
        return new HostDirectory(temp.resolve("host"));
    }

    private static int initCrashingAt(Path dir, String step) throws IOException, InterruptedException {
        return TestHosts.runToExit(InitCrashMain.class, true, dir.toString(), step);
    }

    private List<Path> leftovers() throws IOException {
        try (Stream<Path> s = Files.list(temp)) {
            return s.filter(p -> p.getFileName().toString().startsWith(".host.init-")).toList();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"staged", "keys", "signature", "config"})
    void crashBeforeTheRename_leavesNoHost_andInitThenMakesOne(String step) throws Exception {
        assertThat(initCrashingAt(dir().root(), step)).isEqualTo(InitCrashMain.HALTED);

        assertThat(dir().root()).doesNotExist();
        assertThat(leftovers()).hasSize(1);
        HostException noHost = assertThrows(HostException.class, () -> HostSetup.openRoot(dir(), TestHosts.PASSWORD));
        assertThat(noHost.getMessage()).contains("make one with 'tao host init'");

        HostSetup.Initialized init = HostSetup.initRoot(dir(), TestHosts.PASSWORD, Optional.empty(), TestHosts.CHEAP);
        assertThat(leftovers()).as("the dead init's directory is removed").isEmpty();
        try (OpenedHost h = HostSetup.openRoot(dir(), TestHosts.PASSWORD)) {
            assertThat(h.host().name()).isEqualTo(init.config().name());
        }
    }

    @Test
    void crashJustAfterTheRename_leavesACompleteHost_thatOpens_andInitRefuses() throws Exception {
        assertThat(initCrashingAt(dir().root(), "renamed")).isEqualTo(InitCrashMain.HALTED);

        assertThat(leftovers()).isEmpty();
        try (OpenedHost h = HostSetup.openRoot(dir(), TestHosts.PASSWORD)) {
            assertThat(h.config().name()).isNotNull();
        }
        HostException again = assertThrows(HostException.class,
                () -> HostSetup.initRoot(dir(), TestHosts.PASSWORD, Optional.empty(), TestHosts.CHEAP));
        assertThat(again.getMessage()).contains("already holds a host");
    }

    @Test
    void init_thatRunsThrough_leavesNothingBeside() throws Exception {
        assertThat(initCrashingAt(dir().root(), "no such step")).isZero();
        assertThat(leftovers()).isEmpty();
        try (OpenedHost h = HostSetup.openRoot(dir(), TestHosts.PASSWORD)) {
            assertThat(h.config().type()).isEqualTo(HostConfig.Type.ROOT);
        }
    }

    @Test
    void init_whileAnotherLiveInitBuildsTheSameHost_isRefusedAndSaysWhy() throws Exception {
        long pid = ProcessHandle.current().pid();
        Path live = Files.createDirectory(temp.resolve(".host.init-" + pid + "-" + ProcessStart.of(pid).getAsLong()));

        HostException e = assertThrows(HostException.class,
                () -> HostSetup.initRoot(dir(), TestHosts.PASSWORD, Optional.empty(), TestHosts.CHEAP));
        assertThat(e.getMessage()).contains("another 'tao host init' (process " + pid + ")");
        assertThat(live).exists();
        assertThat(dir().root()).doesNotExist();
    }

    @Test
    void init_inAnEmptyDirectoryMadeBeforehand_makesTheHostThere() throws Exception {
        Files.createDirectory(dir().root());
        HostSetup.initRoot(dir(), TestHosts.PASSWORD, Optional.empty(), TestHosts.CHEAP);
        try (OpenedHost h = HostSetup.openRoot(dir(), TestHosts.PASSWORD)) {
            assertThat(h.config().type()).isEqualTo(HostConfig.Type.ROOT);
        }
    }

    @Test
    void init_inADirectoryWithAnEarlierVersionsRemains_saysToRemoveThem() throws Exception {
        Files.createDirectories(dir().keys());
        HostException e = assertThrows(HostException.class,
                () -> HostSetup.initRoot(dir(), TestHosts.PASSWORD, Optional.empty(), TestHosts.CHEAP));
        assertThat(e.getMessage()).contains("is not empty but holds no host").contains("remove it");
    }
}
