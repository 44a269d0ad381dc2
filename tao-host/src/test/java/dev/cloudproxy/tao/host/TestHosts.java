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
import java.util.Optional;

/** Helpers for tests that run real hosts and hosted programs. */
final class TestHosts {
    static final char[] PASSWORD = "host password".toCharArray();
    static final Argon2Params CHEAP = Argon2Params.FLOOR;

    private TestHosts() {}

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
