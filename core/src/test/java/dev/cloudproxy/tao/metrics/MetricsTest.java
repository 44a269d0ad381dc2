package dev.cloudproxy.tao.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** {@link Metrics} in the Prometheus text format, and {@link MetricsEndpoint} over HTTP. */
class MetricsTest {

    @Test
    void write_countersAndGauges_inTheTextFormat() {
        Metrics m = new Metrics();
        Metrics.Counter calls = m.counter("tao_calls_total", "Calls, by method.", "method");
        Metrics.Counter plain = m.counter("tao_plain_total", "A counter without labels.");
        AtomicInteger open = new AtomicInteger(3);
        m.gauge("tao_open", "Open things.", open::get);
        calls.inc("seal");
        calls.inc("seal");
        calls.add(5, "attest");
        plain.inc();

        assertThat(m.text()).isEqualTo("""
                # HELP tao_calls_total Calls, by method.
                # TYPE tao_calls_total counter
                tao_calls_total{method="attest"} 5
                tao_calls_total{method="seal"} 2
                # HELP tao_plain_total A counter without labels.
                # TYPE tao_plain_total counter
                tao_plain_total 1
                # HELP tao_open Open things.
                # TYPE tao_open gauge
                tao_open 3
                """);
        assertThat(calls.value("seal")).isEqualTo(2);
        assertThat(calls.value("unseal")).isZero();
    }

    @Test
    void write_labelValuesAndHelp_areEscaped() {
        Metrics m = new Metrics();
        m.counter("x_total", "line one\nback\\slash", "reason").inc("say \"no\"\n\\");

        assertThat(m.text()).contains("# HELP x_total line one\\nback\\\\slash\n")
                .contains("x_total{reason=\"say \\\"no\\\"\\n\\\\\"} 1\n");
    }

    @Test
    void inc_moreDistinctLabelValuesThanTheBound_areCountedTogether() {
        Metrics m = new Metrics();
        Metrics.Counter c = m.counter("flood_total", "Made-up label values.", "v");
        for (int i = 0; i < 10_000; i++) {
            c.inc("value-" + i);
        }

        assertThat(m.text().lines().filter(l -> l.startsWith("flood_total{"))).hasSize(Metrics.MAX_SERIES_PER_COUNTER + 1);
        assertThat(c.value(Metrics.OTHER)).isEqualTo(10_000 - Metrics.MAX_SERIES_PER_COUNTER);
    }

    @Test
    void gauge_thatThrows_isWrittenAsNaN_andTheRestStillWritten() {
        Metrics m = new Metrics();
        m.gauge("broken", "Throws.", () -> {
            throw new IllegalStateException("gone");
        });
        m.gauge("fine", "Works.", () -> 1.5);

        assertThat(m.text()).contains("broken NaN\n").contains("fine 1.5\n");
    }

    @Test
    void register_badOrRepeatedNames_orWrongLabelCount_areRefused() {
        Metrics m = new Metrics();
        m.counter("ok_total", "fine", "a");
        assertThatThrownBy(() -> m.counter("ok_total", "again")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> m.counter("1bad", "digit first")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> m.counter("bad-name", "dash")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> m.counter("l_total", "label", "__reserved")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> m.gauge("g", "null", null)).isInstanceOf(NullPointerException.class);
        Metrics.Counter c = m.counter("two_total", "two labels", "a", "b");
        assertThatThrownBy(() -> c.inc("only-one")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> c.add(-1, "x", "y")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void endpoint_servesMetricsAtItsPathOnly_andOnlyToGetAndHead() throws Exception {
        Metrics m = new Metrics();
        m.counter("served_total", "Served.").inc();
        try (MetricsEndpoint e = MetricsEndpoint.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), m)) {
            HttpClient http = HttpClient.newHttpClient();
            String base = "http://127.0.0.1:" + e.address().getPort();

            HttpResponse<String> ok = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(ok.statusCode()).isEqualTo(200);
            assertThat(ok.headers().firstValue("Content-Type")).contains(MetricsEndpoint.CONTENT_TYPE);
            assertThat(ok.body()).contains("served_total 1\n");

            assertThat(http.send(HttpRequest.newBuilder(URI.create(base + "/other")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(404);
            HttpResponse<String> post = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics"))
                    .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(post.statusCode()).isEqualTo(405);
            assertThat(post.headers().firstValue("Allow")).contains("GET, HEAD");
            assertThat(http.send(HttpRequest.newBuilder(URI.create(base + "/metrics"))
                    .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString())
                    .statusCode()).isEqualTo(200);
        }
    }
}
