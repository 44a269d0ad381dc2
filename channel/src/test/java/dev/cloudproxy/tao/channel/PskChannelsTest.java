package dev.cloudproxy.tao.channel;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static dev.cloudproxy.tao.channel.Tasks.await;
import static dev.cloudproxy.tao.channel.Tasks.failureOf;
import static dev.cloudproxy.tao.channel.Tasks.host;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cloudproxy.tao.auth.Prin;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.tls.PskKeyExchangeMode;
import org.bouncycastle.tls.TlsClientProtocol;
import org.bouncycastle.tls.crypto.TlsCrypto;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The PSK mode over real TLS on loopback, with a stand-in for the common ancestor's group keys. */
class PskChannelsTest {
    private static final InetSocketAddress LOOPBACK = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    private static final int EXT_PRE_SHARED_KEY = 41;
    private static final int EXT_PSK_KEY_EXCHANGE_MODES = 45;
    private static final int EXT_KEY_SHARE = 51;

    private final Tasks tasks = new Tasks();
    private final TestGroupKeys host = new TestGroupKeys();
    private final Prin alice = host.program();
    private final Prin bob = host.program();

    @AfterEach
    void tearDown() throws InterruptedException {
        tasks.close();
    }

    private PskChannels channels(TestGroupKeys keys, Prin self) {
        return PskChannels.builder(self, keys.sourceFor(self)).build();
    }

    private <T> Future<T> async(Callable<T> task) {
        return tasks.async(task);
    }

    @Test
    void dial_twoProgramsOfOneHost_bothLearnEachOthersFullNameAndExchangeMessages() throws Exception {
        try (TaoListener listener = channels(host, bob).listen(LOOPBACK)) {
            Future<Prin> served = async(() -> {
                try (TaoChannel c = listener.accept()) {
                    c.send(c.receive());
                    return c.peer();
                }
            });
            try (TaoChannel c = channels(host, alice).dial(host(), listener.port(), bob)) {
                c.send("hello".getBytes(UTF_8));
                assertThat(new String(c.receive(), UTF_8)).isEqualTo("hello");
                assertThat(c.peer()).isEqualTo(bob);
            }
            assertThat(await(served)).isEqualTo(alice);
        }
    }

    @Test
    void dial_noDomainServiceAndNoCertificates_works() throws Exception {
        // Nothing here but two names and the ancestor's keys: no policy certificate, no domain
        // service, no program certificate. The channel has no JSSE session, hence no certificates.
        try (TaoListener listener = channels(host, bob).listen(LOOPBACK)) {
            Future<TaoChannel> served = async(listener::accept);
            try (TaoChannel c = channels(host, alice).dial(host(), listener.port(), bob);
                    TaoChannel s = await(served)) {
                s.send(new byte[] {7});
                assertThat(c.receive()).containsExactly(7);
                assertThrows(IllegalStateException.class, c::session);
                assertThrows(IllegalStateException.class, s::session);
            }
        }
    }

    @Test
    void dial_keyFromAnotherAncestor_failsOnBothSidesWithPskMismatch() throws Exception {
        // The right names, but the client's key is not the one Bob's ancestor derives for the pair.
        TestGroupKeys otherHost = new TestGroupKeys();
        Prin stranger = otherHost.program();
        PskChannels wrongKey = PskChannels.builder(alice, GroupKeySource.of(
                (members, n) -> otherHost.groupKey(stranger, List.of(stranger, otherHost.program()), n))).build();
        try (TaoListener listener = channels(host, bob).listen(LOOPBACK)) {
            Future<TaoChannel> served = async(listener::accept);
            PskMismatchException onClient = assertThrows(PskMismatchException.class,
                    () -> wrongKey.dial(host(), listener.port(), bob));
            PskMismatchException onServer = failureOf(served, PskMismatchException.class);
            assertThat(onClient).hasMessageContaining("server does not hold the same pre-shared key");
            assertThat(onServer).hasMessageContaining("client does not hold the same pre-shared key");
        }
    }

