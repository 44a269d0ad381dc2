package dev.cloudproxy.tao.launcher.apps;

import dev.cloudproxy.tao.TaoSealed;
import dev.cloudproxy.tao.TaoSealedState;
import java.io.IOException;
import java.util.Arrays;

/** Sealed fields of several types; each run prints them, then changes them and flushes. */
public final class SealedApp {
    @TaoSealed
    static int runs;
    @TaoSealed
    private static long total = 100;
    @TaoSealed
    static String note = "initial";
    @TaoSealed
    static byte[] bytes;
    @TaoSealed
    static Boolean flag;
    @TaoSealed
    static double ratio = 0.5;
    static int notSealed = 7;

    private SealedApp() {}

    public static void main(String[] args) throws IOException {
        System.out.println("runs=" + runs + " total=" + total + " note=" + note + " bytes=" + Arrays.toString(bytes)
                + " flag=" + flag + " ratio=" + ratio + " notSealed=" + notSealed);
        runs++;
        total += 10;
        note = args.length > 0 ? args[0] : "changed";
        bytes = new byte[] {(byte) runs, 2};
        flag = runs % 2 == 1;
        ratio = ratio * 3;
        notSealed++;
        if (args.length < 2 || !args[1].equals("no-flush")) {
            TaoSealedState.flush();
        }
    }
}
