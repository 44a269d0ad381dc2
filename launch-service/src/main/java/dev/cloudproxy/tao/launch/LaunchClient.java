package dev.cloudproxy.tao.launch;

import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.channel.TaoChannels;
import dev.cloudproxy.tao.launch.LaunchProtocol.Request;
import dev.cloudproxy.tao.launch.LaunchProtocol.Response;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import javax.net.ssl.SSLSocket;

/**
 * Asks a host's {@link LaunchService} to launch a catalog program, over TLS with the client's
 * credentials ({@link TaoChannels}: the host must present a certificate of the same domain). The
 * result is unverified: check it with {@link LaunchRecordVerifier} and the nonce sent
 * ({@link Result#nonce}) before believing it.
 */
public final class LaunchClient {
    /** How long the handshake and the connection may take; the launch itself may take as long as the host allows. */
    public static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);

    private LaunchClient() {}

    /**
     * What came back: what the program printed, the evidence (record, host certificate, the nonce
     * this client sent) and the host's principal as its TLS certificate names it. Not a secret.
     */
    public record Result(byte[] output, LaunchEvidence evidence, Prin host) {
        public Result {
            output = output.clone();
            Objects.requireNonNull(evidence, "evidence");
            Objects.requireNonNull(host, "host");
        }

        @Override
        public byte[] output() {
            return output.clone();
        }

        public byte[] record() {
            return evidence.record();
        }

        public byte[] hostCertificate() {
            return evidence.hostCertificate();
        }

        public byte[] nonce() {
            return evidence.nonce();
        }
    }

    /**
     * Connects to the endpoint an interactive launch record names and completes a TLS 1.3
     * handshake in which the endpoint must present the record's program key (its certificate is
     * otherwise ignored: the record, verified with {@link LaunchRecordVerifier}, is what vouches
     * for the key). Any other key aborts the handshake with an {@link javax.net.ssl.SSLException}.
     *
     * @param record a record that verified; its mode must be {@link LaunchCatalog#INTERACTIVE}
     */
    public static SSLSocket connect(LaunchRecord record) throws IOException {
        if (!record.mode().equals(LaunchCatalog.INTERACTIVE)) {
            throw new IllegalArgumentException("the record is not of an interactive launch");
        }
        String endpoint = record.endpoint();
        int colon = endpoint.lastIndexOf(':');
        String host = endpoint.substring(0, colon).replace("[", "").replace("]", "");
        int port = Integer.parseInt(endpoint.substring(colon + 1));
        javax.net.ssl.SSLContext ctx;
        try {
            ctx = javax.net.ssl.SSLContext.getInstance("TLSv1.3");
            ctx.init(null, new javax.net.ssl.TrustManager[] {new PinnedKeyTrustManager(record.programKey())}, null);
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException("no TLS 1.3", e);
        }
        SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket();
        try {
            s.setEnabledProtocols(new String[] {"TLSv1.3"});
            int timeout = (int) CONNECT_TIMEOUT.toMillis();
            s.connect(new InetSocketAddress(host, port), timeout);
            s.setSoTimeout(timeout);
            s.startHandshake();
            s.setSoTimeout(0);
            return s;
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
    }

    /** A fresh random nonce of 32 bytes. */
    public static byte[] newNonce() {
        byte[] n = new byte[32];
        new SecureRandom().nextBytes(n);
        return n;
    }

    /**
     * Launches {@code name} with {@code args} at {@code address}, with {@code nonce}.
     *
     * @throws LaunchRefusedException if the host refused (the reason is the host's)
     * @throws IOException if the connection or the handshake failed, or the answer is malformed
     */
    public static Result launch(TaoChannels channels, InetSocketAddress address, String name, List<String> args,
            byte[] nonce) throws IOException, LaunchRefusedException {
        byte[] request = LaunchProtocol.encode(new Request(name, nonce.clone(), List.copyOf(args)));
        if (request.length > LaunchProtocol.MAX_REQUEST_BYTES) {
            throw new IllegalArgumentException("the request is over " + LaunchProtocol.MAX_REQUEST_BYTES + " bytes");
        }
        try (SSLSocket s = (SSLSocket) channels.sslContext().getSocketFactory().createSocket()) {
            s.setUseClientMode(true);
            int timeout = (int) CONNECT_TIMEOUT.toMillis();
            s.connect(address, timeout);
            s.setSoTimeout(timeout);
            s.startHandshake();
            Prin host = channels.checkPeer(s.getSession());
            LaunchProtocol.write(s.getOutputStream(), request);
            s.setSoTimeout(0); // the run takes as long as the host lets it
            Response r = LaunchProtocol.decodeResponse(LaunchProtocol.read(s.getInputStream(),
                    LaunchProtocol.MAX_RESPONSE_BYTES));
            if (r.refusal() != null) {
                throw new LaunchRefusedException(r.refusal());
            }
            return new Result(r.output(), new LaunchEvidence(r.record(), r.hostCertificate(), nonce), host);
        }
    }
}
