package dev.cloudproxy.tao.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
    @TempDir Path dir;

    @Test
    void writeOwnerOnly_newFile_hasContentAndMode0600() throws IOException {
        Path target = dir.resolve("secret");
        AtomicFiles.writeOwnerOnly(target, bytes("hello"));

        assertThat(Files.readAllBytes(target)).isEqualTo(bytes("hello"));
        assertThat(Files.getPosixFilePermissions(target)).isEqualTo(AtomicFiles.OWNER_ONLY);
    }

    @Test
    void writeOwnerOnly_existingWorldReadableFile_isReplacedWithMode0600() throws IOException {
        Path target = dir.resolve("secret");
        Files.write(target, bytes("old content that is longer"));
        Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rw-rw-rw-"));

        AtomicFiles.writeOwnerOnly(target, bytes("new"));

        assertThat(Files.readAllBytes(target)).isEqualTo(bytes("new"));
        assertThat(Files.getPosixFilePermissions(target)).isEqualTo(AtomicFiles.OWNER_ONLY);
    }

    @Test
    void write_publicPermissions_neverWiderThanAsked() throws IOException {
        Path target = dir.resolve("public.pem");
        AtomicFiles.write(target, bytes("pub"), AtomicFiles.PUBLIC_READ);

        Set<PosixFilePermission> mode = Files.getPosixFilePermissions(target);
        assertThat(AtomicFiles.PUBLIC_READ).containsAll(mode);
        assertThat(mode).contains(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
    }

    @Test
    void write_success_leavesNoTemporaryFile() throws IOException {
        Path target = dir.resolve("secret");
        AtomicFiles.writeOwnerOnly(target, bytes("one"));
        AtomicFiles.writeOwnerOnly(target, bytes("two"));

        assertThat(listNames()).containsExactly("secret");
    }

    @Test
    void write_renameFails_keepsOldStateAndLeavesNoTemporaryFile() throws IOException {
        Path target = dir.resolve("occupied");
        Files.createDirectory(target);
        Files.write(target.resolve("inside"), bytes("keep me"));

        assertThrows(IOException.class, () -> AtomicFiles.writeOwnerOnly(target, bytes("new")));

        assertThat(Files.readAllBytes(target.resolve("inside"))).isEqualTo(bytes("keep me"));
        assertThat(listNames()).containsExactly("occupied");
    }

    @Test
    void write_missingDirectory_throwsAndCreatesNothing() {
        Path target = dir.resolve("missing").resolve("secret");

        assertThrows(IOException.class, () -> AtomicFiles.writeOwnerOnly(target, bytes("x")));
        assertThat(Files.exists(dir.resolve("missing"))).isFalse();
    }

    @Test
    void createPrivateDirectories_newDirectory_hasMode0700() throws IOException {
        Path created = dir.resolve("a").resolve("b");
        AtomicFiles.createPrivateDirectories(created);

        assertThat(Files.getPosixFilePermissions(created))
                .isEqualTo(PosixFilePermissions.fromString("rwx------"));
    }

    @Test
    void readAtMost_largerFile_returnsOnlyTheLimit() throws IOException {
        Path file = dir.resolve("big");
        Files.write(file, new byte[10_000]);

        assertThat(AtomicFiles.readAtMost(file, 101)).hasSize(101);
        assertThat(AtomicFiles.readAtMost(dir.resolve("big"), 20_000)).hasSize(10_000);
    }

    @Test
    void readAtMost_negativeLimit_throws() {
        assertThrows(IllegalArgumentException.class, () -> AtomicFiles.readAtMost(dir.resolve("x"), -1));
    }

    private List<String> listNames() throws IOException {
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void deleteTree_removesEverythingBelow_butNotWhatALinkPointsTo() throws IOException {
        Path outside = Files.writeString(dir.resolve("outside.txt"), "keep");
        Path root = Files.createDirectories(dir.resolve("tree").resolve("a").resolve("b")).getParent().getParent();
        Files.writeString(root.resolve("a").resolve("b").resolve("f"), "x");
        Files.createSymbolicLink(root.resolve("link"), outside);

        AtomicFiles.deleteTree(root);

        assertThat(root).doesNotExist();
        assertThat(outside).hasContent("keep");
    }

    @Test
    void deleteTree_absent_doesNothing() throws IOException {
        AtomicFiles.deleteTree(dir.resolve("absent"));

        assertThat(dir).exists();
    }
}
