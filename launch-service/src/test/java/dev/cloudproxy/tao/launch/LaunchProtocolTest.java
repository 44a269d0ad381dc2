package dev.cloudproxy.tao.launch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cloudproxy.tao.launch.LaunchProtocol.ProtocolException;
import dev.cloudproxy.tao.launch.LaunchProtocol.Request;
import dev.cloudproxy.tao.launch.LaunchProtocol.Response;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class LaunchProtocolTest {
    @Test
    void request_roundTrips() throws Exception {
        byte[] nonce = new byte[32];
        nonce[3] = 9;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        LaunchProtocol.write(out, LaunchProtocol.encode(new Request("hello", nonce, List.of("a", "b"))));

        Request r = LaunchProtocol.decodeRequest(LaunchProtocol.read(new ByteArrayInputStream(out.toByteArray()),
                LaunchProtocol.MAX_REQUEST_BYTES));

        assertThat(r.name()).isEqualTo("hello");
        assertThat(r.nonce()).isEqualTo(nonce);
        assertThat(r.args()).containsExactly("a", "b");
    }

    @Test
    void response_resultAndRefusal_roundTrip() throws Exception {
        Response ok = LaunchProtocol.decodeResponse(LaunchProtocol.encode(
                new Response(new byte[] {1}, new byte[] {2}, new byte[] {3}, null)));
        Response no = LaunchProtocol.decodeResponse(LaunchProtocol.encode(Response.refused("why")));

        assertThat(ok.refusal()).isNull();
        assertThat(ok.output()).containsExactly(1);
        assertThat(ok.record()).containsExactly(2);
        assertThat(ok.hostCertificate()).containsExactly(3);
        assertThat(no.refusal()).isEqualTo("why");
    }

    @Test
    void read_frameOverTheBound_isRefusedBeforeReadingIt() {
        byte[] header = {0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff};

        ProtocolException e = assertThrows(ProtocolException.class, () -> LaunchProtocol.read(
                new ByteArrayInputStream(header), LaunchProtocol.MAX_REQUEST_BYTES));
        assertThat(e).hasMessageContaining("over the bound");
    }

    @Test
    void read_truncatedFrame_isRefused() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        LaunchProtocol.write(out, LaunchProtocol.encode(new Request("hello", new byte[32], List.of())));
        byte[] whole = out.toByteArray();
        for (int n = 0; n < whole.length; n++) {
            byte[] cut = Arrays.copyOf(whole, n);
            assertThrows(ProtocolException.class, () -> LaunchProtocol.decodeRequest(LaunchProtocol.read(
                    new ByteArrayInputStream(cut), LaunchProtocol.MAX_REQUEST_BYTES)), "cut at " + n);
        }
    }

    @Test
    void decode_otherMessagesAndGarbage_areRefused() {
        assertThrows(ProtocolException.class, () -> LaunchProtocol.decodeRequest(
                LaunchProtocol.encode(Response.refused("x"))));
        assertThrows(ProtocolException.class, () -> LaunchProtocol.decodeResponse(new byte[] {7, 0}));
        assertThrows(ProtocolException.class, () -> LaunchProtocol.decodeRequest(new byte[0]));
    }
}
