package dev.cloudproxy.tao.agent.tooling;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class AgentLinesTest {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final AtomicLong now = new AtomicLong(1_000);
    private final AgentLines lines = new AgentLines(new PrintStream(bytes, true, StandardCharsets.UTF_8), now::get);

    private String printed() {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void print_aFlood_printsABurstPerWindow_andThenHowManyWereNotShown() {
        for (int i = 0; i < 1000; i++) {
            lines.print("line " + i);
        }
        assertThat(printed().lines()).hasSize(AgentLines.BURST).first().isEqualTo("line 0");

        now.addAndGet(AgentLines.WINDOW_NANOS);
        lines.print("later");

        assertThat(printed().lines()).hasSize(AgentLines.BURST + 2).endsWith(
                "tao-agent: (" + (1000 - AgentLines.BURST) + " more such lines were not shown: at most "
                        + AgentLines.BURST + " every 10 s)",
                "later");
    }

    @Test
    void print_fewLines_allShown_withoutACount() {
        lines.print("a");
        lines.print("b");
        assertThat(printed()).isEqualTo("a\nb\n");
    }

    @Test
    void info_printedOnlyWhenVerbose_andNeverLimited() {
        for (int i = 0; i < 3 * AgentLines.BURST; i++) {
            lines.info("quiet");
        }
        assertThat(printed()).isEmpty();

        AgentLines verbose = new AgentLines(new PrintStream(bytes, true, StandardCharsets.UTF_8), now::get, true);
        for (int i = 0; i < 3 * AgentLines.BURST; i++) {
            verbose.info("setup " + i);
        }
        assertThat(printed().lines()).hasSize(3 * AgentLines.BURST);
    }

    @Test
    void detail_oneBoundedLine_orTheTypeWhenThereIsNoMessage() {
        assertThat(AgentLines.detail(new EOFException())).isEqualTo("EOFException");
        assertThat(AgentLines.detail(new IOException("two\nlines"))).isEqualTo("two lines");
        assertThat(AgentLines.detail(new IOException("x".repeat(10_000)))).hasSize(2003).endsWith("...");
    }
}
