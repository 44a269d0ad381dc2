package dev.cloudproxy.tao.soft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cloudproxy.tao.AbstractTaoContractTest;
import dev.cloudproxy.tao.CoreTao;
import dev.cloudproxy.tao.keys.Argon2Params;
import dev.cloudproxy.tao.keys.Keys;
import dev.cloudproxy.tao.keys.WrongPasswordException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.IdentityHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SoftTaoTest extends AbstractTaoContractTest {
    private static final char[] PASSWORD = "correct horse".toCharArray();

    @TempDir
    Path temp;

    private final Map<CoreTao, Path> dirs = new IdentityHashMap<>();
    private int count;

    @Override
    protected CoreTao newTao() throws Exception {
        Path dir = temp.resolve("tao" + count++);
        SoftTao t = SoftTao.create(dir, PASSWORD.clone(), Argon2Params.FLOOR);
        dirs.put(t, dir);
        return t;
    }

    @Override
    protected CoreTao restart(CoreTao tao) throws Exception {
        Path dir = dirs.get(tao);
        SoftTao again = SoftTao.open(dir, PASSWORD.clone());
        dirs.put(again, dir);
        return again;
    }

    @Test
    void open_withWrongPassword_fails() throws Exception {
        CoreTao t = newTao();
        Path dir = dirs.get(t);
        ((SoftTao) t).close();
        assertThrows(WrongPasswordException.class, () -> SoftTao.open(dir, "wrong".toCharArray()));
    }

    @Test
    void create_writesOwnerOnlyKeyFile_andNameIsTheKeyPrincipal() throws Exception {
        SoftTao t = (SoftTao) newTao();
        Path dir = dirs.get(t);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve(Keys.KEY_SET_FILE))))
                .isEqualTo("rw-------");
        assertThat(t.getTaoName()).isEqualTo(Keys.readVerifier(dir).principal()).isEqualTo(t.rootName());
        t.close();
    }

    @Test
    void toString_showsOnlyTheName() {
        try (SoftTao t = SoftTao.ephemeral()) {
            assertThat(t.toString()).isEqualTo("SoftTao[" + t.getTaoName() + "]");
        }
    }
}
