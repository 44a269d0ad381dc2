package dev.cloudproxy.tao.seal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cloudproxy.tao.StaleStateException;
import dev.cloudproxy.tao.TaoException;
import dev.cloudproxy.tao.auth.Bytes;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.PrinExt;
import dev.cloudproxy.tao.auth.SubPrin;
import dev.cloudproxy.tao.keys.Crypter;
import dev.cloudproxy.tao.soft.SoftTao;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The counter table on its own: persistence, failure atomicity, bounds and a strict format. */
class RollbackCountersTest {
    private static final Prin HOST = SoftTao.ephemeral().getTaoName();
    private static final Prin A = program(1);
    private static final Prin B = program(2);

    private static Prin program(int id) {
        return HOST.extend(SubPrin.of(PrinExt.of("Program", new Bytes(new byte[] {(byte) id}))));
    }

    @TempDir
    Path temp;

    /** A store that keeps the last table, and fails on demand. */
    private static final class MemoryStore implements RollbackCounters.Store {
        byte[] table;
        boolean failing;

        @Override
        public byte[] load() {
            return table == null ? null : table.clone();
        }

        @Override
        public void save(byte[] t) throws IOException {
            if (failing) {
                throw new IOException("disk full");
            }
            table = t.clone();
        }
    }

    @Test
    void savedTable_reopens_withTheSameValuesPerOwnerAndLabel() throws Exception {
        MemoryStore store = new MemoryStore();
        RollbackCounters c = RollbackCounters.open(store);
        c.advance(A, "x");
        c.advance(A, "x");
        c.check(A, "x", 2);
        c.advance(A, "x");
        c.init(B, "x");
        RollbackCounters again = RollbackCounters.open(store);
        assertThat(again.get(A, "x")).isEqualTo(3);
        assertThat(again.get(B, "x")).isZero();
        again.check(A, "x", 2); // committed
        assertThrows(StaleStateException.class, () -> again.check(A, "x", 1));
    }

    @Test
    void failedSave_leavesTheTableAsItWas() throws Exception {
        MemoryStore store = new MemoryStore();
        RollbackCounters c = RollbackCounters.open(store);
        c.advance(A, "x");
        store.failing = true;
        assertThrows(IOException.class, () -> c.advance(A, "x"));
        assertThrows(IOException.class, () -> c.check(A, "x", 1));
        assertThrows(IOException.class, () -> c.init(A, "new"));
        assertThat(c.get(A, "x")).isEqualTo(1);
        assertThrows(TaoException.class, () -> c.get(A, "new"));
        store.failing = false;
        c.check(A, "x", 1);
    }

    @Test
    void oneOwner_cannotHoldMoreThanItsShareOfCounters() throws Exception {
        RollbackCounters c = RollbackCounters.inMemory();
        for (int i = 0; i < RollbackCounters.MAX_COUNTERS_PER_OWNER; i++) {
            c.init(A, "l" + i);
        }
        TaoException e = assertThrows(TaoException.class, () -> c.init(A, "one-more"));
        assertThat(e).hasMessageContaining("at most");
        assertThat(c.init(B, "l0")).isZero();
    }

    @Test
    void malformedTables_areRefusedWithATypedError() throws Exception {
        MemoryStore store = new MemoryStore();
        RollbackCounters c = RollbackCounters.open(store);
        c.advance(A, "x");
        byte[] good = store.table;
        for (int len = 0; len < good.length; len++) {
            store.table = Arrays.copyOf(good, len);
            assertThrows(TaoException.class, () -> RollbackCounters.open(store), "length " + len);
        }
        store.table = Arrays.copyOf(good, good.length + 1);
        assertThrows(TaoException.class, () -> RollbackCounters.open(store));
        byte[] hugeCount = good.clone();
        hugeCount[5] = 0x7f;
        store.table = hugeCount;
        assertThrows(TaoException.class, () -> RollbackCounters.open(store));
    }

    @Test
    void encryptedFile_ofAnotherKey_orAltered_isRefused() throws Exception {
        Path file = temp.resolve("counters.tao");
        try (Crypter k1 = Crypter.generate(); Crypter k2 = Crypter.generate()) {
            RollbackCounters.open(RollbackCounters.encryptedFile(file, k1, A)).advance(A, "x");
            assertThrows(TaoException.class, () -> RollbackCounters.open(RollbackCounters.encryptedFile(file, k2, A)));
            assertThrows(TaoException.class, () -> RollbackCounters.open(RollbackCounters.encryptedFile(file, k1, B)));
            byte[] b = Files.readAllBytes(file);
            b[b.length - 1] ^= 1;
            Files.write(file, b);
            assertThrows(TaoException.class, () -> RollbackCounters.open(RollbackCounters.encryptedFile(file, k1, A)));
        }
    }
}