    @Test
    void dial_clientClaimingAnotherProgramsName_failsWithPskMismatch() throws Exception {
        // Carol claims to be Alice; her Tao gives her only the keys of groups she is in, so the best
        // she can offer is the key of {Carol, Bob}, under Alice's name.
        Prin carol = host.program();
        PskChannels impostor = PskChannels.builder(alice, GroupKeySource.of(
                (members, n) -> host.groupKey(carol, List.of(carol, bob), n))).build();
        try (TaoListener listener = channels(host, bob).listen(LOOPBACK)) {
            Future<TaoChannel> served = async(listener::accept);
            assertThrows(PskMismatchException.class, () -> impostor.dial(host(), listener.port(), bob));
            failureOf(served, PskMismatchException.class);
        }
    }

    @Test
    void dial_clientAskingForItsOwnKeyInAnotherName_isRefusedByItsTao() {
        Prin carol = host.program();
        PskChannels impostor = PskChannels.builder(alice, host.sourceFor(carol)).build();
        PeerRefusedException e = assertThrows(PeerRefusedException.class,
                () -> impostor.connect(new Socket(), bob));
        assertThat(e).hasMessageContaining("no pre-shared key").hasMessageContaining("not a member");
    }

    @Test
    void accept_clientThePolicyRefuses_refusedOnBothSidesBeforeUse() throws Exception {
        Prin carol = host.program();
        PskChannels server = PskChannels.builder(bob, host.sourceFor(bob)).peerPolicy(PeerPolicy.only(Set.of(carol)))
                .build();
        try (TaoListener listener = server.listen(LOOPBACK)) {
            Future<TaoChannel> served = async(listener::accept);
            PeerRefusedException onClient = assertThrows(PeerRefusedException.class,
                    () -> channels(host, alice).dial(host(), listener.port(), bob));
            PeerRefusedException onServer = failureOf(served, PeerRefusedException.class);
            assertThat(onServer).hasMessageContaining("peer " + alice + " is not accepted by");
            assertThat(onClient).hasMessageContaining("server refused the channel");
        }
    }

    @Test
    void dial_listenerOfAnotherProgram_refusedOnBothSides() throws Exception {
        // Alice wants Bob, but Carol listens at that address: Carol refuses an identity naming Bob.
        Prin carol = host.program();
        try (TaoListener listener = channels(host, carol).listen(LOOPBACK)) {
            Future<TaoChannel> served = async(listener::accept);
            assertThrows(PeerRefusedException.class, () -> channels(host, alice).dial(host(), listener.port(), bob));
            assertThat(failureOf(served, PeerRefusedException.class)).hasMessageContaining("asked for the program " + bob);
        }
    }

    @Test
    void dial_serverThePolicyRefuses_refusedBeforeConnecting() {
        PskChannels client = PskChannels.builder(alice, host.sourceFor(alice)).peerPolicy(PeerPolicy.only(Set.of())).build();
        assertThat(assertThrows(PeerRefusedException.class, () -> client.connect(new Socket(), bob)))
                .hasMessageContaining("peer " + bob + " is not accepted");
    }

    @Test
    void dial_ownName_refused() {
        assertThrows(PeerRefusedException.class, () -> channels(host, alice).connect(new Socket(), alice));
    }

    @Test
    void dial_keySourceGivesAShortKey_refused() {
        PskChannels client = PskChannels.builder(alice, members -> new byte[16]).build();
        assertThat(assertThrows(PeerRefusedException.class, () -> client.connect(new Socket(), bob)))
                .hasMessageContaining("16 bytes");
    }

