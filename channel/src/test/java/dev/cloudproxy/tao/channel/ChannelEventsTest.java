package dev.cloudproxy.tao.channel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cloudproxy.tao.auth.Prin;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLHandshakeException;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Tao channel handshakes as JFR events, on both sides, for a channel made and one refused. */
class ChannelEventsTest {
    private static final InetSocketAddress LOOPBACK = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    @TempDir
    Path tmp;

    @Test
    void handshake_madeAndRefused_areRecordedOnBothSides() throws Exception {
        ExecutorService executor = Executors.newCachedThreadPool();
        Path file = tmp.resolve("channel.jfr");
        try (TestDomain domain = TestDomain.create("Test Domain");
                TestDomain other = TestDomain.create("Other Domain");
                Recording recording = new Recording()) {
            recording.enable("dev.cloudproxy.tao.ChannelHandshake");
            recording.start();
            ProgramCredentials server = domain.program();
            ProgramCredentials client = domain.program();
            String host = InetAddress.getLoopbackAddress().getHostAddress();
            Prin served;
            try (TaoListener listener = TaoChannels.of(server).listen(LOOPBACK)) {
                Future<Prin> accepted = executor.submit(() -> {
                    try (TaoChannel c = listener.accept()) {
                        return c.peer();
                    }
                });
                try (TaoChannel c = TaoChannel.dial(host, listener.port(), client)) {
                    assertThat(c.peer()).isEqualTo(server.principal());
                }
                served = accepted.get(20, TimeUnit.SECONDS);

                Future<TaoChannel> refused = executor.submit(listener::accept);
                assertThrows(SSLHandshakeException.class, () -> TaoChannel.dial(host, listener.port(), other.program()));
                assertThrows(Exception.class, () -> refused.get(20, TimeUnit.SECONDS));
            }
            recording.stop();
            recording.dump(file);
            assertThat(served).isEqualTo(client.principal());
        } finally {
            executor.shutdownNow();
        }

        List<RecordedEvent> events = RecordingFile.readAllEvents(file).stream()
                .filter(e -> e.getEventType().getName().equals("dev.cloudproxy.tao.ChannelHandshake")).toList();
        assertThat(events).hasSize(4);
        assertThat(events).filteredOn(e -> e.getString("failure") == null)
                .extracting(e -> e.getString("role")).containsExactlyInAnyOrder("client", "server");
        assertThat(events).filteredOn(e -> e.getString("failure") == null)
                .allSatisfy(e -> assertThat(e.getString("peer")).startsWith("key(["));
        assertThat(events).filteredOn(e -> e.getString("failure") != null)
                .extracting(e -> e.getString("role")).containsExactlyInAnyOrder("client", "server");
        assertThat(events).allSatisfy(e -> assertThat(e.getString("remote")).startsWith("127.0.0.1:"));
    }
}
