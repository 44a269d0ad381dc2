package dev.cloudproxy.tao.host;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * An execute-only private copy of a runtime's {@code bin/java}, from which a JVM starts
 * non-dumpable from its first instruction.
 *
 * <p>Linux marks a process non-dumpable at {@code execve} when its user may execute but not read
 * the executable (the kernel's "would_dump" rule, there so that a process cannot be dumped to
 * read a binary its user could not read). Non-dumpable means that no other process of the same
 * user can open {@code /proc/PID/mem}, {@code environ} or {@code maps}, or ptrace it, root and
 * {@code CAP_SYS_PTRACE} excepted. The agent's {@code prctl(PR_SET_DUMPABLE, 0)} in premain comes
 * too late on its own: a descriptor of {@code /proc/PID/mem} opened before it keeps working.
 *
 * <p>The copy lives in {@code dir/bin/java} (mode 0111) beside symbolic links to every other entry
 * of the runtime ({@code lib}, {@code conf}, {@code release}, ...): the {@code java} launcher
 * finds {@code libjli} through {@code $ORIGIN/../lib}, and resolves its real path to set
 * {@code java.home}, so the JVM runs the real runtime, which is what is measured; only the
 * 10-20 KB launcher binary is copied, byte for byte.
 *
 * <p>Limits: root reads every file, so a process started by root is dumpable until premain (root
 * is trusted on its own machine). The copy is owned by the user who runs it, who could replace
 * it: like the private jar copies, this protects the program's memory from other processes of the
 * user, not its files.
 */
public final class PrivateJava {
    private PrivateJava() {}

    /**
     * Creates {@code dir} (which must not exist; its parent should be private) with the copy and
     * the links, and returns the path of the copy to execute.
     *
     * @throws IOException if {@code javaHome} has no {@code bin/java} or the files cannot be made
     */
    public static Path create(Path javaHome, Path dir) throws IOException {
        Path home = javaHome.toRealPath();
        Path java = home.resolve("bin").resolve("java");
        if (!Files.isRegularFile(java)) {
            throw new IOException("not a Java runtime (no bin/java): " + home);
        }
        Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path bin = Files.createDirectory(dir.resolve("bin"));
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(home)) {
            for (Path e : entries) {
                if (!e.getFileName().toString().equals("bin")) {
                    Files.createSymbolicLink(dir.resolve(e.getFileName().toString()), e);
                }
            }
        }
        Path copy = bin.resolve("java");
        Files.copy(java, copy);
        // Execute, never read: this is what makes the kernel start the process non-dumpable.
        Files.setPosixFilePermissions(copy, PosixFilePermissions.fromString("--x--x--x"));
        return copy;
    }
}
