package dev.cloudproxy.tao.channel;

import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.events.TaoEvents;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.Objects;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;

/**
 * A mutually authenticated TLS 1.3 connection to a peer whose principal name is known, carrying
 * length-prefixed messages: the papers' {@code DialWithKeys} and {@code OpenTaoChannel}.
 *
 * <p>A channel exists only after its peer was authenticated: by its program certificate
 * ({@link TaoChannels}), by its attestation ({@link AttestedChannels}) or by a key that only the
 * two programs' common ancestor Tao gives out ({@link PskChannels}), and accepted by the
 * {@link PeerPolicy}. {@link #peer()} is that verified name. Messages are at most the configured
 * bound (1 MiB by default) in both directions.
 *
 * <p>In certificate mode the server judges the client's certificate after the client's TLS 1.3
 * handshake is over, so a server's refusal reaches the client on its first {@link #receive()}, as
 * an {@link javax.net.ssl.SSLException}.
 *
 * <p>One thread may {@link #send} while another {@link #receive}s. Every socket has
 * {@code TCP_NODELAY} set.
 */
public final class TaoChannel implements Closeable {
    /** The socket timeouts apply to and whose remote address is shown: the TLS socket, or the TCP one under BouncyCastle's TLS. */
    private final Socket socket;
    /** Closes the TLS connection (close_notify) and the socket. */
    private final Closeable connection;
    private final MessageStream stream;
    private final Prin peer;
    /** Null for a PSK channel, which JSSE does not make. */
    private final SSLSession session;

    private TaoChannel(Socket socket, Closeable connection, MessageStream stream, Prin peer, SSLSession session) {
        this.socket = socket;
        this.connection = connection;
        this.stream = stream;
        this.peer = peer;
        this.session = session;
    }

    /**
     * A channel over a TLS connection that is not a JSSE socket (the PSK mode): {@code in} and
     * {@code out} are its application data streams, {@code connection} closes it and {@code socket}.
     */
    static TaoChannel overStreams(Socket socket, Closeable connection, InputStream in, OutputStream out, Prin peer,
            int maxMessageBytes) {
        return new TaoChannel(socket, connection, new MessageStream(in, out, maxMessageBytes), peer, null);
    }

    /**
     * Connects to a program of the same domain, with {@code credentials} and the defaults of
     * {@link TaoChannels#of}: any peer the domain certified. Repeated dials with the same
     * credentials share one TLS session cache, so they resume sessions.
     */
    public static TaoChannel dial(String host, int port, ProgramCredentials credentials) throws IOException {
        return credentials.defaultChannels().dial(host, port);
    }

    static TaoChannel dial(ChannelConfig config, String host, int port) throws IOException {
        Objects.requireNonNull(host, "host");
        // The configured factory's sockets have the channel's parameters and TCP_NODELAY set.
        SSLSocket tls = (SSLSocket) config.context().getSocketFactory().createSocket();
        try {
            tls.setUseClientMode(true);
            tls.connect(new InetSocketAddress(host, port), config.handshakeTimeoutMillis());
        } catch (IOException | RuntimeException e) {
            closeQuietly(tls, e);
            throw e;
        }
        return open(config, tls);
    }

    /** Runs the handshake and the mode's authentication on a configured TLS socket. */
    static TaoChannel open(ChannelConfig config, SSLSocket socket) throws IOException {
        TaoEvents.Handshake event = TaoEvents.handshake();
        String role = socket.getUseClientMode() ? "client" : "server";
        try {
            socket.setSoTimeout(config.handshakeTimeoutMillis());
            socket.startHandshake();
            Prin peer = config.authenticator().authenticate(socket);
            socket.setSoTimeout(0);
            MessageStream stream = new MessageStream(socket.getInputStream(), socket.getOutputStream(),
                    config.maxMessageBytes());
            event.end(role, remote(socket), peer.toString(), null);
            return new TaoChannel(socket, socket, stream, peer, socket.getSession());
        } catch (IOException | RuntimeException e) {
            event.end(role, remote(socket), null, e.getMessage());
            closeQuietly(socket, e);
            throw e;
        }
    }

    /** host:port of the other end, IPv6 in brackets; "-" before the socket is connected. */
    private static String remote(SSLSocket socket) {
        if (socket.getInetAddress() == null) {
            return "-";
        }
        String h = socket.getInetAddress().getHostAddress();
        return (h.indexOf(':') >= 0 ? "[" + h + "]" : h) + ":" + socket.getPort();
    }

    static void closeQuietly(Closeable s, Exception primary) {
        try {
            s.close();
        } catch (IOException e) {
            primary.addSuppressed(e);
        }
    }

    /** The peer's verified principal name. */
    public Prin peer() {
        return peer;
    }

    /**
     * Sends one message.
     *
     * @throws IllegalArgumentException if it is over the channel's bound
     */
    public void send(byte[] message) throws IOException {
        stream.send(message);
    }

    /**
     * Receives one message, waiting as long as the receive timeout allows.
     *
     * @throws EOFException if the peer closed the channel between messages
     * @throws FrameException if the peer sent a length over the bound or closed inside a message
     * @throws java.net.SocketTimeoutException if the receive timeout passed; the channel stays usable
     */
    public byte[] receive() throws IOException {
        return stream.receive();
    }

    /**
     * How long {@link #receive()} waits; zero (the default) waits for ever. On a PSK channel a
     * receive that times out ends the channel (BouncyCastle's TLS fails the connection on any read
     * error), so PSK channels should use a timeout only as a bound on a dead peer.
     */
    public void setReceiveTimeout(Duration timeout) throws SocketException {
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("negative timeout");
        }
        socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, timeout.toMillis()));
    }

    /** The largest message this channel sends or receives. */
    public int maxMessageBytes() {
        return stream.maxMessageBytes();
    }

    /**
     * The TLS session (protocol, cipher suite, peer certificates) of a certificate or
     * certificate-free channel.
     *
     * @throws IllegalStateException for a PSK channel, whose TLS is not JSSE's
     */
    public SSLSession session() {
        if (session == null) {
            throw new IllegalStateException("a PSK channel has no JSSE session");
        }
        return session;
    }

    public boolean isClosed() {
        return socket.isClosed();
    }

    /** Closes the connection (sending TLS close_notify); idempotent. */
    @Override
    public void close() throws IOException {
        try {
            connection.close();
        } finally {
            socket.close();
        }
    }

    @Override
    public String toString() {
        return "TaoChannel[peer " + peer + ", " + socket.getRemoteSocketAddress() + "]";
    }
}
