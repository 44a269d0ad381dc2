package dev.cloudproxy.tao.samples.simple;

import dev.cloudproxy.tao.CoreTao;
import dev.cloudproxy.tao.TaoException;
import dev.cloudproxy.tao.auth.AuthText;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.channel.TaoChannel;
import dev.cloudproxy.tao.channel.TaoListener;
import dev.cloudproxy.tao.paradigm.TaoParadigm;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Set;

/**
 * The server of SimpleExample, run as a hosted program: gets its key and program certificate
 * through the Tao paradigm, listens for Tao channels, and sends each peer its secret, the peer's
 * principal name followed by {@code 43}. Only peers with a certificate from the same domain get
 * through the handshake.
 *
 * <pre>
 * SimpleServer --policy-cert FILE --domain-service HOST:PORT --state DIR [--host-cert FILE] [--listen HOST:PORT]
 * </pre>
 *
 * Prints its name, its certificate's serial, {@code listening on HOST:PORT}, and a line per peer.
 */
public final class SimpleServer {
    static final String PROGRAM = "SimpleServer";

    private SimpleServer() {}

    /** The secret of a peer: its principal name followed by {@code 43}. */
    public static String secretFor(Prin peer) {
        return AuthText.print(peer) + "43";
    }

    public static void main(String[] argv) {
        SimpleArgs args = null;
        try {
            args = SimpleArgs.parse(PROGRAM, argv,
                    Set.of("policy-cert", "domain-service", "state", "host-cert", "listen"));
            InetSocketAddress listen = SimpleArgs.address("listen", args.optional("listen", "127.0.0.1:0"));
            try (TaoParadigm paradigm = SimpleClient.paradigm(args);
                    TaoListener listener = SimpleClient.channels(paradigm, args).listen(listen)) {
                System.out.println("name: " + paradigm.principal());
                System.out.println("certificate: serial " + paradigm.certificate().getSerialNumber().toString(16));
                System.out.println("listening on " + listener.address().getHostString() + ":" + listener.port());
                System.out.flush();
                serve(listener);
            }
        } catch (SimpleArgs.UsageException e) {
            System.err.println(PROGRAM + ": " + e.getMessage());
            System.exit(2);
        } catch (TaoException | IOException e) {
            args.fail(1, e.getMessage());
        }
    }

    private static void serve(TaoListener listener) {
        while (!listener.isClosed()) {
            TaoChannel channel;
            try {
                channel = listener.accept();
            } catch (IOException e) {
                // A peer that fails the handshake (no certificate, another domain) is refused
                // here; the server goes on.
                if (listener.isClosed()) {
                    return;
                }
                System.out.println("refused a connection: " + e.getMessage());
                continue;
            }
            try (channel) {
                Prin peer = channel.peer();
                channel.send(secretFor(peer).getBytes(StandardCharsets.UTF_8));
                System.out.println("peer: " + peer);
            } catch (IOException e) {
                System.out.println("lost a peer: " + e.getMessage());
            }
            System.out.flush();
        }
    }
}
