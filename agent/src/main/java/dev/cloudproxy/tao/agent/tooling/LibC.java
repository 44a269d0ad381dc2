package dev.cloudproxy.tao.agent.tooling;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;

/**
 * The few C library calls the agent makes (JNA direct mapping): {@code prctl} for {@link
 * Hardening}, and a netlink socket for {@link SockDiag}. {@link Hardening#makeNonDumpable} loads
 * it first, into the run's private directory; later {@link #load()} calls find it loaded.
 */
final class LibC {
    private static boolean loaded;

    private LibC() {}

    static synchronized void load() {
        if (!loaded) {
            Native.register(LibC.class, NativeLibrary.getInstance("c"));
            loaded = true;
        }
    }

    static native int prctl(int option, long arg2, long arg3, long arg4, long arg5) throws LastErrorException;

    static native int socket(int domain, int type, int protocol) throws LastErrorException;

    static native long send(int fd, byte[] buf, long len, int flags) throws LastErrorException;

    static native long recv(int fd, byte[] buf, long len, int flags) throws LastErrorException;

    static native int close(int fd) throws LastErrorException;
}
