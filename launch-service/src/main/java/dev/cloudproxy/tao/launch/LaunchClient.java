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
     * What came back: what the program printed, the record, the host certificate (DER), the nonce
     * this client sent and the host's principal as its TLS certificate names it. Not a secret.
     */
    public record Result(byte[] output, byte[] record, byte[] hostCertificate, byte[] nonce, Prin host) {
        public Result {
            output = output.clone();
            record = record.clone();
            hostCertificate = hostCertificate.clone();
            nonce = nonce.clone();
            Objects.requireNonNull(host, "host");
        }

        @Override
        public byte[] output() {
            return output.clone();
        }

        @Override
        public byte[] record() {
            return record.clone();
        }

        @Override
        public byte[] hostCertificate() {
            return hostCertificate.clone();
        }

        @Override
        public byte[] nonce() {
            return nonce.clone();
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
            return new Result(r.output(), r.record(), r.hostCertificate(), nonce, host);
        }
    }
}