    @Test
    void accept_malformedIdentity_refusedAndTheListenerStaysOpen() throws Exception {
        PskChannels bobs = channels(host, bob);
        try (TaoListener listener = bobs.listen(LOOPBACK)) {
            Future<TaoChannel> served = async(listener::accept);
            assertThrows(IOException.class, () -> rawClient(listener.port(), "garbage".getBytes(UTF_8), false));
            assertThat(failureOf(served, PeerRefusedException.class)).hasMessageContaining("malformed PSK identity");

            Future<TaoChannel> next = async(listener::accept);
            try (TaoChannel c = channels(host, alice).dial(host(), listener.port(), bob)) {
                assertThat(await(next).peer()).isEqualTo(alice);
            }
        }
    }

    @Test
    void accept_oversizedIdentity_refused() throws Exception {
        byte[] big = new byte[PskIdentity.MAX_BYTES + 1];
        System.arraycopy(new PskIdentity(alice, bob).encode(), 0, big, 0, 10);
        try (TaoListener listener = channels(host, bob).listen(LOOPBACK)) {
            Future<TaoChannel> served = async(listener::accept);
            assertThrows(IOException.class, () -> rawClient(listener.port(), big, false));
            assertThat(failureOf(served, PeerRefusedException.class)).hasMessageContaining("over the bound");
        }
    }

    @Test
    void accept_clientOfferingOnlyPskKe_refusedForWantOfForwardSecrecy() throws Exception {
        try (TaoListener listener = channels(host, bob).listen(LOOPBACK)) {
            Future<TaoChannel> served = async(listener::accept);
            assertThrows(IOException.class, () -> rawClient(listener.port(), new PskIdentity(alice, bob).encode(), true));
            assertThat(failureOf(served, PeerRefusedException.class)).hasMessageContaining("psk_dhe_ke");
        }
    }

