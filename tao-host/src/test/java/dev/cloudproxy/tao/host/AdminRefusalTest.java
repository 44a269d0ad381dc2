package dev.cloudproxy.tao.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.cloudproxy.tao.host.unix.Users;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A caller that is neither the owner nor root is refused by the admin socket on its kernel
 * credentials. Needs root (to run the caller as another user with setpriv): the owner is then
 * root, and the caller user 65534. The socket is deliberately put where that user can reach it,
 * to test the credential check itself rather than the directory's permissions.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class AdminRefusalTest {
    private static final Path SETPRIV = Path.of("/usr/bin/setpriv");
    private static final Path PYTHON = Path.of("/usr/bin/python3");

    @TempDir
    Path temp;

    @Test
    void callerOfAnotherUser_isRefusedWithAMessageNamingBothUsers() throws Exception {
        // Only root can play another user; CI runs the suite as root and as an ordinary user.
        assumeTrue(Users.currentUid() == 0, "needs root to connect as another user (runs in CI's root pass)");
        if (!Files.isExecutable(SETPRIV) || !Files.isExecutable(PYTHON)) {
            throw new AssertionError("this test needs " + SETPRIV + " and " + PYTHON
                    + ": install them (Debian/Ubuntu: apt-get install -y util-linux python3) and run again");
        }
        Path open = Files.createDirectory(temp.resolve("open"));
        Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rwx--x--x"));
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));
        try (OpenedHost opened = TestHosts.root(temp.resolve("host"))) {
            ProgramRunner runner = new ProgramRunner(opened.host(), new HostedPrograms(), temp.resolve("rpc.sock"),
                    temp.resolve("scratch"), opened.guard(), ProgramRunner.defaultFactories());
            try (AdminServer server = AdminServer.start(open.resolve("admin.sock"), runner, 0, () -> { })) {
                Files.setPosixFilePermissions(server.socketPath(), PosixFilePermissions.fromString("rwxrwxrwx"));
                String client = "import socket,struct,sys\n"
                        + "s=socket.socket(socket.AF_UNIX)\ns.connect(sys.argv[1])\n"
                        + "n=struct.unpack('>i',s.recv(4,socket.MSG_WAITALL))[0]\n"
                        + "sys.stdout.buffer.write(s.recv(n,socket.MSG_WAITALL))\n"
                        + "print()\nprint('closed' if s.recv(1)==b'' else 'open')\n";
                Process p = new ProcessBuilder(List.of(SETPRIV.toString(), "--reuid=65534", "--regid=65534",
                        "--clear-groups", PYTHON.toString(), "-c", client, server.socketPath().toString()))
                        .redirectErrorStream(true).start();
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
                assertThat(p.waitFor()).as(out).isZero();
                assertThat(out).contains("user 65534 may not administer this Tao host: only its owner (user 0) or root may")
                        .endsWith("closed\n");
            }
        }
    }
}
