package dev.cloudproxy.tao.events;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Tao's JFR events, recorded and read back as a user's recording would. */
class TaoEventsTest {
    @TempDir
    Path tmp;

    /** Runs {@code work} under a recording of the Tao's events; returns what was recorded. */
    static List<RecordedEvent> record(Path tmp, Runnable work) throws Exception {
        Path file = tmp.resolve("tao.jfr");
        try (Recording r = new Recording()) {
            r.enable("dev.cloudproxy.tao.HostRpcCall");
            r.enable("dev.cloudproxy.tao.Certification");
            r.enable("dev.cloudproxy.tao.ChannelHandshake");
            r.start();
            work.run();
            r.stop();
            r.dump(file);
        }
        return RecordingFile.readAllEvents(file).stream()
                .filter(e -> e.getEventType().getName().startsWith("dev.cloudproxy.tao.")).toList();
    }

    @Test
    void events_ended_areRecordedWithTheirFields() throws Exception {
        List<RecordedEvent> events = record(tmp, () -> {
            TaoEvents.RpcCall call = TaoEvents.rpcCall();
            call.end(() -> "key([aa]).Program([bb])", "Tao.Seal", null);
            TaoEvents.rpcCall().end(() -> "key([aa]).Program([bb])", "Tao.Unseal", "UNSEAL_FAILED");
            TaoEvents.certification().end("127.0.0.1:5000", "issued", "key([aa]).Program([cc])", "1f", null);
            TaoEvents.handshake().end("client", "127.0.0.1:8124", null, "certificate unknown");
        });

        assertThat(events).extracting(e -> e.getEventType().getName()).containsExactly(
                "dev.cloudproxy.tao.HostRpcCall", "dev.cloudproxy.tao.HostRpcCall", "dev.cloudproxy.tao.Certification",
                "dev.cloudproxy.tao.ChannelHandshake");
        assertThat(events.get(0).getString("method")).isEqualTo("Tao.Seal");
        assertThat(events.get(0).getString("error")).isEmpty();
        assertThat(events.get(1).getString("error")).isEqualTo("UNSEAL_FAILED");
        assertThat(events.get(2).getString("serial")).isEqualTo("1f");
        assertThat(events.get(2).getString("principal")).isEqualTo("key([aa]).Program([cc])");
        assertThat(events.get(3).getString("failure")).isEqualTo("certificate unknown");
        assertThat(events.get(3).getString("peer")).isNull();
    }

    @Test
    void events_aRecordingWithTheJdksDefaultSettings_takesThemWithoutEnablingThem() throws Exception {
        Path file = tmp.resolve("default.jfr");
        try (Recording r = new Recording(jdk.jfr.Configuration.getConfiguration("default"))) {
            r.start();
            TaoEvents.handshake().end("server", "127.0.0.1:1", "key([aa])", null);
            r.stop();
            r.dump(file);
        }
        assertThat(RecordingFile.readAllEvents(file)).extracting(e -> e.getEventType().getName())
                .contains("dev.cloudproxy.tao.ChannelHandshake");
    }

    @Test
    void events_withoutARecording_areNoOps() throws Exception {
        // No recording: nothing is enabled, ending costs nothing and records nothing.
        TaoEvents.rpcCall().end(() -> {
            throw new AssertionError("the program's name is asked for only when the event is recorded");
        }, "m", null);
        List<RecordedEvent> events = record(tmp, () -> { });
        assertThat(events).isEmpty();
    }
}
