package dev.cloudproxy.tao.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cloudproxy.tao.auth.AuthText;
import dev.cloudproxy.tao.auth.Bytes;
import dev.cloudproxy.tao.auth.PrinExt;
import dev.cloudproxy.tao.auth.SubPrin;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The table of program user ids of a root host, as a file: these tests use a range without
 * root (ids are only recorded here, no process runs under them), so they run in both CI passes.
 * What the ids do for running programs is in {@link SeparateUsersTest}.
 */
class ProgramUserTableTest {
    // Far above the default range, and above any id this machine's processes use.
    private static final long FIRST = 2_100_000_000L;
    private static final ProgramUsers THREE = ProgramUsers.of(FIRST, 3);

    @TempDir
    Path temp;

    private HostDirectory dir() {
        return new HostDirectory(temp);
    }

    private static SubPrin name(int i) {
        return SubPrin.of(PrinExt.of("Jvm", new Bytes(new byte[] {(byte) i, 1, 2, 3})));
    }

    private Path file() {
        return temp.resolve(ProgramUserTable.FILE);
    }

    @Test
    void sameName_getsTheSameUid_differentNamesDifferentUids_firstComeFirstServed() throws Exception {
        ProgramUserTable t = ProgramUserTable.open(dir(), THREE);
        assertThat(t.uidFor(name(7))).isEqualTo(FIRST);
        assertThat(t.uidFor(name(3))).isEqualTo(FIRST + 1);
        assertThat(t.uidFor(name(7))).isEqualTo(FIRST);
        assertThat(t.size()).isEqualTo(2);
    }

    @Test
    void table_survivesReopening_andKeepsEveryIdWithItsName() throws Exception {
        ProgramUserTable before = ProgramUserTable.open(dir(), THREE);
        long a = before.uidFor(name(1));
        long b = before.uidFor(name(2));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file()))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(temp.resolve(ProgramUserTable.STATE))))
                .isEqualTo("rwx------");

        ProgramUserTable after = ProgramUserTable.open(dir(), THREE);
        assertThat(after.entries()).isEqualTo(Map.of(name(1), a, name(2), b));
        assertThat(after.uidFor(name(2))).isEqualTo(b);
        // A new name after the restart gets an id no earlier name had.
        assertThat(after.uidFor(name(3))).isEqualTo(FIRST + 2).isNotIn(a, b);
    }

    @Test
    void range_whenEveryIdHasAName_refusesANewName_withATypedError() throws Exception {
        ProgramUserTable t = ProgramUserTable.open(dir(), THREE);
        for (int i = 0; i < 3; i++) {
            t.uidFor(name(i));
        }
        ProgramStartException e = assertThrows(ProgramStartException.class, () -> t.uidFor(name(9)));
        assertThat(e.getMessage()).contains("every program user id").contains("is taken");
        assertThat(t.uidFor(name(1))).isEqualTo(FIRST + 1);
        assertThat(ProgramUserTable.open(dir(), THREE).size()).isEqualTo(3);
    }

    @Test
    void malformedTable_isRefusedWithATypedError() throws Exception {
        String good = FIRST + " " + AuthText.print(name(1)) + "\n";
        for (String bad : new String[] {
            "garbage\n",
            FIRST + "\n",
            "-" + FIRST + " " + AuthText.print(name(1)) + "\n",
            (FIRST + 3) + " " + AuthText.print(name(1)) + "\n",                  // outside the range
            "0 " + AuthText.print(name(1)) + "\n",                               // root
            FIRST + " .Jvm([01020304\n",                                         // not a principal
            FIRST + "  " + AuthText.print(name(1)) + "\n",                      // not canonical
            FIRST + " " + AuthText.print(name(1)) + " \n",
            FIRST + " Jvm([01])\n",
            good + good,                                                         // repeated
            good + (FIRST + 1) + " " + AuthText.print(name(1)) + "\n",          // one name, two ids
            good + FIRST + " " + AuthText.print(name(2)) + "\n",                // one id, two names
            "99999999999999999999 " + AuthText.print(name(1)) + "\n",
        }) {
            Files.writeString(file(), bad);
            assertThrows(HostException.class, () -> ProgramUserTable.open(dir(), THREE), bad);
        }
        Files.write(file(), new byte[] {'#', (byte) 0xC3, '\n'});
        assertThat(assertThrows(HostException.class, () -> ProgramUserTable.open(dir(), THREE)).getMessage())
                .contains("not UTF-8");
        Files.writeString(file(), good);
        assertThat(ProgramUserTable.open(dir(), THREE).entries()).isEqualTo(Map.of(name(1), FIRST));
    }

    @Test
    void oversizedTable_isRefusedWithATypedError_beforeItIsParsed() throws Exception {
        byte[] comment = new byte[ProgramUserTable.MAX_BYTES + 1];
        java.util.Arrays.fill(comment, (byte) '#');
        Files.write(file(), comment);
        HostException e = assertThrows(HostException.class, () -> ProgramUserTable.open(dir(), THREE));
        assertThat(e.getMessage()).contains("larger than");
    }

    @Test
    void tableWithMoreThanMaxEntries_isRefused() throws Exception {
        ProgramUsers wide = ProgramUsers.of(FIRST, ProgramUserTable.MAX_ENTRIES + 1);
        StringBuilder b = new StringBuilder();
        for (int i = 0; i <= ProgramUserTable.MAX_ENTRIES; i++) {
            b.append(FIRST + i).append(' ').append(AuthText.print(SubPrin.of(PrinExt.of("Program",
                    new Bytes(java.nio.ByteBuffer.allocate(4).putInt(i).array()))))).append('\n');
        }
        Files.writeString(file(), b, StandardCharsets.UTF_8);
        HostException e = assertThrows(HostException.class, () -> ProgramUserTable.open(dir(), wide));
        assertThat(e.getMessage()).contains("more than " + ProgramUserTable.MAX_ENTRIES);
    }

    @Test
    void programsAsTheHostsUser_haveNoTable() {
        assertThrows(IllegalArgumentException.class, () -> ProgramUserTable.open(dir(), ProgramUsers.hostUser()));
    }
}
