package dev.cloudproxy.tao.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cloudproxy.tao.keys.Keys;
import dev.cloudproxy.tao.soft.SoftTao;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class SealedKeysTest {
    @Test
    void sealThenUnseal_withTheSameParent_givesTheSameKeys() throws Exception {
        try (SoftTao parent = SoftTao.ephemeral(); Keys keys = Keys.generate()) {
            byte[] file = SealedKeys.seal(keys, parent);
            assertThat(SealedKeys.publicKey(file).principal()).isEqualTo(keys.principal());
            try (Keys back = SealedKeys.unseal(file, parent)) {
                assertThat(back.principal()).isEqualTo(keys.principal());
                assertThat(back.crypter().decrypt(keys.crypter().encrypt(new byte[] {7}))).containsExactly(7);
            }
        }
    }

    @Test
    void otherParent_orAParentWithAnotherName_cannotUnseal() throws Exception {
        try (SoftTao parent = SoftTao.ephemeral(); SoftTao other = SoftTao.ephemeral(); Keys keys = Keys.generate()) {
            byte[] file = SealedKeys.seal(keys, parent);
            assertThrows(HostException.class, () -> SealedKeys.unseal(file, other));
            parent.extendTaoName(RpcTaoContractTest.freshProgram());
            assertThrows(HostException.class, () -> SealedKeys.unseal(file, parent));
        }
    }

    @Test
    void everyFlippedBit_truncationAndOversize_areRefused() throws Exception {
        try (SoftTao parent = SoftTao.ephemeral(); Keys keys = Keys.generate()) {
            byte[] file = SealedKeys.seal(keys, parent);
            for (int i = 0; i < file.length * 8; i += 5) {
                byte[] f = file.clone();
                f[i / 8] ^= (byte) (1 << (i % 8));
                assertThrows(HostException.class, () -> SealedKeys.unseal(f, parent), "bit " + i);
            }
            for (int n = 0; n < file.length; n += 9) {
                byte[] f = Arrays.copyOf(file, n);
                assertThrows(HostException.class, () -> SealedKeys.unseal(f, parent), "length " + n);
            }
            assertThrows(HostException.class, () -> SealedKeys.unseal(Arrays.copyOf(file, file.length + 1), parent));
            assertThrows(HostException.class, () -> SealedKeys.unseal(new byte[SealedKeys.MAX_FILE_BYTES + 1], parent));
        }
    }
}
