package dev.cloudproxy.tao.agent.tooling;

import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.channel.PskChannels;
import dev.cloudproxy.tao.channel.PskConnection;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.Optional;
import javax.net.ssl.SSLSocket;

/**
 * How the relays carry one connection to or from a peer: TLS from a {@link TlsProvider}
 * (certificate Tao channels, {@code TAO} rules) or a PSK Tao channel ({@code TAO-PSK} rules). A
 * carrier returns a connection only once the peer is authenticated; any failure is an exception,
 * and the relay then closes the app's connection (never a plaintext fallback).
 */
interface Carrier {
    /**
     * Connects to {@code dest} and authenticates the peer.
     *
     * @param peer the program expected there: required for PSK channels (the key is the pair's)
     */
    Carried dial(InetSocketAddress dest, Optional<Prin> peer) throws IOException;

    /** Authenticates the client of an accepted socket, within {@code timeout}. */
    Carried accept(Socket client, Duration timeout) throws IOException;

    /** An authenticated connection (or the app's plain one), as the relays copy between them. */
    interface Carried extends Closeable {
        InputStream in() throws IOException;

        OutputStream out() throws IOException;

        /** Ends the direction toward the peer; closes everything where there is no half-close. */
        void shutdownOutput() throws IOException;

        /** The peer's name as the relays report it. */
        String peerName() throws IOException;

        /** The peer's verified Tao principal, for peer policies; fails if the carrier has none. */
        Prin peerPrincipal() throws IOException;
    }

    /** The app's side of a relayed connection: a plain socket. */
    static Carried plain(Socket s) {
        return new SocketCarried(s);
    }

    /** A connection over a socket's own streams; it names no peer. */
    class SocketCarried implements Carried {
        final Socket socket;

        SocketCarried(Socket socket) {
            this.socket = socket;
        }

        @Override
        public InputStream in() throws IOException {
            return socket.getInputStream();
        }

        @Override
        public OutputStream out() throws IOException {
            return socket.getOutputStream();
        }

        @Override
        public void shutdownOutput() throws IOException {
            socket.shutdownOutput();
        }

        @Override
        public String peerName() throws IOException {
            throw new IOException("a plain socket has no Tao peer");
        }

        @Override
        public Prin peerPrincipal() throws IOException {
            throw new IOException("a plain socket has no Tao peer");
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    /** Certificate Tao channels: TLS from {@code tls}, mutual authentication. */
    static Carrier tls(TlsProvider tls) {
        return new Carrier() {
            @Override
            public Carried dial(InetSocketAddress dest, Optional<Prin> peer) throws IOException {
                SSLSocket s = (SSLSocket) tls.sslContext().getSocketFactory().createSocket();
                try {
                    s.connect(dest);
                    s.setTcpNoDelay(true);
                    s.startHandshake();
                    return tlsCarried(s, tls);
                } catch (IOException | RuntimeException e) {
                    s.close();
                    throw e;
                }
            }

            @Override
            public Carried accept(Socket client, Duration timeout) throws IOException {
                SSLSocket s = (SSLSocket) tls.sslContext().getSocketFactory().createSocket(client, null, true);
                client.setTcpNoDelay(true);
                s.setUseClientMode(false);
                s.setNeedClientAuth(true);
                s.setSoTimeout((int) timeout.toMillis());
                s.startHandshake();
                s.setSoTimeout(0);
                return tlsCarried(s, tls);
            }
        };
    }

    private static Carried tlsCarried(SSLSocket s, TlsProvider tls) {
        return new SocketCarried(s) {
            @Override
            public void shutdownOutput() throws IOException {
                try {
                    s.shutdownOutput(); // TLS 1.3 half-closes with close_notify
                } catch (UnsupportedOperationException noHalfClose) {
                    s.close();
                }
            }

            @Override
            public String peerName() throws IOException {
                return tls.peerName(s.getSession());
            }

            @Override
            public Prin peerPrincipal() throws IOException {
                return tls.peerPrincipal(s.getSession());
            }
        };
    }

    /**
     * PSK Tao channels: the key from the two programs' common ancestor ({@link PskChannels}); the
     * channels' peer policy decides which clients a listener takes.
     */
    static Carrier psk(PskChannels channels) {
        return new Carrier() {
            @Override
            public Carried dial(InetSocketAddress dest, Optional<Prin> peer) throws IOException {
                Prin server = peer.orElseThrow(() -> new IOException("a PSK Tao channel needs the name of the program "
                        + "it connects to"));
                Socket s = new Socket();
                try {
                    s.setTcpNoDelay(true);
                    s.connect(dest);
                } catch (IOException | RuntimeException e) {
                    s.close();
                    throw e;
                }
                return pskCarried(channels.connect(s, server));
            }

            @Override
            public Carried accept(Socket client, Duration timeout) throws IOException {
                client.setTcpNoDelay(true);
                return pskCarried(channels.accept(client));
            }
        };
    }

    private static Carried pskCarried(PskConnection c) {
        return new Carried() {
            @Override
            public InputStream in() {
                return c.inputStream();
            }

            @Override
            public OutputStream out() {
                return c.outputStream();
            }

            @Override
            public void shutdownOutput() throws IOException {
                c.close(); // BouncyCastle's TLS has no half-close
            }

            @Override
            public String peerName() {
                return c.peer().toString();
            }

            @Override
            public Prin peerPrincipal() {
                return c.peer();
            }

            @Override
            public void close() throws IOException {
                c.close();
            }
        };
    }
}
