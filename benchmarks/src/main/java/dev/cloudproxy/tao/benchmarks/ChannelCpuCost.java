package dev.cloudproxy.tao.benchmarks;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * CPU time per channel operation, on the client's and the servers' threads, for the operations of
 * {@link ChannelBenchmark}. Wall-clock latency on a shared 2-core machine depends on what else
 * runs; the CPU time a handshake costs much less, so this gives usable ratios when the machine is
 * not quiet. Rounds alternate the variants, so a burst of load hits all of them.
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar dev.cloudproxy.tao.benchmarks.ChannelCpuCost [ops] [rounds]</pre>
 */
public final class ChannelCpuCost {
    private ChannelCpuCost() {}

    @FunctionalInterface
    private interface Op {
        Object run() throws Exception;
    }

    public static void main(String[] args) throws Exception {
        int ops = args.length > 0 ? Integer.parseInt(args[0]) : 300;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        ChannelBenchmark b = new ChannelBenchmark();
        b.setUp();
        try {
            Map<String, Op> variants = new LinkedHashMap<>();
            variants.put("setupFullTao", b::setupFullTao);
            variants.put("setupFullTaoJcaKey", b::setupFullTaoJcaKey);
            variants.put("setupFullJdk", b::setupFullJdk);
            variants.put("setupResumedTao", b::setupResumedTao);
            variants.put("setupResumedJdk", b::setupResumedJdk);
            variants.put("setupFullAttested", b::setupFullAttested);
            variants.put("setupPsk", b::setupPsk);
            variants.put("bulk1MiBTao", b::bulk1MiBTao);
            variants.put("bulk1MiBPsk", b::bulk1MiBPsk);
            variants.put("bulk1MiBJdk", b::bulk1MiBJdk);
            ThreadMXBean mx = ManagementFactory.getThreadMXBean();
            Map<String, double[]> totals = new LinkedHashMap<>();
            for (int round = 0; round <= rounds; round++) {
                for (Map.Entry<String, Op> v : variants.entrySet()) {
                    long serverCpu0 = serverCpu(mx, b);
                    long clientCpu0 = mx.getCurrentThreadCpuTime();
                    long wall0 = System.nanoTime();
                    for (int i = 0; i < ops; i++) {
                        v.getValue().run();
                    }
                    long wall = System.nanoTime() - wall0;
                    long clientCpu = mx.getCurrentThreadCpuTime() - clientCpu0;
                    long serverCpu = serverCpu(mx, b) - serverCpu0;
                    if (round == 0) {
                        continue; // warm-up
                    }
                    double[] t = totals.computeIfAbsent(v.getKey(), k -> new double[3]);
                    t[0] += wall / 1e3 / ops;
                    t[1] += clientCpu / 1e3 / ops;
                    t[2] += serverCpu / 1e3 / ops;
                }
            }
            System.out.printf("%-20s %12s %12s %12s %12s%n", "operation", "wall us/op", "client cpu", "server cpu",
                    "total cpu");
            for (Map.Entry<String, double[]> e : totals.entrySet()) {
                double[] t = e.getValue();
                System.out.printf("%-20s %12.0f %12.0f %12.0f %12.0f%n", e.getKey(), t[0] / rounds, t[1] / rounds,
                        t[2] / rounds, (t[1] + t[2]) / rounds);
            }
        } finally {
            b.tearDown();
        }
    }

    @SuppressWarnings("deprecation") // Thread.threadId() is JDK 19+
    private static long serverCpu(ThreadMXBean mx, ChannelBenchmark b) {
        long sum = 0;
        for (Thread t : b.serverThreads()) {
            long c = mx.getThreadCpuTime(t.getId());
            if (c > 0) {
                sum += c;
            }
        }
        return sum;
    }
}
