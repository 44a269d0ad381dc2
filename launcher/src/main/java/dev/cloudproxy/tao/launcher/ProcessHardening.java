package dev.cloudproxy.tao.launcher;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;

/**
 * The launcher's own hardening, through JNA: it holds the root's keys. Non-dumpable (no ptrace or
 * /proc/PID/mem by the same user) and no core files; the core limit is inherited by the app.
 */
final class ProcessHardening {
    private static final int PR_SET_DUMPABLE = 4;
    private static final int RLIMIT_CORE = 4;

    private ProcessHardening() {}

    /** Best effort for the launcher itself; a failure is reported, not fatal (the app hardens itself). */
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
                Native.register(LibC.class, NativeLibrary.getInstance("c"));
                loaded = true;
            }
        }

        static native int prctl(int option, long arg2, long arg3, long arg4, long arg5) throws LastErrorException;

        static native int setrlimit(int resource, long[] limit) throws LastErrorException;
    }
}
