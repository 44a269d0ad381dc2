package dev.cloudproxy.tao.cli;

import dev.cloudproxy.tao.launcher.LaunchedProgram;
import dev.cloudproxy.tao.measurement.JvmProgram;
import dev.cloudproxy.tao.measurement.Measurement;
import dev.cloudproxy.tao.measurement.MeasurementException;
import java.io.File;
import java.io.IOException;
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
            "Print 'hash: HEX', then 'extension: Jvm(ext.Runtime([..]), ext.Agent(\"V\", [..]), "
                    + "ext.App([..]), ext.Config([..]))' (the principal extension a host gives the "
                    + "program), then one line per item that went in: its kind, its digest (or - for a "
                    + "value measured as it is) and its path or value. Paths are shown but not "
                    + "measured. See docs/measurement.md.",
            "",
            "With --launched, measure the app as 'java -jar tao-launcher.jar [options] app.jar' "
                    + "would: the launcher's agent with the option string it would pass, its JVM "
                    + "options (hardening flags included) and the app copied as it copies it; "
                    + "--cp, --main, --jvm-option and --java-home are passed to it; other launcher "
                    + "options go after '--', before the app jar, as on the launcher's command line. The extension is the one the launcher "
                    + "appends to its host's name (java -jar tao-launcher.jar --print-name prints "
                    + "the whole name)."
        },
        footerHeading = "%nExamples:%n",
        footer = {
            "  tao measure app.jar",
            "  tao measure app.jar --cp lib/a.jar:classes --main com.example.Main \\",
            "      --jvm-option -Xmx1g --jvm-option=--add-opens=java.base/java.lang=ALL-UNNAMED \\",
            "      --agent tao-agent.jar=verbose --java-home /usr/lib/jvm/java-17",
            "  tao measure --launched app.jar --jvm-option=-Xmx1g",
            "  tao measure --launched --launcher tao-launcher.jar -- --rule 'out 10.0.0.0/8 443 TAO' \\",
            "      --domain-service ds:8124 --policy-cert policy.pem app.jar",
            "",
            "Exit status: 0 if the program was measured, 1 if a file is missing, unreadable or "
                    + "malformed or an option cannot be measured, 2 on a usage error."
        })
final class MeasureCommand implements Callable<Integer> {
    private final Io io;

    @Parameters(paramLabel = "JAR", index = "0", description = "The app jar.")
    private String jar;

    @Parameters(paramLabel = "LAUNCHER-ARG", index = "1..*", description = "With --launched: the rest of the "
            + "launcher's command line: with '--', JAR is its first word ('-- --rule R app.jar').")
    private List<String> launcherArgs = new ArrayList<>();

    @Option(names = "--launched", description = "Measure the app as the launcher would run it (see above).")
    private boolean launched;

    @Option(names = "--launcher", paramLabel = "JAR", description = "With --launched: the tao-launcher.jar whose "
            + "agent to use (default: the launcher of this tao's build).")
    private String launcherJar;

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
        if (launched) {
            print(measureLaunched(), io.out());
            return TaoCli.EXIT_OK;
        }
        if (!launcherArgs.isEmpty() || launcherJar != null) {
            throw new InputException("only one JAR, unless --launched" + (launcherJar != null ? " (--launcher needs it)" : ""));
        }
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

    /** The launcher's command line from the options both take and the rest, then its measurement. */
    private Measurement measureLaunched() throws InputException {
        if (!agents.isEmpty()) {
            throw new InputException("--agent does not go with --launched: the launcher's agent is measured");
        }
        List<String> args = new ArrayList<>();
        classpath.forEach(cp -> args.add("--cp=" + cp));
        if (mainClass != null) {
            args.add("--main=" + mainClass);
        }
        jvmOptions.forEach(o -> args.add("--jvm-option=" + o));
        if (javaHome != null) {
            args.add("--java-home=" + javaHome);
        }
        // After '--' the first word may be a launcher option: the line goes on as the user wrote it.
        args.add(jar);
        args.addAll(launcherArgs);
        try (PrivateTemp scratch = PrivateTemp.create("tao-measure-")) {
            Path agent = scratch.dir().resolve("tao-agent.jar");
            if (launcherJar != null) {
                LaunchedProgram.agentOf(path(launcherJar), agent);
            } else {
                LaunchedProgram.bundledAgent(agent);
            }
            return LaunchedProgram.measure(args, agent, scratch.dir());
        } catch (IllegalArgumentException e) {
            throw new InputException(e.getMessage());
        } catch (IOException e) {
            throw new InputException("cannot measure as the launcher would: " + e.getMessage());
        }
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
