package dev.cloudproxy.tao.agent.tooling;

import java.io.PrintStream;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The agent's lines on the app's standard error. {@link #info} lines describe the agent's setup
 * (relay ports and the like) and are printed only when the launcher runs with {@code -v}.
 * {@link #print} lines are about connections it refused or could not carry, printed always and
 * rate-limited: at most {@link #BURST} lines per {@link #WINDOW_NANOS} window, the rest counted
 * and their number said with the next line printed. A peer that opens connections as fast as it
 * can (a scanner, a client in a retry loop) must not flood the app's log, nor cost the app more
 * than a counter per connection. One limit for all such lines, so its state stays a few fields
 * however many peers there are. Thread-safe.
 */
final class AgentLines {
    static final int BURST = 10;
    static final long WINDOW_NANOS = 10_000_000_000L;
    private static final int MAX_DETAIL_CHARS = 2000; // a principal name alone can take 500

    /** The agent's own lines on {@code System.err} (whichever stream it is at the time: the app may replace it). */
    static final AgentLines STDERR = new AgentLines(() -> System.err, System::nanoTime, false);

    private final Supplier<PrintStream> err;
    private final LongSupplier nanoTime;
    private final boolean verbose;
    private long windowStart;
    private int printed;
    private long suppressed;

    AgentLines(PrintStream err, LongSupplier nanoTime) {
        this(() -> err, nanoTime, false);
    }

    AgentLines(PrintStream err, LongSupplier nanoTime, boolean verbose) {
        this(() -> err, nanoTime, verbose);
    }

    /** With {@code verbose}, {@link #info} lines are printed too. */
    AgentLines(Supplier<PrintStream> err, LongSupplier nanoTime, boolean verbose) {
        this.err = err;
        this.nanoTime = nanoTime;
        this.verbose = verbose;
        this.windowStart = nanoTime.getAsLong();
    }

    boolean verbose() {
        return verbose;
    }

    /**
     * Prints {@code line} if verbose, unlimited: these come from the agent's own setup (at most
     * one per rule, relay listener and certificate), not from peers.
     */
    void info(String line) {
        if (verbose) {
            synchronized (this) {
                PrintStream out = err.get();
                out.println(line);
                out.flush();
            }
        }
    }

    /** Prints {@code line} unless this window's lines are used up; then only counts it. */
    void print(String line) {
        String more = null;
        synchronized (this) {
            long now = nanoTime.getAsLong();
            if (now - windowStart >= WINDOW_NANOS) {
                windowStart = now;
                printed = 0;
            }
            if (printed >= BURST) {
                suppressed++;
                return;
            }
            printed++;
            if (suppressed > 0) {
                more = "tao-agent: (" + suppressed + " more such lines were not shown: at most " + BURST + " every "
                        + WINDOW_NANOS / 1_000_000_000L + " s)";
                suppressed = 0;
            }
            PrintStream out = err.get();
            if (more != null) {
                out.println(more);
            }
            out.println(line);
            out.flush();
        }
    }

    /**
     * An exception's message for one of these lines: one line, bounded, or the exception's type
     * when it has none (an EOF says nothing otherwise). Messages of network and TLS failures carry
     * addresses, alerts and certificate names, never key material.
     */
    static String detail(Throwable e) {
        String m = e.getMessage();
        String text = m == null || m.isBlank() ? e.getClass().getSimpleName() : m;
        StringBuilder out = new StringBuilder();
        text.codePoints().limit(MAX_DETAIL_CHARS).forEach(cp -> out.appendCodePoint(Character.isISOControl(cp) ? ' ' : cp));
        return text.length() > MAX_DETAIL_CHARS ? out.append("...").toString() : out.toString();
    }
}
