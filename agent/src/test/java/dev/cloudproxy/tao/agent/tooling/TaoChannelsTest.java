package dev.cloudproxy.tao.agent.tooling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cloudproxy.tao.agent.rules.ChannelRule.Direction;
import dev.cloudproxy.tao.agent.rules.ChannelRules;
import java.io.FileDescriptor;
import java.net.BindException;
import java.net.ConnectException;
import java.net.InetAddress;
import org.junit.jupiter.api.Test;

/** Without credentials, nothing a TAO rule selects goes out or is served in plaintext. */
class TaoChannelsTest {
    @Test
    void unavailable_taoConnectsAndBinds_failClosed() throws Exception {
        ChannelRules rules = ChannelRules.parse("out 127.0.0.1 443 TAO; in 127.0.0.1 5000 TAO");
        InetAddress lo = InetAddress.getByName("127.0.0.1");
        TaoChannels none = TaoChannels.unavailable();

        ConnectException out = assertThrows(ConnectException.class,
                () -> none.routeOutgoing(lo, 443, rules.match(Direction.OUT, lo, 443)));
        BindException in = assertThrows(BindException.class,
                () -> none.routeIncoming(new FileDescriptor(), InetAddress.getByName("::"), 5000,
                        rules.select(Direction.IN, InetAddress.getByName("::"), 5000)));

        assertThat(out).hasMessageContaining("must be a Tao channel (rule 'out 127.0.0.1 443 TAO')")
                .hasMessageContaining("refused rather than sent in plaintext");
        assertThat(in).hasMessageContaining("must take Tao channels (rule 'in 127.0.0.1 5000 TAO')");
    }
}
