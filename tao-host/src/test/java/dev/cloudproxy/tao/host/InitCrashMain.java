package dev.cloudproxy.tao.host;

import java.nio.file.Path;
import java.util.Optional;

/**
 * Runs {@code HostSetup.initRoot} in its own JVM and kills that JVM (no shutdown hooks, no
 * cleanup: as {@code kill -9} would) when init reaches the step named by the second argument.
 * Exits 0 if init finished without reaching it.
 */
public final class InitCrashMain {
    /** The exit status of a halt at the chosen step. */
    static final int HALTED = 86;

    private InitCrashMain() {}

    public static void main(String[] args) throws Exception {
        String crashAt = args[1];
        HostSetup.stepHook = step -> {
            if (step.equals(crashAt)) {
                Runtime.getRuntime().halt(HALTED);
            }
        };
        HostSetup.initRoot(new HostDirectory(Path.of(args[0])), TestHosts.PASSWORD, Optional.empty(), TestHosts.CHEAP);
    }
}
