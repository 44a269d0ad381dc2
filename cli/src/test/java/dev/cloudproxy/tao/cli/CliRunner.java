package dev.cloudproxy.tao.cli;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;

/** Runs {@code tao} in-process with captured standard output and error. */
final class CliRunner {
    private CliRunner() {}

    /** What one run did. */
    record Result(int status, String out, String err) {
        List<String> errLines() {
            return err.lines().toList();
        }
    }

    static Result run(String stdin, String... args) {
        return run(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)), Map.of(), args);
    }

    static Result run(InputStream stdin, Map<String, String> env, String... args) {
        return run(stdin, env, null, args);
    }

    /** Runs with {@code prompt} standing for the terminal ({@code null}: there is none). */
    static Result run(InputStream stdin, Map<String, String> env, Io.PasswordPrompt prompt, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        Io io = Io.of(stdin, new PrintWriter(out), new PrintWriter(err), env);
        if (prompt != null) {
            io = io.withPasswordPrompt(prompt);
        }
        int status = TaoCli.run(io, args);
        return new Result(status, out.toString(), err.toString());
    }

    /** Runs a command tree that a test has changed (for example, with a verb added). */
    static Result run(CommandLine cl, Io io, StringWriter out, StringWriter err, String... args) {
        int status = TaoCli.run(cl, io, args);
        return new Result(status, out.toString(), err.toString());
    }
}
