package dev.cloudproxy.tao.channel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cloudproxy.tao.AttestRequest;
import dev.cloudproxy.tao.attestation.Attestation;
import dev.cloudproxy.tao.auth.Bytes;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.PrinExt;
import dev.cloudproxy.tao.auth.Says;
import dev.cloudproxy.tao.auth.Speaksfor;
import dev.cloudproxy.tao.auth.SubPrin;
import dev.cloudproxy.tao.keys.Signer;
import dev.cloudproxy.tao.soft.SoftTao;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The certificate-free mode: attestations exchanged over TLS with self-signed certificates. */
class AttestedChannelsTest {
    private static final InetSocketAddress LOOPBACK = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    private final ExecutorService executor = Executors.newCachedThreadPool();
    private SoftTao serverTao;
    private SoftTao clientTao;
    private AttestedCredentials server;
    private AttestedCredentials client;

    @BeforeEach
    void setUp() throws Exception {
        serverTao = program(1);
        clientTao = program(2);
        server = AttestedCredentials.create(serverTao);
        client = AttestedCredentials.create(clientTao);
    }

    private static SoftTao program(int n) {
        SoftTao tao = SoftTao.ephemeral();
        byte[] hash = new byte[32];
        hash[0] = (byte) n;
        tao.extendTaoName(SubPrin.of(PrinExt.of("Program", new Bytes(hash))));
        return tao;
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        executor.shutdownNow();
        assertThat(executor.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        server.close();
        client.close();
        serverTao.close();
        clientTao.close();
    }

    private AttestedChannels.Builder trustingBoth(AttestedCredentials credentials) {
        return AttestedChannels.builder(credentials).trustRoot(serverTao.rootName()).trustRoot(clientTao.rootName());
    }

    private static String host() {
        return InetAddress.getLoopbackAddress().getHostAddress();
    }

    private static <X extends Throwable> X failureOf(Future<?> f, Class<X> type) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(20, TimeUnit.SECONDS));
        assertThat(e.getCause()).isInstanceOf(type);
        return type.cast(e.getCause());
    }

    @Test
    void dial_validAttestationsUnderTrustedRoots_bothLearnEachOthersName() throws Exception {
        try (TaoListener listener = trustingBoth(server).build().listen(LOOPBACK)) {
            Future<Prin> served = executor.submit(() -> {
                try (TaoChannel c = listener.accept()) {
                    c.send(c.receive());
                    return c.peer();
                }
            });
            AttestedChannels dialer = trustingBoth(client).build();
            for (int i = 0; i < 2; i++) { // the second channel resumes the TLS session
                try (TaoChannel c = dialer.dial(host(), listener.port())) {
                    c.send(new byte[] {7});

                    assertThat(c.receive()).containsExactly(7);
                    assertThat(c.peer()).isEqualTo(serverTao.getTaoName());
                }
                if (i == 0) {
                    assertThat(served.get(20, TimeUnit.SECONDS)).isEqualTo(clientTao.getTaoName());
                    served = executor.submit(() -> {
                        try (TaoChannel c = listener.accept()) {
                            c.send(c.receive());
                            return c.peer();
                        }
                    });
                }
            }
            assertThat(served.get(20, TimeUnit.SECONDS)).isEqualTo(clientTao.getTaoName());
        }
    }

    @Test
    void accept_attestationForAnotherKeyThanTheTlsKey_isRefusedByBothSides() throws Exception {
        Signer attested = Signer.generate();
        Attestation forOtherKey = clientTao.attest(new Speaksfor(attested.principal(), clientTao.getTaoName()));
        attested.close();
        try (AttestedCredentials mismatched = AttestedCredentials.ofUnchecked(Signer.generate(), forOtherKey,
                clientTao.getTaoName());
                TaoListener listener = trustingBoth(server).build().listen(LOOPBACK)) {
            Future<TaoChannel> served = executor.submit(listener::accept);

            PeerRefusedException dialerSees = assertThrows(PeerRefusedException.class,
                    () -> trustingBoth(mismatched).build().dial(host(), listener.port()));

            assertThat(dialerSees).hasMessageContaining("the peer refused");
            assertThat(failureOf(served, PeerRefusedException.class))
                    .hasMessageContaining("for another key than its TLS key");
        }
    }

    @Test
    void accept_peerUnderAnUntrustedRoot_isRefused() throws Exception {
        AttestedChannels trustsOnlyItself = AttestedChannels.builder(server).trustRoot(serverTao.rootName()).build();
        try (TaoListener listener = trustsOnlyItself.listen(LOOPBACK)) {
            Future<TaoChannel> served = executor.submit(listener::accept);

            assertThrows(PeerRefusedException.class, () -> trustingBoth(client).build().dial(host(), listener.port()));

            assertThat(failureOf(served, PeerRefusedException.class))
                    .hasMessageContaining("peer " + clientTao.getTaoName() + " is not under a trusted root");
        }
    }

    @Test
    void accept_selfSignedDelegationToAnotherProgramsName_isRefused() throws Exception {
        // A key of its own claims, by its own signature, to speak for the client's name.
        Signer impostor = Signer.generate();
        long now = Instant.now().getEpochSecond();
        Prin victim = clientTao.getTaoName();
        Attestation forged = Attestation.sign(impostor, new Says(victim, OptionalLong.of(now),
                OptionalLong.of(now + 3600), new Speaksfor(impostor.principal(), victim)));
        try (AttestedCredentials forgedCredentials = AttestedCredentials.ofUnchecked(impostor, forged, victim);
                TaoListener listener = trustingBoth(server).build().listen(LOOPBACK)) {
            Future<TaoChannel> served = executor.submit(listener::accept);

            assertThrows(PeerRefusedException.class,
                    () -> trustingBoth(forgedCredentials).build().dial(host(), listener.port()));

            assertThat(failureOf(served, PeerRefusedException.class)).hasMessageContaining("does not verify");
        }
    }

    @Test
    void accept_attestationThatIsNotADelegation_isRefused() throws Exception {
        Signer key = Signer.generate();
        Attestation notADelegation = clientTao.attest(AttestRequest.of(
                new dev.cloudproxy.tao.auth.Pred("Ready", java.util.List.of())));
        try (AttestedCredentials odd = AttestedCredentials.ofUnchecked(key, notADelegation, clientTao.getTaoName());
                TaoListener listener = trustingBoth(server).build().listen(LOOPBACK)) {
            Future<TaoChannel> served = executor.submit(listener::accept);

            assertThrows(PeerRefusedException.class, () -> trustingBoth(odd).build().dial(host(), listener.port()));

            assertThat(failureOf(served, PeerRefusedException.class)).hasMessageContaining("not a delegation");
        }
    }

    @Test
    void dial_serverRefusedByTheClientsPolicy_isRefusedWithTheReason() throws Exception {
        try (TaoListener listener = trustingBoth(server).build().listen(LOOPBACK)) {
            Future<TaoChannel> served = executor.submit(listener::accept);
            AttestedChannels picky = trustingBoth(client).peerPolicy(PeerPolicy.only(Set.of(clientTao.getTaoName())))
                    .build();

            PeerRefusedException e = assertThrows(PeerRefusedException.class, () -> picky.dial(host(), listener.port()));

            assertThat(e).hasMessageContaining("peer " + serverTao.getTaoName() + " is not accepted by");
            assertThat(failureOf(served, PeerRefusedException.class)).hasMessageContaining("the peer refused");
        }
    }

    @Test
    void accept_programCertificateModeClient_isRefused() throws Exception {
        try (TestDomain domain = TestDomain.create("Test Domain");
                TaoListener listener = trustingBoth(server).build().listen(LOOPBACK)) {
            Future<TaoChannel> served = executor.submit(listener::accept);

            // The certificate-mode client refuses the self-signed server certificate.
            assertThrows(IOException.class, () -> TaoChannel.dial(host(), listener.port(), domain.program()));

            failureOf(served, IOException.class);
        }
    }

    @Test
    void build_withoutTrustedRoots_isIllegalState() {
        assertThrows(IllegalStateException.class, () -> AttestedChannels.builder(client).build());
    }
}
