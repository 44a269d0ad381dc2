package dev.cloudproxy.tao.agent.tooling;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Whether a loopback TCP connection comes from a socket of this very process: the relay serves
 * only the app it lives in, so that another local process cannot reach the app's peers with the
 * app's identity. The kernel gives the inode of the socket whose local port is the client's and
 * whose remote port is the relay's (a {@link SockDiag} query; where netlink is unavailable, its
 * socket tables {@code /proc/self/net/tcp} and {@code tcp6}); the socket is ours if one of
 * {@code /proc/self/fd} links to it.
 */
final class OwnSockets {
    private static final int MAX_TABLE_BYTES = 64 << 20;

    private OwnSockets() {}

    /** Whether the connection from loopback port {@code clientPort} to {@code relayPort} is this process's. */
    static boolean isOurs(int clientPort, int relayPort) throws IOException {
        long inode = SockDiag.inode(clientPort, relayPort);
        if (inode == SockDiag.UNAVAILABLE) {
            inode = procInode(clientPort, relayPort);
        }
        if (inode <= 0) {
            return false;
        }
        String target = "socket:[" + inode + "]";
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc/self/fd"))) {
            for (Path fd : fds) {
                try {
                    if (Files.readSymbolicLink(fd).toString().equals(target)) {
                        return true;
                    }
                } catch (NoSuchFileException | java.nio.file.NotLinkException closedMeanwhile) {
                    // a descriptor closed while we looked: not the one
                }
            }
        }
        return false;
    }

    /** The same inode from the kernel's socket tables in /proc (slow: each read walks the whole table). */
    static long procInode(int clientPort, int relayPort) throws IOException {
        String local = String.format(":%04X", clientPort);
        String remote = String.format(":%04X", relayPort);
        for (String table : new String[] {"/proc/self/net/tcp", "/proc/self/net/tcp6"}) {
            byte[] raw;
            try {
                raw = Files.readAllBytes(Path.of(table));
            } catch (NoSuchFileException e) {
                continue;
            }
            if (raw.length > MAX_TABLE_BYTES) {
                throw new IOException(table + " is unexpectedly large");
            }
            long found = find(new String(raw, StandardCharsets.US_ASCII), local, remote);
            if (found > 0) {
                return found;
            }
        }
        return -1;
    }

    /** The inode of the row whose local address ends in {@code local} and remote in {@code remote}. */
    static long find(String table, String local, String remote) {
        for (String line : table.split("\n")) {
            String[] f = line.strip().split("\\s+");
            // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ...
            if (f.length > 9 && f[1].endsWith(local) && f[2].endsWith(remote) && isLoopback(f[1]) && isLoopback(f[2])) {
                try {
                    return Long.parseLong(f[9]);
                } catch (NumberFormatException e) {
                    return -1;
                }
            }
        }
        return -1;
    }

    /** 127.0.0.0/8 (hex, little-endian in the kernel's tables), ::1 or ::ffff:127.x.x.x. */
    private static boolean isLoopback(String hostPort) {
        String host = hostPort.substring(0, hostPort.indexOf(':'));
        if (host.length() == 8) {
            return host.endsWith("7F");
        }
        return host.equals("00000000000000000000000001000000")
                || (host.startsWith("0000000000000000FFFF0000") && host.endsWith("7F"));
    }
}
