package dev.cloudproxy.tao.host;

import dev.cloudproxy.tao.host.unix.Users;
import dev.cloudproxy.tao.io.AtomicFiles;
import dev.cloudproxy.tao.metrics.Metrics;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;

/**
 * A running host: the program socket (host RPC), the program runner and the admin socket over an
 * opened host directory, and the pid file, which is also the lock that keeps a second host from
 * running on the same directory. {@link #close} (or an admin shutdown) stops every program
 * first, then the sockets.
 */
public final class HostService implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(HostService.class.getName());

    private final OpenedHost opened;
    private final FileChannel pidChannel;
    private final FileLock pidLock;
    private final TaoRpcServer rpc;
    private final ProgramRunner runner;
    private final AdminServer admin;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final Object closeLock = new Object();
    private boolean closed;

    private HostService(OpenedHost opened, FileChannel pidChannel, FileLock pidLock, TaoRpcServer rpc,
            ProgramRunner runner, AdminServer admin) {
        this.opened = opened;
        this.pidChannel = pidChannel;
        this.pidLock = pidLock;
        this.rpc = rpc;
        this.runner = runner;
        this.admin = admin;
        rpc.metrics().gauge("tao_host_programs_running", "Programs this host runs now.", () -> runner.list().size());
    }

    /** The host's counters and gauges: its Tao RPC server's and its programs'. */
    public Metrics metrics() {
        return rpc.metrics();
    }

    /**
     * Starts serving {@code opened} with the default factories and the default users: each
     * program under its own user id if this process is root, else as this process's user
     * ({@link ProgramUsers#defaultFor}).
     */
    public static HostService start(OpenedHost opened) throws IOException, HostException {
        return start(opened, ProgramRunner.defaultFactories());
    }

    /** Starts serving {@code opened} with the default users ({@link ProgramUsers#defaultFor}). */
    public static HostService start(OpenedHost opened, List<ProgramFactory> factories)
            throws IOException, HostException {
        return start(opened, factories, defaultUsers());
    }

    /**
     * {@link ProgramUsers#defaultFor} this process's user.
     *
     * @throws HostException if this is a root host that cannot run programs under their own users
     */
    public static ProgramUsers defaultUsers() throws HostException {
        try {
            return ProgramUsers.defaultFor(Users.currentUid());
        } catch (IllegalStateException e) {
            throw new HostException(e.getMessage());
        }
    }

    /**
     * Starts serving {@code opened}, running programs as {@code users} says.
     *
     * @throws HostException if another host is running on the same directory, or (separate
     *     users) the table of program user ids is malformed ({@link ProgramUserTable#open})
     */
    public static HostService start(OpenedHost opened, List<ProgramFactory> factories, ProgramUsers users)
            throws IOException, HostException {
        return start(opened, factories, users, true);
    }

    /**
     * As {@link #start(OpenedHost, List, ProgramUsers)}; {@code mountStates} false gives programs
     * under their own users their state directory only as a descriptor (tests of hosts that may
     * not make mount namespaces).
     */
    static HostService start(OpenedHost opened, List<ProgramFactory> factories, ProgramUsers users,
            boolean mountStates) throws IOException, HostException {
        HostDirectory dir = opened.directory();
        FileChannel pid = FileChannel.open(dir.pidFile(), java.util.Set.of(StandardOpenOption.CREATE,
                StandardOpenOption.READ, StandardOpenOption.WRITE),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r--r--")));
        FileLock lock = null;
        TaoRpcServer rpc = null;
        try {
            try {
                lock = pid.tryLock();
            } catch (java.nio.channels.OverlappingFileLockException e) {
                lock = null; // this JVM runs a host there already
            }
            if (lock == null) {
                throw new HostException("a host is already running on " + dir.root() + " (pid "
                        + readPid(pid) + "); stop it with 'tao host stop'");
            }
            pid.truncate(0);
            pid.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
            pid.force(true);
            dev.cloudproxy.tao.io.AtomicFiles.deleteTree(dir.programs());
            AtomicFiles.createPrivateDirectories(dir.programs());
            HostedPrograms registry = new HostedPrograms();
            rpc = TaoRpcServer.start(dir.root(), opened.host(), registry);
            if (users.separate()) {
                // Programs under their own users connect through hard links in their private
                // directories; the host directory (0700) still keeps everyone else from this path.
                Files.setPosixFilePermissions(rpc.socketPath(), PosixFilePermissions.fromString("rw-rw-rw-"));
            }
            ProgramRunner runner = users.separate()
                    ? new ProgramRunner(opened.host(), registry, rpc.socketPath(), dir.programs(), opened.guard(),
                            factories, Optional.of(ProgramUserTable.open(dir, users)),
                            mountStates ? StateMount.probe() : Optional.empty())
                    : new ProgramRunner(opened.host(), registry, rpc.socketPath(), dir.programs(), opened.guard(),
                            factories);
            HostService[] self = new HostService[1];
            CountDownLatch ready = new CountDownLatch(1);
            AdminServer admin = AdminServer.start(dir.adminSocket(), runner, Users.currentUid(), () -> {
                awaitQuietly(ready);
                self[0].requestStop();
            });
            self[0] = new HostService(opened, pid, lock, rpc, runner, admin);
            ready.countDown();
            LOG.log(Level.INFO, "host " + opened.host().name() + " serving on " + dir.root());
            return self[0];
        } catch (IOException | HostException | RuntimeException e) {
            if (rpc != null) {
                rpc.close();
            }
            if (lock != null) {
                lock.release();
            }
            pid.close();
            throw e;
        }
    }

    private static String readPid(FileChannel ch) {
        try {
            ByteBuffer b = ByteBuffer.allocate(32);
            ch.read(b, 0);
            return new String(b.array(), 0, b.position(), StandardCharsets.US_ASCII).strip();
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static void awaitQuietly(CountDownLatch l) {
        try {
            l.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public OpenedHost opened() {
        return opened;
    }

    public ProgramRunner runner() {
        return runner;
    }

    /** The socket hosted programs reach the host on. */
    public java.nio.file.Path programSocket() {
        return rpc.socketPath();
    }

    public java.nio.file.Path adminSocket() {
        return admin.socketPath();
    }

    private void requestStop() {
        stopped.countDown();
    }

    /** Waits until an admin shutdown asks the host to stop (then call {@link #close}). */
    public void awaitShutdownRequest() throws InterruptedException {
        stopped.await();
    }

    /** Stops every program, closes both sockets, removes the pid file and the private copies. */
    @Override
    public void close() throws IOException {
        synchronized (closeLock) {
            if (closed) {
                return;
            }
            closed = true;
        }
        try {
            runner.shutdown(AdminServer.SHUTDOWN_GRACE);
            admin.close();
            rpc.close();
            dev.cloudproxy.tao.io.AtomicFiles.deleteTree(opened.directory().programs());
        } finally {
            Files.deleteIfExists(opened.directory().pidFile());
            pidLock.release();
            pidChannel.close();
            stopped.countDown();
            LOG.log(Level.INFO, "host " + opened.host().name() + " stopped");
        }
    }
}
