package dev.cloudproxy.tao.samples.plain;

import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * Prints {@code hello}, or with {@code --time} the wall-clock time at which {@code main} began, in
 * microseconds since the epoch (for benchmarks/launcher-startup.sh). No Tao code.
 */
public final class Hello {
    private Hello() {}

    public static void main(String[] args) {
        long now = ChronoUnit.MICROS.between(Instant.EPOCH, Instant.now());
        System.out.println(args.length > 0 && args[0].equals("--time") ? "main " + now : "hello");
    }
}
