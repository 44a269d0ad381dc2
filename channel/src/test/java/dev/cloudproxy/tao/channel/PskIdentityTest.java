package dev.cloudproxy.tao.channel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cloudproxy.tao.auth.Prin;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class PskIdentityTest {
    private final TestGroupKeys host = new TestGroupKeys();
    private final Prin alice = host.program();
    private final Prin bob = host.program();

    @Test
    void decode_ofEncode_givesTheSameRolesAndNames() throws Exception {
        PskIdentity id = new PskIdentity(alice, bob);
        assertThat(PskIdentity.decode(id.encode())).isEqualTo(id);
        assertThat(id.encode()).isNotEqualTo(new PskIdentity(bob, alice).encode());
    }

    @Test
    void members_eitherRole_sameCanonicalOrder() {
        assertThat(new PskIdentity(alice, bob).members()).isEqualTo(new PskIdentity(bob, alice).members())
                .containsExactlyInAnyOrder(alice, bob);
    }

    @Test
    void decode_truncatedAtEveryLength_refused() {
        byte[] full = new PskIdentity(alice, bob).encode();
        for (int n = 0; n < full.length; n++) {
            byte[] cut = Arrays.copyOf(full, n);
            assertThrows(PeerRefusedException.class, () -> PskIdentity.decode(cut), "length " + n);
        }
    }

    @Test
    void decode_trailingBytes_refused() {
        byte[] full = new PskIdentity(alice, bob).encode();
        byte[] longer = Arrays.copyOf(full, full.length + 1);
        assertThat(assertThrows(PeerRefusedException.class, () -> PskIdentity.decode(longer)))
                .hasMessageContaining("after the server's name");
    }

    @Test
    void decode_otherPrefixOrVersion_refused() {
        byte[] full = new PskIdentity(alice, bob).encode();
        full[4] = 2;
        assertThat(assertThrows(PeerRefusedException.class, () -> PskIdentity.decode(full)))
                .hasMessageContaining("version 1");
    }

    @Test
    void decode_overTheBound_refusedBeforeParsing() {
        assertThat(assertThrows(PeerRefusedException.class, () -> PskIdentity.decode(new byte[PskIdentity.MAX_BYTES + 1])))
                .hasMessageContaining("over the bound");
    }

    @Test
    void decode_nameThatIsNotAPrincipal_refused() {
        byte[] full = new PskIdentity(alice, bob).encode();
        full[7] = 3; // the client's tag: a string, not a principal
        assertThat(assertThrows(PeerRefusedException.class, () -> PskIdentity.decode(full)))
                .hasMessageContaining("client's name is not a principal");
    }
}
