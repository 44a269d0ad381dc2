package dev.cloudproxy.tao.domainservice;

import static dev.cloudproxy.tao.domainservice.ServiceFixture.HASH;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudproxy.tao.keys.Signer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A flood of the domain service from one network source (issue 14, attack 6): it must neither
 * keep other sources from being certified nor grow the audit log by a line per connection. The
 * attacker's connections come from other loopback addresses (127.0.0.2, ...), which Linux routes
 * like 127.0.0.1, so the per-source limit sees them as another machine.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DomainServiceFloodTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path tmp;

    private ServiceFixture f;
    private final List<Socket> sockets = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        for (Socket s : sockets) {
            s.close();
        }
        if (f != null) {
            f.close();
        }
    }

    /** A plain TCP connection to the service from {@code source}, sending nothing. */
    private Socket idleFrom(String source) throws IOException {
        Socket s = new Socket();
        sockets.add(s);
        s.bind(new InetSocketAddress(InetAddress.getByName(source), 0));
        s.connect(f.service.address(), 10_000);
        return s;
    }

    /** Polls an observable condition until a deadline (a bounded wait, not a guess at timing). */
    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + WAIT + ": " + what);
            }
            Thread.sleep(5);
        }
    }

    @Test
    void sixtyFourIdleConnectionsFromOneSource_doNotStopACertificationFromAnother() throws Exception {
        // 64 slots in all, as when the attack was found; 32 per source (the default).
        f = new ServiceFixture(tmp, true, "", b -> b.maxConnections(64).handshakeTimeout(Duration.ofMinutes(1)));
        for (int i = 0; i < 64; i++) {
            idleFrom("127.0.0.2");
        }
        await("the attacker holds its 32 slots and the other 32 were closed",
                () -> f.service.connectionsFrom("127.0.0.2") == 32 && f.service.refusedConnections() == 32);

        Signer key = f.newKey();
        assertThat(f.client.certify(f.hostAttests(f.programName(HASH), key), key.verifier())).isNotNull();
        assertThat(f.service.connectionsFrom("127.0.0.2")).as("still held during the certification").isEqualTo(32);
    }

    @Test
    void floodOfDroppedConnections_growsTheAuditLogByABoundedNumberOfLines_thatCountEveryOne() throws Exception {
        f = new ServiceFixture(tmp, true, "", b -> b.maxConnectionsPerSource(8).handshakeTimeout(Duration.ofMinutes(1))
                .auditInterval(Duration.ofMinutes(10)));
        int flood = 300;
        for (int i = 0; i < flood; i++) {
            idleFrom("127.0.0.3");
        }
        await("all but 8 were closed at accept", () -> f.service.refusedConnections() == flood - 8);
        for (Socket s : sockets) {
            s.close();
        }
        await("the 8 held ones ended too", () -> f.service.connectionsFrom("127.0.0.3") == 0);
        f.service.close(); // ends the audit interval: the summary is written

        List<String> lines = f.auditLines().stream().filter(l -> l.contains("\t127.0.0.3")).toList();
        assertThat(lines).hasSize(DomainService.AUDIT_LINES_PER_SOURCE + 1);
        String summary = lines.get(lines.size() - 1);
        Matcher m = Pattern.compile("\t(\\d+) more bad requests from 127\\.0\\.0\\.3 within 600 s").matcher(summary);
        assertThat(m.find()).as(summary).isTrue();
        assertThat(Integer.parseInt(m.group(1)) + lines.size() - 1).as("every connection is counted").isEqualTo(flood);
        assertThat(summary).contains("too many connections from this source (limit 8)");
    }

    @Test
    void auditSummary_isWrittenWhenTheIntervalEnds() throws Exception {
        f = new ServiceFixture(tmp, true, "", b -> b.maxConnectionsPerSource(1).handshakeTimeout(Duration.ofMinutes(1))
                .auditInterval(Duration.ofMillis(200)));
        int flood = 2 + DomainService.AUDIT_LINES_PER_SOURCE;
        for (int i = 0; i < flood; i++) {
            idleFrom("127.0.0.4");
        }
        await("the summary line is in the log", () -> {
            try {
                return f.auditLines().stream().anyMatch(l -> l.contains("more bad requests from 127.0.0.4"));
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    @Test
    void clientSilentInTheHandshake_isClosedAfterTheHandshakeTimeout() throws Exception {
        f = new ServiceFixture(tmp, true, "", b -> b.handshakeTimeout(Duration.ofMillis(300))
                .readTimeout(Duration.ofMinutes(1)).connectionDeadline(Duration.ofMinutes(1)));
        Socket silent = idleFrom("127.0.0.5");
        silent.getOutputStream().write(new byte[] {0x16, 0x03, 0x01}); // the start of a TLS record, then nothing
        silent.setSoTimeout(20_000);
        InputStream in = silent.getInputStream();
        while (in.read() >= 0) {
            // a TLS alert may come before the close; what matters is the close
        }
        await("the slot is free", () -> f.service.connectionsFrom("127.0.0.5") == 0);
        assertThat(f.auditLines()).anySatisfy(l -> assertThat(l).contains("\t127.0.0.5:")
                .contains("the TLS handshake took longer than 300 ms"));
    }

    @Test
    void source_ofAnIpv6Peer_isItsSlash64Network() throws Exception {
        f = new ServiceFixture(tmp);
        try (Socket s = new Socket()) {
            s.connect(f.service.address(), 10_000);
            assertThat(DomainService.source(s)).isEqualTo("127.0.0.1");
        }
        assertThat(DomainService.sourceOf(InetAddress.getByName("2001:db8:1:2:3:4:5:6")))
                .isEqualTo("2001:db8:1:2:0:0:0:0/64");
    }
}
