package dev.cloudproxy.tao.launcher;

import java.lang.instrument.Instrumentation;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.net.URL;
import java.net.URLClassLoader;

/**
 * {@code Premain-Class} of {@code tao-launcher.jar}: {@code java -javaagent:tao-launcher.jar[=OPTIONS] ...}
 * (on the command line or in {@code JAVA_TOOL_OPTIONS}) makes this very process the launcher
 * running the same app, before any class of the app is loaded.
 *
 * <p>Guarantee: the app never runs in this JVM. {@code premain} either replaces the process
 * ({@code execve}: same pid, standard streams and working directory, so a service manager keeps
 * tracking it and sees the app's exit status) by the launcher's hardened JVM with the launcher's
 * command line for this java command ({@link JavaCommandLine}), or ends it with status 125 and one
 * line {@code tao-launcher: ...} ({@link Runtime#halt}: no shutdown hook). Only when the command
 * line starts the launcher itself does it return, and then without doing anything.
 *
 * <p>This class uses the JDK only and does nothing but load the rest of the launcher in a class
 * loader of its own, over the launcher jar with the platform loader as parent: the JVM loads this
 * class through the system class loader, which looks at the app's class path first, and the app's
 * class path may hold its own JNA or BouncyCastle. So no class of the app is loaded, let alone
 * initialized, by the re-execution. (A class of the app's class path named exactly like this one
 * would be loaded instead of it; the JVM has no way for an agent to prevent that. It would then
 * run with no Tao name and no channels, which its Tao peers refuse.)
 */
public final class LauncherAgent {
    private static final String ENTRY = "dev.cloudproxy.tao.launcher.AgentRestart";

    private LauncherAgent() {}

    public static void premain(String options, Instrumentation inst) {
        premain(options);
    }

    public static void premain(String options) {
        try {
            URL jar = LauncherAgent.class.getProtectionDomain().getCodeSource().getLocation();
            URLClassLoader isolated = new URLClassLoader("tao-launcher", new URL[] {jar}, ClassLoader.getPlatformClassLoader());
            MethodHandle restart = MethodHandles.publicLookup().findStatic(Class.forName(ENTRY, true, isolated),
                    "restart", MethodType.methodType(void.class, String.class));
            String given = options == null ? "" : options; // typed, for invokeExact's (String)void
            restart.invokeExact(given);
            // Returned: this JVM is the launcher itself, which hardens itself. The loader stays
            // open: closing it would break classes it has loaded and may still be asked for.
        } catch (Throwable t) {
            System.err.println("tao-launcher: cannot restart this JVM as the launcher: " + t.getClass().getName());
            System.err.flush();
            Runtime.getRuntime().halt(Main.LAUNCHER_FAILED);
        }
    }
}
