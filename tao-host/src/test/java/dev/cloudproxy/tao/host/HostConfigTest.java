package dev.cloudproxy.tao.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.SubPrin;
import dev.cloudproxy.tao.guard.LiberalGuard;
import dev.cloudproxy.tao.keys.Keys;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class HostConfigTest {
    private static final SubPrin GUARD = LiberalGuard.INSTANCE.subprincipal();

    @Test
    void encodeThenVerifyAndParse_roundTrips_forRootAndStacked() throws Exception {
        try (Keys keys = Keys.generate()) {
            HostConfig root = new HostConfig(HostConfig.Type.ROOT, keys.principal(), keys.principal().extend(GUARD), GUARD,
                    Optional.empty(), Optional.of("/some/domain"));
            byte[] text = root.encode();
            assertThat(HostConfig.verifyAndParse(text, HostConfig.sign(text, keys.signer()), keys.verifier())).isEqualTo(root);

            Prin parent = Prin.parse("key([aabb]).Program([ccdd])");
            HostConfig stacked = new HostConfig(HostConfig.Type.STACKED, keys.principal(), parent.extend(GUARD), GUARD,
                    Optional.of("rpc:auto"), Optional.empty());
            byte[] t2 = stacked.encode();
            assertThat(HostConfig.verifyAndParse(t2, HostConfig.sign(t2, keys.signer()), keys.verifier())).isEqualTo(stacked);
        }
    }

    @Test
    void everyFlippedBit_isRefused() throws Exception {
        try (Keys keys = Keys.generate()) {
            HostConfig c = new HostConfig(HostConfig.Type.ROOT, keys.principal(), keys.principal().extend(GUARD), GUARD,
                    Optional.empty(), Optional.empty());
            byte[] text = c.encode();
            byte[] sig = HostConfig.sign(text, keys.signer());
            for (int i = 0; i < text.length * 8; i += 7) {
                byte[] t = text.clone();
                t[i / 8] ^= (byte) (1 << (i % 8));
                assertThrows(HostException.class, () -> HostConfig.verifyAndParse(t, sig, keys.verifier()));
            }
            try (Keys other = Keys.generate()) {
                assertThrows(HostException.class, () -> HostConfig.verifyAndParse(text, sig, other.verifier()));
            }
        }
    }

    @Test
    void malformedTruncatedOrOversized_isHostException() {
        List<String> bad = List.of(
                "",
                "version = 2\n",
                "version = 1\ntype = root\n",
                "version = 1\ntype = moon\nkey = key([aa])\nname = key([aa])\n",
                "version = 1\nversion = 1\n",
                "version = 1\ncolour = blue\n",
                "no equals sign\n",
                "version = 1\ntype = root\nkey = key([aa])\nname = key([aa]).Other()\nguard = .LiberalGuard()\n",
                "version = 1\ntype = root\nkey = key([aa\nname = key([aa])\n",
                "version = 1\ntype = stacked\nkey = key([aa])\nname = key([aa]).LiberalGuard()\nguard = .LiberalGuard()\n",
                "version = 1\ntype = root\nkey = key([aa])\nname = key([aa]).LiberalGuard()\nguard = LiberalGuard()\n",
                "version = 1\u0007\n");
        for (String s : bad) {
            assertThrows(HostException.class, () -> HostConfig.parse(s.getBytes(StandardCharsets.UTF_8)), s);
        }
        assertThrows(HostException.class, () -> HostConfig.parse(new byte[] {'v', '=', (byte) 0xc3}));
        byte[] huge = new byte[HostConfig.MAX_BYTES + 1];
        Arrays.fill(huge, (byte) '#');
        assertThrows(HostException.class, () -> HostConfig.parse(huge));
    }

    @Test
    void rootConfig_parsesFromItsText() throws Exception {
        HostConfig c = HostConfig.parse(("# comment\nversion = 1\ntype = root\nkey = key([aa])\n"
                + "name = key([aa]).LiberalGuard()\nguard = .LiberalGuard()\n").getBytes(StandardCharsets.UTF_8));
        assertThat(c.name()).isEqualTo(Prin.parse("key([aa]).LiberalGuard()"));
        assertThat(c.guard()).isEqualTo(GUARD);
    }
}
