package dev.cloudproxy.tao.launcher;

import dev.cloudproxy.tao.TaoException;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.host.HostDirectory;
import dev.cloudproxy.tao.host.HostSetup;
import dev.cloudproxy.tao.host.OpenedHost;
import dev.cloudproxy.tao.io.AtomicFiles;
import dev.cloudproxy.tao.rpc.RpcTao;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;
import java.util.Set;

/**
 * Inside a host: the launcher is a stacked host on its parent Tao, with the host module's
 * {@link HostSetup#initStacked}/{@link HostSetup#openStacked}: its keys sealed by the parent to
 * the launcher's own name, and a fresh delegation from the parent at every start. The host
 * directory is {@code $TAO_HOME/launcher/stacked/<hash of the parent-given name>}, so each
 * launcher version (another name) has its own, and an app's name reads
 * {@code <host>.Jvm(launcher parts).LiberalGuard().Jvm(app parts)} (docs/measurement.md).
 */
final class StackedHost {
    private StackedHost() {}

    /** Opens (making it on first use) the launcher's stacked host under the parent at {@code socket}. */
    static OpenedHost open(TaoHome home, Path socket) throws LauncherException {
        try {
            RpcTao parent = RpcTao.connect(socket);
            Prin name = parent.getTaoName();
            HostDirectory dir = new HostDirectory(home.launcher().resolve("stacked").resolve(shortHash(name)));
            AtomicFiles.createPrivateDirectories(home.launcher().resolve("stacked"));
            try (FileChannel lockFile = FileChannel.open(home.launcher().resolve(".stacked.lock"),
                    Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE),
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                    FileLock lock = lockFile.lock()) {
                if (!java.nio.file.Files.exists(dir.config())) {
                    HostSetup.initStacked(dir, parent, "rpc:auto", Optional.empty());
                }
                return HostSetup.openStacked(dir, parent);
            }
        } catch (IOException | TaoException e) {
            throw new LauncherException("cannot run as a stacked host on the Tao host at " + socket + ": "
                    + e.getMessage(), e);
        }
    }

    private static String shortHash(Prin name) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(name.toString().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(h, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
