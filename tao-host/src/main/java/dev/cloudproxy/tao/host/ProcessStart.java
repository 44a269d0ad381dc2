package dev.cloudproxy.tao.host;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * When a process started, in clock ticks since boot: field 22 of {@code /proc/<pid>/stat}, as the
 * kernel recorded it. A process id together with its start time names one process for the
 * lifetime of the machine, whereas a process id alone can be reused as soon as its process is
 * reaped.
 */
final class ProcessStart {
    private static final int MAX_STAT_BYTES = 4096;

    private ProcessStart() {}

    /** The start time of process {@code pid}, or empty if there is no such process. */
    static OptionalLong of(long pid) throws IOException {
        if (pid <= 0) {
            return OptionalLong.empty();
        }
        byte[] raw;
        try {
            raw = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "stat"));
        } catch (NoSuchFileException e) {
            return OptionalLong.empty();
        }
        if (raw.length > MAX_STAT_BYTES) {
            throw new IOException("/proc/" + pid + "/stat is unexpectedly long");
        }
        return OptionalLong.of(parse(new String(raw, StandardCharsets.US_ASCII)));
    }

    /**
     * Field 22 of a stat line. Field 2, the command name in parentheses, may itself contain spaces
     * and parentheses, so fields are counted from the last closing parenthesis (which is field 2's).
     */
    static long parse(String stat) throws IOException {
        int close = stat.lastIndexOf(')');
        if (close < 0) {
            throw new IOException("malformed /proc stat line");
        }
        String[] rest = stat.substring(close + 1).trim().split(" +");
        int index = 22 - 3; // rest[0] is field 3
        if (rest.length <= index) {
            throw new IOException("malformed /proc stat line");
        }
        try {
            return Long.parseLong(rest[index]);
        } catch (NumberFormatException e) {
            throw new IOException("malformed /proc stat line");
        }
    }
}
