package dev.cloudproxy.tao.agent.tooling;

import dev.cloudproxy.tao.Tao;
import dev.cloudproxy.tao.TaoException;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.channel.ProgramCredentials;
import dev.cloudproxy.tao.paradigm.TaoParadigm;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import javax.net.ssl.SSLContext;

/**
 * The program's Tao channel credentials, through the Tao paradigm: its key pair sealed to it, and
 * a program certificate from the domain service (obtained on the first start, reused later),
 * with the domain's policy certificate (from the measured agent options) as the trust anchor.
 * The {@link SSLContext} is the channel module's: TLS 1.3, mutual authentication, peers verified
 * against the policy certificate.
 */
final class ChannelCredentials implements TlsProvider {
    private final TaoParadigm paradigm;
    private final SSLContext context;

    private ChannelCredentials(TaoParadigm paradigm, SSLContext context) {
        this.paradigm = paradigm;
        this.context = context;
    }

    static ChannelCredentials obtain(Tao tao, AgentOptions opts, String stateDir) throws IOException {
        if (stateDir == null || stateDir.isEmpty()) {
            throw new IOException("Tao channels need a state directory for the program's keys (run under tao-launcher)");
        }
        InetSocketAddress service = opts.domainService().orElseThrow();
        try {
            TaoParadigm p = TaoParadigm.builder(tao, Path.of(stateDir))
                    .policyCertificate(opts.policyCertificate().orElseThrow())
                    .domainService(new InetSocketAddress(service.getHostString(), service.getPort()))
                    .timeout(Duration.ofSeconds(20))
                    .open();
            ProgramCredentials me = ProgramCredentials.of(p.signer(), p.certificateChain(), p.policyCertificate());
            return new ChannelCredentials(p, dev.cloudproxy.tao.channel.TaoChannels.of(me).sslContext());
        } catch (TaoException e) {
            throw new IOException("cannot obtain the program's Tao channel credentials from the domain service at "
                    + service.getHostString() + ":" + service.getPort() + ": " + e.getMessage());
        }
    }

    @Override
    public SSLContext sslContext() {
        return context;
    }

    /** The peer's principal, from its certificate verified against the policy certificate. */
    @Override
    public String peerName(javax.net.ssl.SSLSession session) throws IOException {
        return peerPrincipal(session).toString();
    }

    @Override
    public Prin peerPrincipal(javax.net.ssl.SSLSession session) throws IOException {
        return dev.cloudproxy.tao.channel.TaoChannels.peerPrincipal(session, paradigm.policyCertificate());
    }

    @Override
    public String toString() {
        return "ChannelCredentials[" + paradigm.principal() + "]";
    }
}
