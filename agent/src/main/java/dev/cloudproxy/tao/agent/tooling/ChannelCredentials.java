package dev.cloudproxy.tao.agent.tooling;

import dev.cloudproxy.tao.CoreTao;
import dev.cloudproxy.tao.TaoException;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.channel.ProgramCredentials;
import dev.cloudproxy.tao.channel.RevocationChecker;
import dev.cloudproxy.tao.channel.TaoChannels;
import dev.cloudproxy.tao.paradigm.TaoParadigm;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.Optional;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSession;

/**
 * The program's Tao channel credentials, through the Tao paradigm: its key pair sealed to it, and
 * a program certificate from the domain service (obtained on the first start, reused later),
 * with the domain's policy certificate (from the measured agent options) as the trust anchor.
 * The {@link SSLContext} is the channel module's: TLS 1.3, mutual authentication, peers verified
 * against the policy certificate and checked against the domain's CRL, which a
 * {@link RevocationChecker} fetches from the same domain service every {@code crl-refresh}
 * seconds (60 by default) and which fails closed (no list, or a stale one, refuses every peer).
 * {@link #peerName} checks each relayed connection again, so a resumed TLS session of a peer
 * revoked since is refused too.
 */
final class ChannelCredentials implements TlsProvider {
    private final String principal;
    private final TaoChannels channels;
    private final Optional<X509Certificate> certificate;

    private ChannelCredentials(String principal, TaoChannels channels, Optional<X509Certificate> certificate) {
        this.principal = principal;
        this.channels = channels;
        this.certificate = certificate;
    }

    /** The credentials, with the paradigm's keys sealed under {@code sealPolicy} ({@code self} or {@code app:<app-id>}). */
    static ChannelCredentials obtain(CoreTao tao, AgentOptions opts, String stateDir, String sealPolicy) throws IOException {
        if (stateDir == null || stateDir.isEmpty()) {
            throw new IOException("Tao channels need a state directory for the program's keys (run under tao-launcher)");
        }
        InetSocketAddress service = opts.domainService().orElseThrow();
        InetSocketAddress resolved = new InetSocketAddress(service.getHostString(), service.getPort());
        X509Certificate policy = opts.policyCertificate().orElseThrow();
        try {
            TaoParadigm p = TaoParadigm.builder(tao, Path.of(stateDir))
                    .policyCertificate(policy)
                    .domainService(resolved)
                    .timeout(Duration.ofSeconds(20))
                    .sealPolicy(sealPolicy)
                    .open();
            ProgramCredentials me = ProgramCredentials.of(p.signer(), p.certificateChain(), p.policyCertificate());
            RevocationChecker.Builder crl = RevocationChecker.fromDomainService(p.policyCertificate(), resolved)
                    .refreshInterval(opts.crlRefresh())
                    .maxUnavailable(max(RevocationChecker.DEFAULT_MAX_UNAVAILABLE, opts.crlRefresh()));
            if (opts.crlAllowStale()) {
                System.err.println("tao-agent: WARNING: crl-stale=allow: Tao channels accept a stale CRL of the "
                        + "domain (revocations after its last update may be missed)");
                crl.allowStaleCrl();
            }
            return new ChannelCredentials(p.principal().toString(), TaoChannels.builder(me).revocation(crl.build()).build(),
                    Optional.of(p.certificateChain().get(0)));
        } catch (TaoException e) {
            throw new IOException("cannot obtain the program's Tao channel credentials from the domain service at "
                    + service.getHostString() + ":" + service.getPort() + ": " + e.getMessage());
        }
    }

    /** Credentials over channels made elsewhere (tests). */
    static ChannelCredentials of(String principal, TaoChannels channels) {
        return new ChannelCredentials(principal, channels, Optional.empty());
    }

    /** The program certificate, when these credentials came from the Tao paradigm. */
    Optional<X509Certificate> certificate() {
        return certificate;
    }

    private static Duration max(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    @Override
    public SSLContext sslContext() {
        return channels.sslContext();
    }

    @Override
    public String peerName(SSLSession session) throws IOException {
        return peerPrincipal(session).toString();
    }

    /**
     * The peer's principal, from its certificate verified against the policy certificate, after
     * checking the session now as a full handshake would (revocation included).
     *
     * @throws IOException (an {@code SSLException}) if the peer is not, or no longer, accepted
     */
    @Override
    public Prin peerPrincipal(SSLSession session) throws IOException {
        return channels.checkPeer(session);
    }

    @Override
    public String toString() {
        return "ChannelCredentials[" + principal + "]";
    }
}
