package dev.cloudproxy.tao.host.unix;

/** The user this process runs as, from the kernel ({@code getuid}). */
public final class Users {
    private Users() {}

    /** This process's real user id. */
    public static long currentUid() {
        return Integer.toUnsignedLong(LibC.getuid());
    }
}
