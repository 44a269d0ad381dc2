package dev.cloudproxy.tao.cli;

import java.io.BufferedWriter;
import java.io.Console;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.FilterOutputStream;
import java.io.IOError;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The standard streams and environment a command works with. Commands receive one in their
 * constructor instead of touching {@code System.in}/{@code System.out}, so tests run them
 * in-process with captured streams.
 *
 * <p>All three streams are UTF-8, whatever the platform's default charset, so that text printed
 * by one {@code tao} command reads back in another on every JDK and locale.
 *
 * <p>The user's terminal, if there is one, is reachable only through {@link #passwordPrompt()}:
 * commands never read passwords from the standard streams.
 */
public final class Io {
    /** Asks the person at the terminal for a password, without echoing what they type. */
    @FunctionalInterface
    public interface PasswordPrompt {
        /**
         * Shows {@code prompt} and reads one line without echo.
         *
         * @return the password, which the caller zeroes after use, or {@code null} if input ended
         *     (for example on Ctrl-D) before a line was complete
         * @throws IOException if the terminal cannot be read
         */
        char[] read(String prompt) throws IOException;
    }

    private final InputStream in;
    private final PrintWriter out;
    private final PrintWriter err;
    private final Map<String, String> env;
    private final WatchedOutputStream watchedOut;
    private final boolean colorAllowed;
    private final PasswordPrompt passwordPrompt;

    private Io(InputStream in, PrintWriter out, PrintWriter err, Map<String, String> env,
            WatchedOutputStream watchedOut, boolean colorAllowed, PasswordPrompt passwordPrompt) {
        this.in = Objects.requireNonNull(in, "in");
        this.out = Objects.requireNonNull(out, "out");
        this.err = Objects.requireNonNull(err, "err");
        this.env = Map.copyOf(Objects.requireNonNull(env, "env"));
        this.watchedOut = watchedOut;
        this.colorAllowed = colorAllowed;
        this.passwordPrompt = passwordPrompt;
    }

    /** The process's own standard streams and environment. */
    public static Io system() {
        WatchedOutputStream stdout = new WatchedOutputStream(new FileOutputStream(FileDescriptor.out));
        PrintWriter out = new PrintWriter(
                new BufferedWriter(new OutputStreamWriter(stdout, StandardCharsets.UTF_8), 1 << 16));
        PrintWriter err = new PrintWriter(
                new OutputStreamWriter(new FileOutputStream(FileDescriptor.err), StandardCharsets.UTF_8), true);
        Map<String, String> env = System.getenv();
        return new Io(System.in, out, err, env, stdout, !env.containsKey("NO_COLOR"), terminalPrompt());
    }

    /**
     * Streams supplied by the caller, typically in-memory ones in a test. Help is never colored,
     * and there is no terminal to prompt on.
     */
    public static Io of(InputStream in, PrintWriter out, PrintWriter err, Map<String, String> env) {
        return new Io(in, out, err, env, null, false, null);
    }

    /** The same streams and environment, with {@code prompt} standing for the terminal. */
    public Io withPasswordPrompt(PasswordPrompt prompt) {
        return new Io(in, out, err, env, watchedOut, colorAllowed, Objects.requireNonNull(prompt, "prompt"));
    }

    /**
     * The terminal of this process, if both standard input and standard output are one. Before
     * JDK 22 that is exactly when {@link System#console()} is not null; from JDK 22 on it may
     * return a console for redirected streams too, and {@code Console.isTerminal()} tells.
     */
    private static PasswordPrompt terminalPrompt() {
        Console console = System.console();
        if (console == null || !isTerminal(console)) {
            return null;
        }
        return prompt -> {
            try {
                return console.readPassword("%s", prompt);
            } catch (IOError e) {
                throw new IOException(e.getMessage(), e);
            }
        };
    }

