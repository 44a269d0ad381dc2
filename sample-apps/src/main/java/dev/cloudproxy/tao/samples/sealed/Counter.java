package dev.cloudproxy.tao.samples.sealed;

import dev.cloudproxy.tao.TaoSealed;
import dev.cloudproxy.tao.TaoSealedState;
import java.io.IOException;

/**
 * Counts its own runs in a sealed static field and prints {@code run N}. Under the launcher the
 * count survives restarts; a changed jar cannot read it.
 */
public final class Counter {
    @TaoSealed
    private static int runs;

    @TaoSealed
    private static String last = "never";

    private Counter() {}

    public static void main(String[] args) throws IOException {
        runs++;
        System.out.println("run " + runs + " (previous: " + last + ")");
        last = args.length > 0 ? args[0] : "run " + runs;
        TaoSealedState.flush();
    }
}
