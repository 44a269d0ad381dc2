package dev.cloudproxy.tao.channel;

import dev.cloudproxy.tao.auth.Prin;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import org.bouncycastle.tls.TlsProtocol;

/**
 * An established PSK-mode TLS connection as a pair of byte streams, for code that carries a byte
 * stream rather than messages (the agent's relay); {@link PskChannels#dial} and
 * {@link TaoListener} wrap one in a {@link TaoChannel}. It exists only after the handshake
 * authenticated {@link #peer()} (see {@link PskChannels}).
 *
 * <p>One thread may read while another writes. There is no half-close: closing either stream or
 * the connection sends TLS close_notify and closes the socket.
 */
public final class PskConnection implements Closeable {
    private final Socket socket;
    private final TlsProtocol tls;
    private final Prin peer;

    PskConnection(Socket socket, TlsProtocol tls, Prin peer) {
        this.socket = socket;
        this.tls = tls;
        this.peer = peer;
    }

    /** The peer's authenticated full principal name. */
    public Prin peer() {
        return peer;
    }

    /** The peer's application data. */
    public InputStream inputStream() {
        return tls.getInputStream();
    }

    /** Application data to the peer. */
    public OutputStream outputStream() {
        return tls.getOutputStream();
    }

    /** The TCP socket under the TLS connection (for timeouts and addresses; do not read or write it). */
    public Socket socket() {
        return socket;
    }

    /** A message channel over this connection, with messages of at most {@code maxMessageBytes}. */
    TaoChannel channel(int maxMessageBytes) {
        return TaoChannel.overStreams(socket, this, inputStream(), outputStream(), peer, maxMessageBytes);
    }

    /** Sends close_notify and closes the socket; idempotent. */
    @Override
    public void close() throws IOException {
        try {
            tls.close();
        } finally {
            socket.close();
        }
    }

    @Override
    public String toString() {
        return "PskConnection[peer " + peer + ", " + socket.getRemoteSocketAddress() + "]";
    }
}
