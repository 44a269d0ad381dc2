package dev.cloudproxy.tao.kms;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloudproxy.tao.auth.Bytes;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.PrinExt;
import dev.cloudproxy.tao.channel.ProgramCredentials;
import dev.cloudproxy.tao.channel.TaoChannel;
import dev.cloudproxy.tao.channel.TaoListener;
import dev.cloudproxy.tao.domain.DomainTemplate;
import dev.cloudproxy.tao.domain.PolicyCertificate;
import dev.cloudproxy.tao.domain.ProgramCertificate;
import dev.cloudproxy.tao.keys.Signer;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The replay case over real Tao channels: a key holder accepts a directive only for the peer its
 * channel authenticated, so program C presenting A's directive over C's own channel is refused.
 */
class DirectiveOverChannelTest {
    private static final ObjectId KEY = ObjectId.of("/zone/key/customer-folder-key", 3);

    private final Signer policy = Signer.generate();
    private final X509Certificate policyCertificate =
            PolicyCertificate.create(policy, "directive test", DomainTemplate.X509Details.NONE, 30);
    private final List<Signer> keys = new ArrayList<>();
    private final ExecutorService holder = Executors.newSingleThreadExecutor();

    @AfterEach
    void close() {
        holder.shutdownNow();
        keys.forEach(Signer::close);
        policy.close();
    }

    private ProgramCredentials program(int n) throws Exception {
        byte[] hash = new byte[32];
        hash[31] = (byte) n;
        Prin name = Prin.key(new byte[32]).extend(PrinExt.of("Program", new Bytes(hash)));
        Signer key = Signer.generate();
        keys.add(key);
        X509Certificate cert = ProgramCertificate.issue(policy, policyCertificate, key.verifier(), name,
                Duration.ofDays(1), Instant.now());
        return ProgramCredentials.of(key, List.of(cert), policyCertificate);
    }

    /** Dials the holder, presents {@code directive}, returns its answer. */
    private String present(ProgramCredentials holderCredentials, ProgramCredentials client, byte[] directive)
            throws Exception {
        DirectiveVerifier verifier = DirectiveVerifier.of(policy.verifier(), Clock.systemUTC());
        try (TaoListener listener = TaoListener.listen(0, holderCredentials)) {
            Future<String> answer = holder.submit(() -> {
                try (TaoChannel channel = listener.accept()) {
                    byte[] presented = channel.receive();
                    String reply;
                    try {
                        verifier.verify(presented, channel.peer(), Verb.READ, KEY);
                        reply = "granted";
                    } catch (DirectiveRefusedException e) {
                        reply = "refused: " + e.getMessage();
                    }
                    channel.send(reply.getBytes(StandardCharsets.UTF_8));
                    return reply;
                }
            });
            try (TaoChannel channel = TaoChannel.dial("127.0.0.1", listener.port(), client)) {
                channel.send(directive);
                String seen = new String(channel.receive(), StandardCharsets.UTF_8);
                assertThat(answer.get(30, TimeUnit.SECONDS)).isEqualTo(seen);
                return seen;
            }
        }
    }

    @Test
    void directive_presentedByItsProgram_isGrantedAndReplayedByAnother_isRefused() throws Exception {
        ProgramCredentials holderProgram = program(1);
        ProgramCredentials a = program(2);
        ProgramCredentials c = program(3);
        Instant now = Instant.now();
        byte[] forA = SignedDirective.sign(new Directive(policy.principal(), Verb.READ, a.principal(), KEY,
                now.getEpochSecond(), now.plus(Duration.ofHours(1)).getEpochSecond()), policy);

        assertThat(present(holderProgram, a, forA)).isEqualTo("granted");
        assertThat(present(holderProgram, c, forA)).startsWith("refused: ").contains("another principal");
    }
}
