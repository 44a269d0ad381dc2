package dev.cloudproxy.tao.domainservice;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Keeps a flood of failed connections from flooding the {@link AuditLog}: per source and per
 * interval, the first {@code linesPerSource} {@code bad-request} lines are written as they come,
 * and the rest are only counted, then written as one summary line when the interval ends
 * ({@link #flush}):
 *
 * <pre>
 * time TAB ADDR TAB bad-request TAB - TAB - TAB 4711 more bad requests from ADDR within 60 s, not logged one by one (the first: too many connections from this source (limit 8))
 * </pre>
 *
 * <p>So the log grows by at most {@code linesPerSource + 1} lines per source per interval however
 * many connections a source opens, and every dropped connection is still counted in it. At most
 * {@code maxSources} sources are tracked per interval; the others are counted together under
 * {@code *}. Decisions on requests that were read ({@code issued}, {@code refused}, {@code error})
 * are not throttled. Thread-safe.
 */
final class AuditThrottle {
    /** The source under which sources beyond the tracked ones are counted. */
    static final String OTHER_SOURCES = "*";

    private final AuditSink log;
    private final int linesPerSource;
    private final int maxSources;
    private final Duration interval;
    // Guarded by this: what each source did in the current interval.
    private final Map<String, Window> windows = new LinkedHashMap<>();

    private static final class Window {
        int written;
        long suppressed;
        String firstSuppressed;
    }

    AuditThrottle(AuditSink log, int linesPerSource, int maxSources, Duration interval) {
        this.log = Objects.requireNonNull(log, "log");
        this.interval = Objects.requireNonNull(interval, "interval");
        if (linesPerSource < 0 || maxSources < 1) {
            throw new IllegalArgumentException("need linesPerSource >= 0 and maxSources >= 1");
        }
        this.linesPerSource = linesPerSource;
        this.maxSources = maxSources;
    }

    /** The interval after which {@link #flush} is expected. */
    Duration interval() {
        return interval;
    }

    /**
     * A {@code bad-request} decision about a connection from {@code source} (the address, which
     * the limits count by) and {@code peer} (address and port): written, or counted for the
     * summary.
     *
     * @return null unless writing the line failed, then the failure
     */
    IOException badRequest(Instant time, String source, String peer, String reason) {
        synchronized (this) {
            Window w = windows.get(source);
            if (w == null) {
                if (windows.size() >= maxSources) {
                    source = OTHER_SOURCES;
                    w = windows.computeIfAbsent(source, s -> new Window());
                } else {
                    w = new Window();
                    windows.put(source, w);
                }
            }
            if (w.written >= linesPerSource) {
                if (w.suppressed++ == 0) {
                    w.firstSuppressed = reason;
                }
                return null;
            }
            w.written++;
        }
        return log.record(time, peer, AuditLog.Decision.BAD_REQUEST, null, null, reason);
    }

    /**
     * Ends the interval: writes one summary line per source whose lines were counted rather than
     * written, and starts counting afresh.
     *
     * @return null unless writing a line failed, then the (first) failure
     */
    IOException flush(Instant time) {
        List<Map.Entry<String, Window>> ended;
        synchronized (this) {
            ended = new ArrayList<>(windows.entrySet());
            windows.clear();
        }
        IOException failed = null;
        for (Map.Entry<String, Window> e : ended) {
            Window w = e.getValue();
            if (w.suppressed == 0) {
                continue;
            }
            String from = e.getKey().equals(OTHER_SOURCES) ? "other sources" : e.getKey();
            IOException f = log.record(time, e.getKey(), AuditLog.Decision.BAD_REQUEST, null, null,
                    w.suppressed + " more bad requests from " + from + " within " + interval.toSeconds()
                            + " s, not logged one by one (the first: " + w.firstSuppressed + ")");
            if (failed == null) {
                failed = f;
            }
        }
        return failed;
    }
}
