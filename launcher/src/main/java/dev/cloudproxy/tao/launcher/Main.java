package dev.cloudproxy.tao.launcher;

import java.util.List;

/** {@code java -jar tao-launcher.jar [options] app.jar [app args]}: see {@link LauncherOptions#USAGE}. */
public final class Main {
    /** The launcher's own failures (the app never ran, or was refused by the agent). */
    public static final int LAUNCHER_FAILED = 125;

    private Main() {}

    public static void main(String[] args) {
        try {
            // Before anything else, and before any key exists in this process: see HardenedJvm.
            HardenedJvm.ensure(args, System.getenv(), System.err);
        } catch (LauncherException e) {
            System.err.println("tao-launcher: " + e.getMessage());
            System.exit(LAUNCHER_FAILED);
        } catch (RuntimeException e) {
            System.err.println("tao-launcher: internal error while hardening the launcher: " + e.getClass().getName());
            System.exit(LAUNCHER_FAILED);
        }
        System.exit(run(args));
    }

    static int run(String[] args) {
        try {
            return Launch.run(List.of(args), System.getenv(), System.err);
        } catch (LauncherOptions.UsageRequested u) {
            System.out.println(LauncherOptions.USAGE);
            return 0;
        } catch (LauncherException e) {
            System.err.println("tao-launcher: " + e.getMessage());
            return LAUNCHER_FAILED;
        } catch (RuntimeException e) {
            // A bug, not a refusal: still one line and the launcher's status, never a stack trace
            // (which could show values from the launcher's frames to whoever reads the terminal).
            System.err.println("tao-launcher: internal error: " + e.getClass().getName());
            return LAUNCHER_FAILED;
        }
    }
}
