package dev.cloudproxy.tao.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.lang.reflect.Constructor;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IFactory;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * The {@code tao} command.
 *
 * <p>Each verb group is its own class, registered in the {@code subcommands} list below; a verb
 * whose class has a constructor taking an {@link Io} gets the streams through it. Every command
 * inherits {@code -h/--help}. Exit status is {@value #EXIT_OK} on success, {@value #EXIT_INPUT}
 * for bad input (an {@link InputException}, reported as one line), {@value #EXIT_USAGE} for a
 * usage error and {@value #EXIT_INTERNAL} for a bug (one line; the stack trace too if the
 * environment has {@code TAO_DEBUG=1}).
 */
@Command(
        name = "tao",
        description = "CloudProxy Tao for the JVM: measured identity, sealed storage and attested "
                + "channels for JVM programs.",
        versionProvider = TaoCli.Version.class,
        synopsisSubcommandLabel = "COMMAND",
        commandListHeading = "%nCommands:%n",
        subcommands = {
            AuthCommand.class,
            AttestationCommand.class,
            DomainCommand.class,
            AuditCommand.class,
            SecretsCommand.class,
            MeasureCommand.class,
            HostCommand.class,
            ProgramCommands.Run.class,
            LaunchCommand.class,
            ProgramCommands.ListPrograms.class,
            ProgramCommands.Stop.class,
            ProgramCommands.Kill.class,
            DemoCommand.class,
            HelpCommand.class
        },
        footerHeading = "%nExamples:%n",
        footer = {
            "  tao auth encode 'key([4b657930]) says true'",
            "  tao attestation verify statement.att",
            "  tao domain newsoft soft-tao-keys",
            "  tao measure app.jar",
            "  tao host init --root && tao host start && tao run ./hello.sh",
            "  tao help auth",
            "",
            "Run 'tao COMMAND --help' for the details of a command."
        })
public final class TaoCli extends CommandGroup {
    /** Success. */
    public static final int EXIT_OK = 0;
    /** The input was bad; stderr has one line saying what and where. */
    public static final int EXIT_INPUT = 1;
    /** The command line was wrong; stderr says how and points to {@code --help}. */
    public static final int EXIT_USAGE = 2;
    /** A bug: an exception the command did not expect. */
    public static final int EXIT_INTERNAL = 3;

    /** Set to {@code 1} to get stack traces of internal errors. */
    static final String DEBUG_ENV = "TAO_DEBUG";

    @Option(
            names = {"-h", "--help"},
            usageHelp = true,
            scope = ScopeType.INHERIT,
            description = "Show this help and exit.")
    private boolean helpRequested;

    @Option(names = "--version", versionHelp = true, description = "Print the version and exit.")
    private boolean versionRequested;

    public static void main(String[] args) {
        System.exit(run(Io.system(), args));
    }

    /** Runs {@code tao args...} on the given streams and returns the exit status. */
    public static int run(Io io, String... args) {
        CommandLine cl;
        try {
            cl = commandLine(io);
        } catch (RuntimeException e) {
            // A mistake in the command annotations: picocli checks them here.
            return internalError(io, e);
        }
        return run(cl, io, args);
    }

    /** The command tree, wired to {@code io}, with this CLI's error handling. */
    static CommandLine commandLine(Io io) {
        CommandLine cl = new CommandLine(TaoCli.class, new IoFactory(io));
        // An argument such as @file would otherwise be replaced by the file's contents.
        cl.setExpandAtFiles(false);
        // Everything after the program's name is the program's own arguments.
        cl.getSubcommands().get("run").setStopAtPositional(true);
        cl.setColorScheme(CommandLine.Help.defaultColorScheme(
                io.colorAllowed() ? CommandLine.Help.Ansi.AUTO : CommandLine.Help.Ansi.OFF));
        cl.setOut(io.out());
        cl.setErr(io.err());
        cl.setParameterExceptionHandler(usageErrorHandler());
        cl.setExecutionExceptionHandler(executionErrorHandler(io));
        return cl;
    }

    /** Runs a command tree built by {@link #commandLine(Io)}, possibly with verbs added. */
    static int run(CommandLine cl, Io io, String... args) {
        int status;
        try {
            status = cl.execute(args);
        } catch (RuntimeException | Error e) {
            // picocli hands exceptions from commands to the handler; this catches Errors and
            // anything thrown by picocli itself.
            status = internalError(io, e);
        }
        if (!io.flushOut()) {
            io.err().println("tao: cannot write to standard output");
            if (status == EXIT_OK) {
                status = EXIT_INPUT;
            }
        }
        io.err().flush();
        return status;
    }

    private static IParameterExceptionHandler usageErrorHandler() {
        return (ParameterException e, String[] args) -> {
            CommandLine cmd = e.getCommandLine();
            PrintWriter err = cmd.getErr();
            String name = cmd.getCommandSpec().qualifiedName();
            err.println(name + ": " + oneLine(redactValues(e.getMessage(), args)));
            UnmatchedArgumentException.printSuggestions(e, err);
            err.println("Try '" + name + " --help' for more information.");
            return EXIT_USAGE;
        };
    }

    /**
     * A usage error quotes the arguments it did not understand, and a mistyped option may carry a
     * password ({@code --password=hunter2}, or {@code --passwd hunter2}). The message keeps the
     * option's name but never its value: values after {@code =} in option-like arguments, and the
     * argument after any option whose name mentions a password, secret or key, are replaced.
     */
    static String redactValues(String message, String[] args) {
        String out = message;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (!arg.startsWith("-")) {
                continue;
            }
            int eq = arg.indexOf('=');
            String optionName = eq < 0 ? arg : arg.substring(0, eq);
            if (eq >= 0 && eq < arg.length() - 1) {
                out = out.replace(arg, optionName + "=<redacted>");
            }
            String lower = optionName.toLowerCase(java.util.Locale.ROOT);
            boolean secretish = lower.contains("pass") || lower.contains("secret") || lower.contains("key");
            if (secretish && eq < 0 && i + 1 < args.length && !args[i + 1].isEmpty()) {
                out = out.replace("'" + args[i + 1] + "'", "'<redacted>'");
            }
        }
        return out;
    }

    private static IExecutionExceptionHandler executionErrorHandler(Io io) {
        return (Exception e, CommandLine cmd, CommandLine.ParseResult parsed) -> {
            if (e instanceof InputException) {
                cmd.getErr().println(cmd.getCommandSpec().qualifiedName() + ": " + oneLine(e.getMessage()));
                return EXIT_INPUT;
            }
            return internalError(io, e);
        };
    }

    private static int internalError(Io io, Throwable e) {
        String message = e.getMessage();
        io.err().println("tao: internal error: " + e.getClass().getName()
                + (message == null ? "" : ": " + oneLine(message)));
        if ("1".equals(io.env(DEBUG_ENV))) {
            e.printStackTrace(io.err());
        }
        return EXIT_INTERNAL;
    }

    /**
     * The message with line breaks and other control characters replaced, so an error is always
     * exactly one line and cannot move the terminal's cursor.
     */
    static String oneLine(String message) {
        StringBuilder out = new StringBuilder(message.length());
        for (int i = 0; i < message.length(); i++) {
            char c = message.charAt(i);
            out.append(Character.isISOControl(c) ? (c == '\n' || c == '\r' || c == '\t' ? ' ' : '?') : c);
        }
        return out.toString();
    }

    /** Builds commands, passing the {@link Io} to those whose constructor takes one. */
    private static final class IoFactory implements IFactory {
        private final Io io;

        IoFactory(Io io) {
            this.io = io;
        }

        @Override
        public <K> K create(Class<K> cls) throws Exception {
            for (Constructor<?> c : cls.getDeclaredConstructors()) {
                Class<?>[] params = c.getParameterTypes();
                if (params.length == 1 && params[0] == Io.class) {
                    c.setAccessible(true);
                    return cls.cast(c.newInstance(io));
                }
            }
            return CommandLine.defaultFactory().create(cls);
        }
    }

    /** The version Maven wrote into {@code version.properties} when it built this jar. */
    static final class Version implements IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"tao " + version()};
        }

        static String version() {
            Properties p = new Properties();
            try (InputStream in = TaoCli.class.getResourceAsStream("version.properties")) {
                if (in != null) {
                    p.load(in);
                }
            } catch (IOException e) {
                // An unreadable resource in our own jar: report the version as unknown.
            }
            return p.getProperty("version", "unknown");
        }
    }
}
