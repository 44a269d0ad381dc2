package dev.cloudproxy.tao.host.unix;

import com.sun.jna.LastErrorException;
import java.io.IOException;
import java.nio.file.Path;

/** Users and groups, from the kernel: who this process runs as, and who owns a file. */
public final class Users {
    private Users() {}

    /** This process's real user id. */
    public static long currentUid() {
        return Integer.toUnsignedLong(LibC.getuid());
    }

    /**
     * Makes {@code uid} and {@code gid} the owner and group of {@code path}, without following a
     * final symbolic link. Numeric ids need no {@code /etc/passwd} or {@code /etc/group} entry.
     *
     * @throws IOException if the kernel refuses (only root may give a file away)
     */
    public static void setOwner(Path path, long uid, long gid) throws IOException {
        try {
            LibC.lchown(path.toString(), (int) uid, (int) gid);
        } catch (LastErrorException e) {
            throw new IOException("cannot change the owner of " + path + " (errno " + e.getErrorCode() + ")");
        }
    }
}
