package dev.cloudproxy.tao.host;

import dev.cloudproxy.tao.keys.Argon2Params;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** Helpers for tests that run real hosts and hosted programs. */
final class TestHosts {
    static final char[] PASSWORD = "host password".toCharArray();
    static final Argon2Params CHEAP = Argon2Params.FLOOR;

    private TestHosts() {}

    /**
     * Runs {@code main} with {@code args} in a JVM of its own on this test's class path (standard
     * output and error to this one's, or discarded) and returns its exit status.
     */
    static int runToExit(Class<?> main, boolean showOutput, String... args) throws IOException, InterruptedException {
        String javaCommand = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(
                List.of(javaCommand, "-Xshare:auto", "-cp", System.getProperty("java.class.path"), main.getName()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        if (showOutput) {
            pb.inheritIO();
        } else {
            pb.redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD);
        }
        Process p = pb.start();
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                throw new AssertionError(main.getSimpleName() + " did not finish");
            }
            return p.exitValue();
        } finally {
            p.destroyForcibly();
        }
    }

    /** A root host initialized in {@code dir} (outside any domain), opened. */
    static OpenedHost root(Path dir) throws Exception {
        HostDirectory d = new HostDirectory(dir);
        HostSetup.initRoot(d, PASSWORD, Optional.empty(), CHEAP);
        return HostSetup.openRoot(d, PASSWORD);
    }

    /**
     * A shell script that execs a JVM running {@link HostedMain} on this test's class path: the
     * process keeps its id through exec, so the host knows it by the script's measurement.
     * {@code variant} changes the script's bytes (and so its name) without changing what it does.
     */
    static Path hostedScript(Path dir, String variant) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String script = "#!/bin/sh\n# variant " + variant + "\nexec '" + java + "' -Xshare:auto -cp '"
                + System.getProperty("java.class.path") + "' " + HostedMain.class.getName() + "\n";
        Path p = dir.resolve("hosted-" + variant + ".sh");
        Files.writeString(p, script);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwx------"));
        return p;
    }

    static byte[] sha256(Path file) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file));
    }

    /** Talks to a program started with relayed streams, in {@link HostedMain}'s line protocol. */
    static final class Conversation {
        private final RunningProgram program;
        private final BufferedReader out;
        private final Writer in;

        Conversation(RunningProgram program) {
            this.program = program;
            this.out = new BufferedReader(new InputStreamReader(program.process().getInputStream(), StandardCharsets.UTF_8));
            this.in = new OutputStreamWriter(program.process().getOutputStream(), StandardCharsets.UTF_8);
        }

        /** The next answer line (without "> "). */
        String next() throws IOException {
            for (String s = out.readLine(); s != null; s = out.readLine()) {
                if (s.startsWith("> ")) {
                    return s.substring(2);
                }
            }
            throw new IOException("program " + program.id() + " ended without answering");
        }

        String ask(String line) throws IOException {
            in.write(line + "\n");
            in.flush();
            return next();
        }

        RunningProgram program() {
            return program;
        }
    }
}
