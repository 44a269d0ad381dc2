package dev.cloudproxy.tao.host;

import java.io.IOException;

/** A JDK-only program that never hardens itself: prints its pid and java.home, then waits for input. */
public final class StdinWait {
    private StdinWait() {}

    public static void main(String[] args) throws IOException {
        System.out.println(ProcessHandle.current().pid() + " " + System.getProperty("java.home"));
        System.out.flush();
        System.in.read();
    }
}
