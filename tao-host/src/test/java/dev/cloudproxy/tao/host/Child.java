package dev.cloudproxy.tao.host;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** Drives a {@link ChildMain} process from a test; closing it always stops the process. */
final class Child implements AutoCloseable {
    private final Process process;
    private final BufferedReader out;
    private final Writer in;

    private Child(Process process) {
        this.process = process;
        this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        this.in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
    }

    static Child start(Path socket) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-Xshare:auto", "-cp", System.getProperty("java.class.path"),
                ChildMain.class.getName(), socket.toString());
        pb.redirectErrorStream(true);
        return new Child(pb.start());
    }

    long pid() {
        return process.pid();
    }

    /** Sends one line and returns the child's answer (without the "> " marker). */
    String ask(String line) throws IOException {
        in.write(line + "\n");
        in.flush();
        for (String s = out.readLine(); s != null; s = out.readLine()) {
            if (s.startsWith("> ")) {
                return s.substring(2);
            }
        }
        throw new IOException("the child exited without answering " + line);
    }

    /** Kills the process, as a crash would, and waits until it is gone. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    @Override
    public void close() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("child process " + process.pid() + " did not stop");
        }
    }
}