    /**
     * What this shows about forward secrecy, from the bytes on the wire of real sessions: the
     * client offers the key exchange mode psk_dhe_ke and nothing else, with a key share; the
     * server's hello selects the PSK (pre_shared_key) and answers with its own key share, so the
     * session's handshake secret is HKDF-Extract of the (EC)DHE secret over the PSK's early
     * secret (RFC 8446 7.1), which the PSK alone does not give; and two sessions under the same
     * PSK carrying the same message give different ciphertexts. (That an attacker who knows the
     * PSK cannot compute the (EC)DHE secret is the DH assumption, not something a test shows.)
     */
    @Test
    void session_recordedOnTheWire_usesPskWithEcdheAndFreshKeys() throws Exception {
        List<byte[]> applicationData = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            try (TaoListener listener = channels(host, bob).listen(LOOPBACK);
                    RecordingProxy proxy = new RecordingProxy(listener.port())) {
                Future<Void> served = async(() -> {
                    try (TaoChannel c = listener.accept()) {
                        c.send(c.receive());
                    }
                    return null;
                });
                try (TaoChannel c = channels(host, alice).dial(host(), proxy.port(), bob)) {
                    c.send("the same secret message".getBytes(UTF_8));
                    c.receive();
                }
                await(served);
                proxy.awaitDone();
                byte[] up = proxy.clientToServer();
                byte[] down = proxy.serverToClient();

                Map<Integer, byte[]> clientHello = helloExtensions(up, 1);
                assertThat(clientHello.get(EXT_PSK_KEY_EXCHANGE_MODES))
                        .containsExactly(1, PskKeyExchangeMode.psk_dhe_ke);
                assertThat(clientHello).containsKeys(EXT_KEY_SHARE, EXT_PRE_SHARED_KEY);
                Map<Integer, byte[]> serverHello = helloExtensions(down, 2);
                assertThat(serverHello).containsKeys(EXT_PRE_SHARED_KEY, EXT_KEY_SHARE);
                assertThat(new String(up, java.nio.charset.StandardCharsets.ISO_8859_1))
                        .doesNotContain("the same secret message");
                applicationData.add(lastRecord(up));
            }
        }
        assertThat(applicationData.get(0)).isNotEqualTo(applicationData.get(1));
    }

    /** A BouncyCastle client offering {@code identity} with a key of zeros; psk_ke only if asked. */
    private static void rawClient(int port, byte[] identity, boolean pskKeOnly) throws IOException {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout(10_000);
            TlsCrypto crypto = PskTls.crypto();
            PskTls.Client client = new PskTls.Client(crypto, identity, crypto.createSecret(new byte[32]), 10_000) {
                @Override
                public short[] getPskKeyExchangeModes() {
                    return pskKeOnly ? new short[] {PskKeyExchangeMode.psk_ke} : super.getPskKeyExchangeModes();
                }
            };
            new TlsClientProtocol(s.getInputStream(), s.getOutputStream()).connect(client);
        }
    }

    /** The extensions of the first handshake message (of type {@code type}) in a recorded direction. */
    private static Map<Integer, byte[]> helloExtensions(byte[] wire, int type) {
        ByteBuffer b = ByteBuffer.wrap(wire);
        assertThat(b.get()).isEqualTo((byte) 22); // handshake record
        b.getShort();
        b.getShort();
        assertThat(b.get()).isEqualTo((byte) type);
        b.position(b.position() + 3 + 2 + 32); // length, legacy_version, random
        skip(b, b.get() & 0xff); // legacy_session_id
        if (type == 1) {
            skip(b, b.getShort() & 0xffff); // cipher_suites
            skip(b, b.get() & 0xff); // compression methods
        } else {
            b.getShort(); // cipher_suite
            b.get(); // compression method
        }
        int length = b.getShort() & 0xffff;
        int end = b.position() + length;
        Map<Integer, byte[]> out = new HashMap<>();
        while (b.position() < end) {
            int ext = b.getShort() & 0xffff;
            byte[] data = new byte[b.getShort() & 0xffff];
            b.get(data);
            out.put(ext, data);
        }
        return out;
    }

    private static void skip(ByteBuffer b, int n) {
        b.position(b.position() + n);
    }

    /** The last application_data record (with its header) of a recorded direction. */
    private static byte[] lastRecord(byte[] wire) {
        ByteBuffer b = ByteBuffer.wrap(wire);
        byte[] last = null;
        while (b.remaining() >= 5) {
            int start = b.position();
            byte contentType = b.get();
            b.getShort();
            skip(b, b.getShort() & 0xffff);
            if (contentType == 23) {
                last = java.util.Arrays.copyOfRange(wire, start, b.position());
            }
        }
        assertThat(last).isNotNull();
        return last;
    }

    /** A TCP proxy on loopback that records both directions of one connection. */
    private final class RecordingProxy implements AutoCloseable {
        private final ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        private final ByteArrayOutputStream up = new ByteArrayOutputStream();
        private final ByteArrayOutputStream down = new ByteArrayOutputStream();
        private final Future<?> done;

        RecordingProxy(int target) throws IOException {
            done = async(() -> {
                try (Socket client = server.accept(); Socket real = new Socket(InetAddress.getLoopbackAddress(), target)) {
                    Future<?> u = async(() -> copy(client.getInputStream(), real.getOutputStream(), up));
                    copy(real.getInputStream(), client.getOutputStream(), down);
                    u.get(20, TimeUnit.SECONDS);
                }
                return null;
            });
        }

        private Void copy(InputStream in, OutputStream out, ByteArrayOutputStream record) throws IOException {
            byte[] buf = new byte[4096];
            try {
                for (int n; (n = in.read(buf)) >= 0; ) {
                    synchronized (record) {
                        record.write(buf, 0, n);
                    }
                    out.write(buf, 0, n);
                }
                out.close();
            } catch (IOException e) {
                out.close(); // the other side closed first: the recording is complete
            }
            return null;
        }

        int port() {
            return server.getLocalPort();
        }

        void awaitDone() throws Exception {
            done.get(20, TimeUnit.SECONDS);
        }

        byte[] clientToServer() {
            synchronized (up) {
                return up.toByteArray();
            }
        }

        byte[] serverToClient() {
            synchronized (down) {
                return down.toByteArray();
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }
}
