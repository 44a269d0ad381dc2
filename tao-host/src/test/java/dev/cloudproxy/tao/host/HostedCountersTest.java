package dev.cloudproxy.tao.host;

import static dev.cloudproxy.tao.host.TestHosts.hostedScript;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudproxy.tao.host.TestHosts.Conversation;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rollback counters through real RPC, with two hosted programs of one host: each has its own
 * counters by its full name, which the host takes from the connection, so neither can read,
 * advance or create the other's, nor open the other's rollback-protected blobs; and the counters
 * survive a host restart.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class HostedCountersTest {
    private static final HexFormat HEX = HexFormat.of();

    @TempDir
    Path temp;

    private OpenedHost opened;
    private HostService service;

    @BeforeEach
    void start() throws Exception {
        opened = TestHosts.root(temp.resolve("host"));
        service = HostService.start(opened, ProgramRunner.defaultFactories(), ProgramUsers.hostUser());
    }

    @AfterEach
    void stop() throws Exception {
        service.close();
        opened.close();
    }

    private Conversation run(Path program) throws Exception {
        Conversation c = new Conversation(service.runner().start(ProgramSpec.process(program, List.of()), true));
        assertThat(c.next()).startsWith("connected ");
        return c;
    }

    private static String hex(String s) {
        return HEX.formatHex(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void twoPrograms_cannotReadAdvanceOrCreateEachOthersCounters_norOpenEachOthersBlobs() throws Exception {
        Conversation a = run(hostedScript(temp, "a"));
        Conversation b = run(hostedScript(temp, "b"));

        String v1 = a.ask("rpseal balance " + hex("a1"));
        String v2 = a.ask("rpseal balance " + hex("a2"));
        assertThat(a.ask("counter balance")).isEqualTo("2");

        // b sees no counter "balance" of its own, and its seals advance only its own.
        assertThat(b.ask("counter balance")).isEqualTo("TaoException no counter with the label balance");
        assertThat(b.ask("rpunseal " + v2)).isEqualTo("UnsealException unseal failed");
        b.ask("rpseal balance " + hex("b1"));
        b.ask("rpseal balance " + hex("b2"));
        b.ask("rpseal balance " + hex("b3"));
        assertThat(b.ask("counter balance")).isEqualTo("3");
        assertThat(a.ask("counter balance")).isEqualTo("2");

        assertThat(a.ask("rpunseal " + v1)).isEqualTo("StaleStateException stale state: counter 1, expected 2");
        assertThat(a.ask("rpunseal " + v2)).isEqualTo("unsealed balance 2 " + hex("a2"));
        a.program().stop();
        b.program().stop();
    }

    @Test
    void hostRestart_keepsTheCounters_anOlderBlobStaysStale() throws Exception {
        Path script = hostedScript(temp, "a");
        Conversation first = run(script);
        String v1 = first.ask("rpseal balance " + hex("v1"));
        first.ask("rpunseal " + v1);
        String v2 = first.ask("rpseal balance " + hex("v2"));
        first.ask("rpunseal " + v2);
        first.program().stop();
        service.close();
        opened.close();

        opened = HostSetup.openRoot(new HostDirectory(temp.resolve("host")), TestHosts.PASSWORD);
        service = HostService.start(opened, ProgramRunner.defaultFactories(), ProgramUsers.hostUser());
        Conversation again = run(script);
        assertThat(again.ask("counter balance")).isEqualTo("2");
        assertThat(again.ask("rpunseal " + v1)).isEqualTo("StaleStateException stale state: counter 1, expected 2");
        assertThat(again.ask("rpunseal " + v2)).isEqualTo("unsealed balance 2 " + hex("v2"));
        again.program().stop();
    }
}
