package dev.cloudproxy.tao.channel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.InetAddress;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/** The other side of a channel test, on its own threads; closing it stops them. */
final class Tasks implements AutoCloseable {
    private final ExecutorService executor = Executors.newCachedThreadPool();

    <T> Future<T> async(Callable<T> task) {
        return executor.submit(task);
    }

    static <T> T await(Future<T> f) throws Exception {
        return f.get(20, TimeUnit.SECONDS);
    }

    /** The exception a task threw, which must be of {@code type}. */
    static <X extends Throwable> X failureOf(Future<?> f, Class<X> type) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(20, TimeUnit.SECONDS));
        assertThat(e.getCause()).isInstanceOf(type);
        return type.cast(e.getCause());
    }

    /** The loopback address as text, for {@code dial}. */
    static String host() {
        return InetAddress.getLoopbackAddress().getHostAddress();
    }

    @Override
    public void close() throws InterruptedException {
        executor.shutdownNow();
        assertThat(executor.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
    }
}
