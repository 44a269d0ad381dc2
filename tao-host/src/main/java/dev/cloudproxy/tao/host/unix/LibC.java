package dev.cloudproxy.tao.host.unix;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.NativeLong;
import com.sun.jna.Pointer;

/**
 * The few Linux system calls the host's sockets and sealed program copies need, through JNA direct mapping. Constants are
 * Linux's (the same on x86-64 and AArch64). Each call throws {@link LastErrorException} with the
 * errno when it fails.
 */
final class LibC {
    static final int AF_UNIX = 1;
    static final int SOCK_STREAM = 1;
    static final int SOCK_CLOEXEC = 0x80000;
    static final int SOL_SOCKET = 1;
    static final int SO_PEERCRED = 17;
    static final int SHUT_RDWR = 2;
    static final int MSG_NOSIGNAL = 0x4000;
    static final int POLLIN = 0x1;
    /** sizeof(struct pollfd): an int descriptor, short events, short revents. */
    static final int POLLFD_BYTES = 8;

    static final int MFD_CLOEXEC = 0x1;
    static final int MFD_ALLOW_SEALING = 0x2;
    static final int F_ADD_SEALS = 1033;
    static final int F_GET_SEALS = 1034;
    static final int F_SEAL_SEAL = 0x1;
    static final int F_SEAL_SHRINK = 0x2;
    static final int F_SEAL_GROW = 0x4;
    static final int F_SEAL_WRITE = 0x8;
    static final int O_RDONLY = 0;
    static final int O_CLOEXEC = 0x80000;

    static final int EINTR = 4;
    static final int EAGAIN = 11;
    static final int ECONNABORTED = 103;

    /** sizeof(struct sockaddr_un): a 2-byte family and a 108-byte path. */
    static final int SOCKADDR_UN_BYTES = 110;
    static final int SUN_PATH_BYTES = 108;
    /** sizeof(struct ucred): pid, uid, gid, 4 bytes each. */
    static final int UCRED_BYTES = 12;

    static {
        Native.register(LibC.class, NativeLibrary.getInstance("c"));
    }

    private LibC() {}

    static native int socket(int domain, int type, int protocol) throws LastErrorException;

    static native int bind(int fd, Pointer addr, int addrlen) throws LastErrorException;

    static native int listen(int fd, int backlog) throws LastErrorException;

    static native int accept4(int fd, Pointer addr, Pointer addrlen, int flags) throws LastErrorException;

    static native int getsockopt(int fd, int level, int name, Pointer value, Pointer len) throws LastErrorException;

    static native NativeLong read(int fd, Pointer buf, NativeLong count) throws LastErrorException;

    static native NativeLong send(int fd, Pointer buf, NativeLong count, int flags) throws LastErrorException;

    static native int poll(Pointer fds, NativeLong nfds, int timeoutMillis) throws LastErrorException;

    static native int shutdown(int fd, int how) throws LastErrorException;

    static native int close(int fd) throws LastErrorException;

    static native int getuid();

    static native int memfd_create(String name, int flags) throws LastErrorException;

    static native int fcntl(int fd, int cmd, int arg) throws LastErrorException;

    static native int open(String path, int flags) throws LastErrorException;

    static native NativeLong write(int fd, Pointer buf, NativeLong count) throws LastErrorException;

    static native int fchmod(int fd, int mode) throws LastErrorException;

    static native int lchown(String path, int uid, int gid) throws LastErrorException;
}