    private static boolean isTerminal(Console console) {
        Method isTerminal;
        try {
            isTerminal = Console.class.getMethod("isTerminal");
        } catch (NoSuchMethodException e) {
            return true;
        }
        try {
            return (Boolean) isTerminal.invoke(console);
        } catch (ReflectiveOperationException e) {
            return false;
        }
    }

    /** Standard input, as raw bytes (commands decide how to decode it). */
    public InputStream in() {
        return in;
    }

    /** Standard output. */
    public PrintWriter out() {
        return out;
    }

    /** Standard error. */
    public PrintWriter err() {
        return err;
    }

    /**
     * Standard output as bytes, for relaying another program's output unchanged (what was
     * printed through {@link #out()} is flushed first). For in-memory streams, a stream that
     * decodes UTF-8 into {@link #out()}.
     */
    public OutputStream outBytes() {
        out.flush();
        return watchedOut != null ? watchedOut : new DecodingStream(out);
    }

    /** Standard error as bytes; see {@link #outBytes()}. */
    public OutputStream errBytes() {
        err.flush();
        return watchedOut != null ? new FileOutputStream(FileDescriptor.err) : new DecodingStream(err);
    }

    /** Bytes decoded as UTF-8 (malformed input replaced) into a writer, across write boundaries. */
    private static final class DecodingStream extends OutputStream {
        private final PrintWriter to;
        private final java.nio.charset.CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(java.nio.charset.CodingErrorAction.REPLACE)
                .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPLACE);
        private final java.nio.ByteBuffer pending = java.nio.ByteBuffer.allocate(8192);
        private final java.nio.CharBuffer chars = java.nio.CharBuffer.allocate(8192);

        DecodingStream(PrintWriter to) {
            this.to = to;
        }

        @Override
        public void write(int b) {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            while (len > 0) {
                int n = Math.min(len, pending.remaining());
                pending.put(b, off, n);
                off += n;
                len -= n;
                pending.flip();
                while (true) {
                    java.nio.charset.CoderResult r = utf8.decode(pending, chars, false);
                    chars.flip();
                    to.append(chars);
                    chars.clear();
                    if (!r.isOverflow()) {
                        break;
                    }
                }
                pending.compact();
            }
        }

        @Override
        public void flush() {
            to.flush();
        }
    }

    /** The value of an environment variable, or {@code null} if it is not set. */
    public String env(String name) {
        return env.get(name);
    }

    /**
     * The terminal to ask for a password on, or empty if there is none (standard input or output
     * is redirected, or this is a test without a stand-in).
     */
    public Optional<PasswordPrompt> passwordPrompt() {
        return Optional.ofNullable(passwordPrompt);
    }

    /**
     * Whether help may use ANSI colors when standard output is a terminal (never for in-memory
     * streams, nor when {@code NO_COLOR} is set).
     */
    boolean colorAllowed() {
        return colorAllowed;
    }

    /**
     * Whether a write to standard output has failed (for example the reader of a pipe went
     * away). Cheap enough to ask once per line: it does not flush.
     */
    public boolean outputFailed() {
        return watchedOut != null ? watchedOut.failed : out.checkError();
    }

    /** Flushes standard output; returns false if any write to it failed. */
    boolean flushOut() {
        out.flush();
        return !out.checkError() && (watchedOut == null || !watchedOut.failed);
    }

    /**
     * Remembers that a write failed. {@link PrintWriter} swallows the exception and only reports
     * it from {@code checkError()}, which flushes; this lets a command stop early without
     * flushing after every line.
     */
    private static final class WatchedOutputStream extends FilterOutputStream {
        private volatile boolean failed;

        WatchedOutputStream(OutputStream out) {
            super(out);
        }

        @Override
        public void write(int b) throws IOException {
            try {
                out.write(b);
            } catch (IOException e) {
                failed = true;
                throw e;
            }
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            try {
                out.write(b, off, len);
            } catch (IOException e) {
                failed = true;
                throw e;
            }
        }

        @Override
        public void flush() throws IOException {
            try {
                out.flush();
            } catch (IOException e) {
                failed = true;
                throw e;
            }
        }
    }
}
