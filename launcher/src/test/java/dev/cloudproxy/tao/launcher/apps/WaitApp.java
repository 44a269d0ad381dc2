package dev.cloudproxy.tao.launcher.apps;

import java.util.concurrent.CountDownLatch;

/** Prints {@code ready}, then waits until it is stopped; its shutdown hook prints {@code stopping}. */
public final class WaitApp {
    private WaitApp() {}

    public static void main(String[] args) throws InterruptedException {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("stopping");
            System.out.flush();
        }));
        System.out.println("ready");
        System.out.flush();
        new CountDownLatch(1).await();
    }
}
