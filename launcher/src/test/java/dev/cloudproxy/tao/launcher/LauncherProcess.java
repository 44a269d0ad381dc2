package dev.cloudproxy.tao.launcher;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The launcher in its own JVM, as a user runs it ({@code java ... Main [args]}), with a given
 * environment. Closing it always stops it (and so, through its shutdown hook, the app).
 */
final class LauncherProcess implements AutoCloseable {
    /** The launcher's output after it exited. */
    record Result(int status, String out, String err) {}

    private final Process process;
    private final Path outFile;
    private final Path errFile;

    private LauncherProcess(Process process, Path outFile, Path errFile) {
        this.process = process;
        this.outFile = outFile;
        this.errFile = errFile;
    }

    /** Starts the launcher; its standard output goes to a file unless {@code pipeOut}. */
    static LauncherProcess start(Path tmp, Map<String, String> env, boolean pipeOut, List<String> args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        if (Runtime.version().feature() >= 22) {
            cmd.add("--enable-native-access=ALL-UNNAMED");
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Main.class.getName());
        cmd.addAll(args);
        return startCommand(tmp, env, pipeOut, cmd);
    }

    /** Starts {@code cmd} (a whole command line, e.g. {@code java -javaagent:tao-launcher.jar ...}) as {@link #start} does. */
    static LauncherProcess startCommand(Path tmp, Map<String, String> env, boolean pipeOut, List<String> cmd)
            throws IOException {
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().clear();
        pb.environment().put("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
        pb.environment().putAll(env);
        Path out = Files.createTempFile(tmp, "out", ".txt");
        Path err = Files.createTempFile(tmp, "err", ".txt");
        if (!pipeOut) {
            pb.redirectOutput(out.toFile());
        }
        pb.redirectError(err.toFile());
        return new LauncherProcess(pb.start(), out, err);
    }

    /** Runs the launcher to completion with {@code stdin} as its input. */
    static Result run(Path tmp, Map<String, String> env, String stdin, List<String> args) throws Exception {
        try (LauncherProcess p = start(tmp, env, false, args)) {
            try (OutputStream in = p.process.getOutputStream()) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
            return p.waitFor();
        }
    }

    static Result run(Path tmp, Map<String, String> env, List<String> args) throws Exception {
        return run(tmp, env, "", args);
    }

    /** Runs {@code cmd} to completion, with no input. */
    static Result runCommand(Path tmp, Map<String, String> env, List<String> cmd) throws Exception {
        try (LauncherProcess p = startCommand(tmp, env, false, cmd)) {
            p.process.getOutputStream().close();
            return p.waitFor();
        }
    }

    Process process() {
        return process;
    }

    /** Reads the piped standard output until a line equal to {@code line}. */
    void awaitLine(BufferedReader out, String line) throws IOException {
        for (String s = out.readLine(); s != null; s = out.readLine()) {
            if (s.equals(line)) {
                return;
            }
        }
        throw new IOException("the launcher's output ended before '" + line + "'");
    }

    BufferedReader stdout() {
        return new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    }

    Result waitFor() throws Exception {
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the launcher did not finish in 120 s");
        }
        return new Result(process.exitValue(), Files.readString(outFile), Files.readString(errFile));
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy(); // SIGTERM: the launcher stops the app, then itself
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor();
            }
        }
    }
}
