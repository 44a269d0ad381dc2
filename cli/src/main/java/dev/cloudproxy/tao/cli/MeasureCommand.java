package dev.cloudproxy.tao.cli;

import dev.cloudproxy.tao.measurement.JvmProgram;
import dev.cloudproxy.tao.measurement.Measurement;
import dev.cloudproxy.tao.measurement.MeasurementException;
import java.io.File;
import java.io.PrintWriter;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code tao measure}: the measurement of a JVM program, and what went into it. */
@Command(
        name = "measure",
        description = {
            "Measure a JVM program: the app jar and every class path entry (the jar's Class-Path, "
                    + "then --cp, in order) by content, the main class, the JVM options, the agents "
                    + "and the Java runtime.",
            "",
            "Print 'hash: HEX', then 'extension: Jvm([HEX])' (the principal extension a host "
                    + "gives the program), then one line per item that went in: its kind, its "
                    + "digest (or - for a value measured as it is) and its path or value. Paths "
                    + "are shown but not measured. See docs/measurement.md."
        },
        footerHeading = "%nExamples:%n",
        footer = {
            "  tao measure app.jar",
            "  tao measure app.jar --cp lib/a.jar:classes --main com.example.Main \\",
            "      --jvm-option -Xmx1g --jvm-option=--add-opens=java.base/java.lang=ALL-UNNAMED \\",
            "      --agent tao-agent.jar=verbose --java-home /usr/lib/jvm/java-17",
            "",
            "Exit status: 0 if the program was measured, 1 if a file is missing, unreadable or "
                    + "malformed or an option cannot be measured, 2 on a usage error."
        })
final class MeasureCommand implements Callable<Integer> {
    private final Io io;

    @Parameters(paramLabel = "JAR", description = "The app jar.")
    private String jar;

    @Option(
            names = "--cp",
            paramLabel = "PATH",
            description = "More class path entries after the app jar, separated by the platform's "
                    + "path separator (':' on Unix); may be repeated. Jars or directories; no wildcards.")
    private List<String> classpath = new ArrayList<>();

    @Option(names = "--main", paramLabel = "CLASS", description = "The main class (default: the jar's Main-Class).")
    private String mainClass;

    @Option(
            names = "--jvm-option",
            paramLabel = "OPT",
            description = "A JVM option, one argument each (--jvm-option=--add-opens=M/P=ALL-UNNAMED); "
                    + "may be repeated. Order matters.")
    private List<String> jvmOptions = new ArrayList<>();

    @Option(
            names = "--agent",
            paramLabel = "JAR[=OPTIONS]",
            description = "A -javaagent jar and its options; may be repeated.")
    private List<String> agents = new ArrayList<>();

    @Option(names = "--java-home", paramLabel = "DIR", description = "The Java runtime (default: the one running tao).")
    private String javaHome;

    MeasureCommand(Io io) {
        this.io = io;
    }

    @Override
    public Integer call() throws InputException {
        JvmProgram.Builder b = JvmProgram.builder().jar(path(jar));
        List<Path> entries = new ArrayList<>();
        for (String cp : classpath) {
            for (String entry : cp.split(File.pathSeparator, -1)) {
                if (entry.isEmpty()) {
                    throw new InputException("empty entry in --cp " + cp);
                }
                entries.add(path(entry));
            }
        }
        b.classpath(entries);
        if (mainClass != null) {
            b.mainClass(mainClass);
        }
        try {
            b.jvmOptions(jvmOptions);
        } catch (IllegalArgumentException e) {
            throw new InputException(e.getMessage());
        }
        for (String agent : agents) {
            int eq = agent.indexOf('=');
            if (eq < 0) {
                b.agent(path(agent));
            } else {
                b.agent(path(agent.substring(0, eq)), agent.substring(eq + 1));
            }
        }
        if (javaHome != null) {
            b.runtime(path(javaHome));
        }
        Measurement m;
        try {
            m = b.build().measure();
        } catch (MeasurementException e) {
            throw new InputException(e.getMessage());
        }
        print(m, io.out());
        return TaoCli.EXIT_OK;
    }

    private static void print(Measurement m, PrintWriter out) {
        out.print("hash: " + m.hash().hex() + "\n");
        out.print("extension: " + m.extension() + "\n");
        for (Measurement.Item item : m.items()) {
            String digest = item.digest().map(d -> d.hex()).orElse("-");
            out.print(item.kind().label() + " " + digest + " " + TaoCli.oneLine(item.name()) + "\n");
        }
    }

    private static Path path(String name) throws InputException {
        try {
            return Path.of(name);
        } catch (InvalidPathException e) {
            throw new InputException("invalid file name: " + e.getReason());
        }
    }
}
