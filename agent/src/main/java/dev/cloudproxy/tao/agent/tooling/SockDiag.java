package dev.cloudproxy.tao.agent.tooling;

import com.sun.jna.LastErrorException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * One TCP socket looked up by its four addresses with a {@code NETLINK_SOCK_DIAG} query: the
 * kernel finds it in its connection hash at once, where reading {@code /proc/self/net/tcp} walks
 * the whole table (about 4 ms each for {@code tcp} and {@code tcp6} on these machines, even when
 * nearly empty). Only loopback IPv4 connections, which is all the relay needs; an IPv6 socket
 * connected to an IPv4 address (v4-mapped) is found by the same query.
 */
final class SockDiag {
    /** The lookup could not be made (no netlink here): the caller falls back to /proc. */
    static final long UNAVAILABLE = -2;
    /** No such socket. */
    static final long NOT_FOUND = -1;

    private static final int AF_NETLINK = 16;
    private static final int AF_INET = 2;
    private static final int SOCK_DGRAM = 2;
    private static final int SOCK_CLOEXEC = 0x80000;
    private static final int NETLINK_SOCK_DIAG = 4;
    private static final int SOCK_DIAG_BY_FAMILY = 20;
    private static final int NLMSG_ERROR = 2;
    private static final int NLM_F_REQUEST = 1;
    private static final int IPPROTO_TCP = 6;
    private static final int MSG_DONTWAIT = 0x40;
    private static final int REQUEST_BYTES = 16 + 56;
    /** Offset of idiag_inode: nlmsghdr (16) + inet_diag_msg up to the inode (68). */
    private static final int INODE_AT = 16 + 68;
    private static final byte[] LOOPBACK = {127, 0, 0, 1};

    private SockDiag() {}

    /**
     * The inode of the TCP socket whose local address is 127.0.0.1:{@code localPort} and remote
     * 127.0.0.1:{@code remotePort}; {@link #NOT_FOUND} or {@link #UNAVAILABLE}.
     */
    static long inode(int localPort, int remotePort) {
        int fd;
        try {
            LibC.load();
            fd = LibC.socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
        } catch (LastErrorException | UnsatisfiedLinkError | NoClassDefFoundError e) {
            return UNAVAILABLE;
        }
        try {
            byte[] request = request(localPort, remotePort);
            if (LibC.send(fd, request, request.length, 0) != request.length) {
                return UNAVAILABLE;
            }
            // The kernel answers within send(); never wait for it.
            byte[] answer = new byte[8192];
            long n = LibC.recv(fd, answer, answer.length, MSG_DONTWAIT);
            return parse(answer, (int) Math.min(n, answer.length));
        } catch (LastErrorException e) {
            return UNAVAILABLE;
        } finally {
            try {
                LibC.close(fd);
            } catch (LastErrorException ignored) {
                // nothing to do
            }
        }
    }

    /** The request: nlmsghdr, then inet_diag_req_v2 naming one socket exactly. */
    static byte[] request(int localPort, int remotePort) {
        ByteBuffer b = ByteBuffer.allocate(REQUEST_BYTES).order(ByteOrder.nativeOrder());
        b.putInt(REQUEST_BYTES).putShort((short) SOCK_DIAG_BY_FAMILY).putShort((short) NLM_F_REQUEST)
                .putInt(1).putInt(0);
        b.put((byte) AF_INET).put((byte) IPPROTO_TCP).put((byte) 0).put((byte) 0).putInt(-1); // all states
        b.order(ByteOrder.BIG_ENDIAN).putShort((short) localPort).putShort((short) remotePort);
        b.put(LOOPBACK).put(new byte[12]).put(LOOPBACK).put(new byte[12]);
        b.order(ByteOrder.nativeOrder()).putInt(0).putInt(-1).putInt(-1); // any interface, no cookie
        return b.array();
    }

    /** The inode in an answer of {@code n} bytes, or {@link #NOT_FOUND}. */
    static long parse(byte[] answer, int n) {
        if (n < 16) {
            return NOT_FOUND;
        }
        ByteBuffer b = ByteBuffer.wrap(answer, 0, n).order(ByteOrder.nativeOrder());
        int length = b.getInt(0);
        int type = Short.toUnsignedInt(b.getShort(4));
        if (type == NLMSG_ERROR || type != SOCK_DIAG_BY_FAMILY || length < INODE_AT + 4 || length > n) {
            return NOT_FOUND; // no such socket (an error message), or not an answer we understand
        }
        return Integer.toUnsignedLong(b.getInt(INODE_AT));
    }
}
