package dev.cloudproxy.tao.tpm;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;

/**
 * A TPM simulator reached over TCP with the Microsoft simulator's command protocol on its data
 * port (swtpm's {@code --server type=tcp}). Only the data port is used: swtpm does not speak that
 * protocol on its control port, so power and locality control are not offered; start swtpm with
 * {@code --flags not-need-init,startup-clear}.
 *
 * <p>TSS.Java's own TCP device leaves Nagle's algorithm on, which costs about 44 ms per command
 * (Nagle plus delayed ACK); this one sets {@code TCP_NODELAY}. It also bounds response sizes and
 * reports failures as exceptions instead of printing them.
 */
final class TcpTpmDevice extends HeldResponseDevice {
    private static final int SEND_COMMAND = 8;
    private static final int SESSION_END = 20;
    /** Larger than any TPM 2.0 response (TPM buffers are at most a few KiB). */
    private static final int MAX_RESPONSE = 1 << 16;
    private static final int CONNECT_TIMEOUT_MS = 5_000;
    private static final int READ_TIMEOUT_MS = 120_000;

    private final String host;
    private final int port;
    private Socket socket;
    private DataInputStream in;
    private DataOutputStream out;

    TcpTpmDevice(String host, int port) {
        this.host = host;
        this.port = port;
    }

    /** Connects, throwing instead of returning false. */
    void open() throws IOException {
        Socket s = new Socket();
        try {
            s.setTcpNoDelay(true);
            s.connect(new InetSocketAddress(host, port), CONNECT_TIMEOUT_MS);
            s.setSoTimeout(READ_TIMEOUT_MS);
            in = new DataInputStream(s.getInputStream());
            out = new DataOutputStream(s.getOutputStream());
            socket = s;
        } catch (IOException e) {
            s.close();
            throw e;
        }
    }

    /** Whether Nagle's algorithm is off on the socket (it must be: see the class comment). */
    boolean noDelay() throws IOException {
        return socket.getTcpNoDelay();
    }

    @Override
    public boolean connect() {
        try {
            open();
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public void dispatchCommand(byte[] command) {
        clearResponse();
        try {
            byte[] frame = new byte[9 + command.length];
            putInt(frame, 0, SEND_COMMAND);
            frame[4] = 0; // locality 0
            putInt(frame, 5, command.length);
            System.arraycopy(command, 0, frame, 9, command.length);
            out.write(frame);
            out.flush();
            int len = in.readInt();
            if (len < 10 || len > MAX_RESPONSE) {
                throw new IOException("TPM simulator sent a response of " + len + " bytes");
            }
            byte[] r = new byte[len];
            in.readFully(r);
            int ack = in.readInt();
            if (ack != 0) {
                throw new IOException("TPM simulator failed the command (acknowledgement " + ack + ")");
            }
            holdResponse(r);
        } catch (IOException e) {
            throw new UncheckedIOException("TPM simulator at " + host + ":" + port + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        Socket s = socket;
        socket = null;
        if (s == null) {
            return;
        }
        try {
            // Tell swtpm this client is done, so it accepts the next one at once.
            out.writeInt(SESSION_END);
            out.flush();
        } catch (IOException ignored) {
            // closing anyway
        }
        try {
            s.close();
        } catch (IOException ignored) {
            // nothing left to release
        }
    }

    private static void putInt(byte[] b, int at, int v) {
        b[at] = (byte) (v >>> 24);
        b[at + 1] = (byte) (v >>> 16);
        b[at + 2] = (byte) (v >>> 8);
        b[at + 3] = (byte) v;
    }

    @Override
    public String toString() {
        return "TPM simulator " + host + ":" + port;
    }
}
