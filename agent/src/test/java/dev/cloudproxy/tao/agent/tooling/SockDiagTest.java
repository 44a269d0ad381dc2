package dev.cloudproxy.tao.agent.tooling;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SocketChannel;
import org.junit.jupiter.api.Test;

/** The netlink lookup finds the very socket the /proc tables name, for IPv4 and dual-stack sockets. */
class SockDiagTest {
    InetAddress lo = InetAddress.getByAddress(new byte[] {127, 0, 0, 1});

    SockDiagTest() throws Exception {}

    @Test
    void findsAnIpv4Socket_asTheProcTablesDo() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 5, lo);
                SocketChannel client = SocketChannel.open(StandardProtocolFamily.INET)) {
            client.connect(new InetSocketAddress(lo, server.getLocalPort()));
            int local = ((InetSocketAddress) client.getLocalAddress()).getPort();
            long inode = SockDiag.inode(local, server.getLocalPort());
            assertThat(inode).isPositive().isEqualTo(OwnSockets.procInode(local, server.getLocalPort()));
            assertThat(OwnSockets.isOurs(local, server.getLocalPort())).isTrue();
        }
    }

    @Test
    void findsADualStackSocketConnectedToIpv4() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 5, lo); Socket client = new Socket()) {
            client.connect(new InetSocketAddress(lo, server.getLocalPort()));
            long inode = SockDiag.inode(client.getLocalPort(), server.getLocalPort());
            assertThat(inode).isPositive().isEqualTo(OwnSockets.procInode(client.getLocalPort(), server.getLocalPort()));
        }
    }

    @Test
    void noSuchConnection_isNotFound() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 5, lo); Socket client = new Socket(lo, server.getLocalPort())) {
            assertThat(SockDiag.inode(client.getLocalPort(), server.getLocalPort() == 65535 ? 1 : server.getLocalPort() + 1))
                    .isEqualTo(SockDiag.NOT_FOUND);
        }
    }

    @Test
    void request_namesTheSocketExactly() {
        ByteBuffer b = ByteBuffer.wrap(SockDiag.request(0x1234, 0xabcd)).order(ByteOrder.nativeOrder());
        assertThat(b.capacity()).isEqualTo(72);
        assertThat(b.getInt(0)).isEqualTo(72);
        assertThat(b.getShort(4)).isEqualTo((short) 20);
        assertThat(b.get(16)).isEqualTo((byte) 2);  // AF_INET
        assertThat(b.get(17)).isEqualTo((byte) 6);  // TCP
        b.order(ByteOrder.BIG_ENDIAN);
        assertThat(Short.toUnsignedInt(b.getShort(24))).isEqualTo(0x1234);
        assertThat(Short.toUnsignedInt(b.getShort(26))).isEqualTo(0xabcd);
        assertThat(b.getInt(28)).isEqualTo(0x7f000001);
        assertThat(b.getInt(44)).isEqualTo(0x7f000001);
    }

    @Test
    void parse_malformedTruncatedOrErrorAnswers_areNotFound() {
        assertThat(SockDiag.parse(new byte[0], 0)).isEqualTo(SockDiag.NOT_FOUND);
        assertThat(SockDiag.parse(new byte[16], -1)).isEqualTo(SockDiag.NOT_FOUND);
        ByteBuffer good = ByteBuffer.allocate(88).order(ByteOrder.nativeOrder());
        good.putInt(0, 88).putShort(4, (short) 20).putInt(84, 4242);
        assertThat(SockDiag.parse(good.array(), 88)).isEqualTo(4242);
        assertThat(SockDiag.parse(good.array(), 87)).as("truncated").isEqualTo(SockDiag.NOT_FOUND);
        ByteBuffer error = ByteBuffer.allocate(88).order(ByteOrder.nativeOrder());
        error.putInt(0, 36).putShort(4, (short) 2).putInt(16, -2);
        assertThat(SockDiag.parse(error.array(), 36)).isEqualTo(SockDiag.NOT_FOUND);
        ByteBuffer oversized = ByteBuffer.allocate(88).order(ByteOrder.nativeOrder());
        oversized.putInt(0, 1 << 30).putShort(4, (short) 20);
        assertThat(SockDiag.parse(oversized.array(), 88)).isEqualTo(SockDiag.NOT_FOUND);
        ByteBuffer tiny = ByteBuffer.allocate(88).order(ByteOrder.nativeOrder());
        tiny.putInt(0, 20).putShort(4, (short) 20);
        assertThat(SockDiag.parse(tiny.array(), 88)).isEqualTo(SockDiag.NOT_FOUND);
    }
}
