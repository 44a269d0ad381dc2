package dev.cloudproxy.tao.launcher;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;

/**
 * The launcher's own hardening, through JNA: it holds the root's keys. Non-dumpable (no ptrace or
 * /proc/PID/mem by the same user) and no core files; the core limit is inherited by the app.
 */
final class ProcessHardening {
    private static final int PR_SET_DUMPABLE = 4;
    private static final int RLIMIT_CORE = 4;

    private ProcessHardening() {}

    /** Returns null on success, or what failed (no secret in it). */
    static String apply() {
        try {
            LibC.load();
            LibC.setrlimit(RLIMIT_CORE, new long[] {0, 0});
            LibC.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
            return null;
        } catch (LastErrorException e) {
            return "errno " + e.getErrorCode();
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            return e.getClass().getSimpleName();
        }
    }

    static final class LibC {
        private static boolean loaded;

        private LibC() {}

        static synchronized void load() {
            if (!loaded) {
                Native.register(LibC.class, NativeLibrary.getInstance(com.sun.jna.Platform.C_LIBRARY_NAME));
                loaded = true;
            }
        }

        static native int prctl(int option, long arg2, long arg3, long arg4, long arg5) throws LastErrorException;

        static native int setrlimit(int resource, long[] limit) throws LastErrorException;

        static final int F_SETFD = 2;
        static final int FD_CLOEXEC = 1;

        static native int fcntl(int fd, int cmd, int arg) throws LastErrorException;

        /** Returns only on failure. {@code argv} and {@code envp} are NULL-terminated ({@code StringArray}). */
        static native int execve(String path, Pointer argv, Pointer envp) throws LastErrorException;
    }
}
