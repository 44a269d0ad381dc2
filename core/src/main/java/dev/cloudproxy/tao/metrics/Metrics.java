package dev.cloudproxy.tao.metrics;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.DoubleSupplier;
import java.util.regex.Pattern;

/**
 * One process's counters and gauges, written in the Prometheus text format (version 0.0.4) by
 * {@link #write}. A server keeps one and a {@link MetricsEndpoint} serves it.
 *
 * <p>Bounded whatever its callers see: a counter keeps at most {@link #MAX_SERIES_PER_COUNTER}
 * distinct label values; values beyond that are counted together under {@value #OTHER}, so a
 * client that makes up label values (a method number, a reason) cannot grow the process's memory.
 * Nothing secret belongs in a metric: names, label values and numbers are public. Thread-safe.
 */
public final class Metrics {
    /** Most distinct label-value combinations one counter keeps. */
    public static final int MAX_SERIES_PER_COUNTER = 64;
    /** The label value that counts every combination past the bound. */
    public static final String OTHER = "_other";

    private static final Pattern NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
    private static final Pattern LABEL = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");

    // Guarded by itself; registration order is the written order.
    private final Map<String, Family> families = new LinkedHashMap<>();

    private sealed interface Family permits Counter, Gauge {
        String help();

        void write(Appendable out, String name) throws IOException;
    }

    /**
     * Registers a counter.
     *
     * @param name a Prometheus metric name, conventionally ending in {@code _total}
     * @param labelNames the names of its labels, in the order {@link Counter#inc} takes their values
     * @throws IllegalArgumentException if a name is malformed or the metric is already registered
     */
    public Counter counter(String name, String help, String... labelNames) {
        for (String l : labelNames) {
            if (!LABEL.matcher(l).matches() || l.startsWith("__")) {
                throw new IllegalArgumentException("not a label name: " + l);
            }
        }
        Counter c = new Counter(help, List.of(labelNames));
        register(name, c);
        return c;
    }

    /**
     * Registers a gauge whose value is read from {@code value} at each {@link #write}.
     *
     * @throws IllegalArgumentException if the name is malformed or already registered
     */
    public void gauge(String name, String help, DoubleSupplier value) {
        register(name, new Gauge(help, Objects.requireNonNull(value, "value")));
    }

    private void register(String name, Family family) {
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("not a metric name: " + name);
        }
        synchronized (families) {
            if (families.putIfAbsent(name, family) != null) {
                throw new IllegalArgumentException("metric " + name + " is already registered");
            }
        }
    }

    /** Writes every metric in the Prometheus text format. */
    public void write(Appendable out) throws IOException {
        List<Map.Entry<String, Family>> all;
        synchronized (families) {
            all = new ArrayList<>(families.entrySet());
        }
        for (Map.Entry<String, Family> e : all) {
            Family f = e.getValue();
            out.append("# HELP ").append(e.getKey()).append(' ').append(escapeHelp(f.help())).append('\n');
            out.append("# TYPE ").append(e.getKey()).append(' ').append(f instanceof Counter ? "counter" : "gauge")
                    .append('\n');
            f.write(out, e.getKey());
        }
    }

    /** {@link #write} into a string. */
    public String text() {
        StringBuilder b = new StringBuilder();
        try {
            write(b);
        } catch (IOException e) {
            throw new IllegalStateException("a StringBuilder does not fail", e);
        }
        return b.toString();
    }

    private static String escapeHelp(String s) {
        return s.replace("\\", "\\\\").replace("\n", "\\n");
    }

    private static String escapeValue(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }

    private static String number(double v) {
        if (Double.isNaN(v)) {
            return "NaN";
        }
        if (Double.isInfinite(v)) {
            return v > 0 ? "+Inf" : "-Inf";
        }
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return Long.toString((long) v);
        }
        return Double.toString(v);
    }

    /** A monotonically increasing count, with labels. */
    public static final class Counter implements Family {
        private final String help;
        private final List<String> labelNames;
        private final Map<List<String>, LongAdder> series = new ConcurrentHashMap<>();
        private final List<String> overflow;

        private Counter(String help, List<String> labelNames) {
            this.help = Objects.requireNonNull(help, "help");
            this.labelNames = labelNames;
            this.overflow = java.util.Collections.nCopies(labelNames.size(), OTHER);
            if (labelNames.isEmpty()) {
                series.put(List.of(), new LongAdder());
            }
        }

        @Override
        public String help() {
            return help;
        }

        /** Adds one to the series of {@code labelValues} (one per label name). */
        public void inc(String... labelValues) {
            add(1, labelValues);
        }

        /** Adds {@code n} (not negative) to the series of {@code labelValues}. */
        public void add(long n, String... labelValues) {
            if (n < 0) {
                throw new IllegalArgumentException("a counter only grows");
            }
            if (labelValues.length != labelNames.size()) {
                throw new IllegalArgumentException("expected " + labelNames.size() + " label values");
            }
            List<String> key = List.of(labelValues);
            LongAdder a = series.get(key);
            if (a == null) {
                synchronized (series) {
                    a = series.get(key);
                    if (a == null) {
                        a = series.size() < MAX_SERIES_PER_COUNTER ? new LongAdder() : null;
                        if (a != null) {
                            series.put(key, a);
                        } else {
                            a = series.computeIfAbsent(overflow, k -> new LongAdder());
                        }
                    }
                }
            }
            a.add(n);
        }

        /** The count of {@code labelValues}'s series (0 if it has none). */
        public long value(String... labelValues) {
            LongAdder a = series.get(List.of(labelValues));
            return a == null ? 0 : a.sum();
        }

        @Override
        public void write(Appendable out, String name) throws IOException {
            List<Map.Entry<List<String>, LongAdder>> all = new ArrayList<>(series.entrySet());
            all.sort(Map.Entry.comparingByKey((x, y) -> String.join("\0", x).compareTo(String.join("\0", y))));
            for (Map.Entry<List<String>, LongAdder> s : all) {
                out.append(name);
                if (!labelNames.isEmpty()) {
                    out.append('{');
                    for (int i = 0; i < labelNames.size(); i++) {
                        out.append(i == 0 ? "" : ",").append(labelNames.get(i)).append("=\"")
                                .append(escapeValue(s.getKey().get(i))).append('"');
                    }
                    out.append('}');
                }
                out.append(' ').append(Long.toString(s.getValue().sum())).append('\n');
            }
        }
    }

    private record Gauge(String help, DoubleSupplier value) implements Family {
        @Override
        public void write(Appendable out, String name) throws IOException {
            double v;
            try {
                v = value.getAsDouble();
            } catch (RuntimeException e) {
                v = Double.NaN; // a gauge that cannot be read now says so; the scrape still works
            }
            out.append(name).append(' ').append(number(v)).append('\n');
        }
    }
}
