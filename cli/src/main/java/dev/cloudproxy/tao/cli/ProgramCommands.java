package dev.cloudproxy.tao.cli;

import dev.cloudproxy.tao.host.AdminClient;
import dev.cloudproxy.tao.host.HostDirectory;
import dev.cloudproxy.tao.host.HostException;
import dev.cloudproxy.tao.host.ProgramSpec;
import dev.cloudproxy.tao.proto.TaoAdminProtos.AdminProgram;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code tao run}, {@code tao list}, {@code tao stop}, {@code tao kill}: hosted programs, through a running host. */
final class ProgramCommands {
    private ProgramCommands() {}

    @Command(
            name = "run",
            description = {
                "Run PROGRAM as a hosted program of the running host: the host measures it, names it "
                        + "<host name>.Program([sha256]) (with --jvm: <host name>.Jvm(ext.Runtime(..), ext.Agent(..), ext.App(..), ext.Config(..))), and runs exactly "
                        + "the bytes it measured. Standard input, output and error are relayed, and tao run exits "
                        + "with the program's exit status.",
                "",
                "Arguments, environment and working directory (this one) are not measured. The program gets "
                        + "a fixed environment (PATH, LANG, HOME, TAO_HOST_SOCKET) plus each --env entry; "
                        + "variables that load code (LD_*, BASH_ENV, JAVA_TOOL_OPTIONS, ...) are refused.",
                "",
                "Options must come before PROGRAM; everything after it goes to the program."
            },
            footerHeading = "%nExamples:%n",
            footer = {
                "  tao run ./hello.sh world",
                "  tao run --jvm app.jar --flag",
                "  tao run --jvm --cp lib.jar --main com.example.Main --jvm-option -Xmx256m app.jar",
                "  tao run --detach /usr/bin/sleep 600",
                "",
                "Exit status: the program's, or 1 if it could not be started (no host, refused, not "
                        + "measurable), 2 on a usage error. With --detach, 0 once it started."
            })
    static final class Run implements Callable<Integer> {
        private final Io io;

        @Mixin
        private HostOption host;

        @Option(names = "--jvm", description = "PROGRAM is a jar, run on the host's Java runtime and measured as a JVM program.")
        private boolean jvm;

        @Option(names = "--main", paramLabel = "CLASS", description = "With --jvm: the main class (default: the jar's Main-Class).")
        private String mainClass;

        @Option(names = "--cp", paramLabel = "JAR", description = "With --jvm: another jar for the class path (repeatable).")
        private List<Path> classpath = new ArrayList<>();

        @Option(names = "--jvm-option", paramLabel = "OPT", description = "With --jvm: a JVM option, measured (repeatable).")
        private List<String> jvmOptions = new ArrayList<>();

        @Option(names = "--env", paramLabel = "NAME=VALUE", description = "An environment variable for the program (repeatable).")
        private List<String> env = new ArrayList<>();

        @Option(names = "--detach", description = "Start it in the background (input empty, output discarded); print its id.")
        private boolean detach;

        @Parameters(index = "0", paramLabel = "PROGRAM", description = "The executable, script or (with --jvm) jar.")
        private String program;

        @Parameters(index = "1..*", paramLabel = "ARGS", description = "Arguments for the program.")
        private List<String> args = new ArrayList<>();

        Run(Io io) {
            this.io = io;
        }

        @Override
        public Integer call() throws InputException {
            ProgramSpec spec;
            try {
                Path cwd = Path.of(System.getProperty("user.dir"));
                Path path = jvm ? cwd.resolve(program) : locate(program, cwd);
                spec = jvm ? ProgramSpec.jvm(path, args) : ProgramSpec.process(path, args);
                spec = spec.withEnv(env).withDirectory(cwd);
                if (jvm) {
                    spec = spec.withJvmOptions(jvmOptions)
                            .withClasspath(classpath.stream().map(p -> cwd.resolve(p)).toList());
                    if (mainClass != null) {
                        spec = spec.withMainClass(mainClass);
                    }
                } else if (mainClass != null || !classpath.isEmpty() || !jvmOptions.isEmpty()) {
                    throw new InputException("--main, --cp and --jvm-option need --jvm");
                }
            } catch (IllegalArgumentException e) {
                throw new InputException(e.getMessage());
            }
            HostDirectory dir = host.directory(io);
            try (AdminClient c = Admin.connect(dir)) {
                if (detach) {
                    AdminProgram p = c.start(spec);
                    io.out().println(p.getId());
                    io.err().println("tao run: started program " + p.getId() + " (pid " + p.getPid() + "): " + p.getName());
                    return TaoCli.EXIT_OK;
                }
                return c.run(spec, io.in(), io.outBytes(), io.errBytes(), p -> { });
            } catch (HostException | IOException e) {
                throw Admin.failed(dir, e);
            }
        }

        /** A name without a slash is looked up on the caller's PATH, as a shell would. */
        private Path locate(String name, Path cwd) throws InputException {
            if (name.contains("/")) {
                return cwd.resolve(name);
            }
            String path = io.env("PATH");
            if (path != null) {
                for (String d : path.split(File.pathSeparator)) {
                    Path p = Path.of(d.isEmpty() ? "." : d).resolve(name);
                    if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                        return cwd.resolve(p);
                    }
                }
            }
            throw new InputException(name + ": not found on PATH (give a path, e.g. ./" + name + ")");
        }
    }

    @Command(
            name = "list",
            description = "List the running host's programs: id, process id, Tao name, and the path it was started from.",
            footerHeading = "%nExamples:%n",
            footer = {
                "  tao list",
                "  tao list --host /srv/tao/host",
                "",
                "Exit status: 0, or 1 if no host is running there."
            })
    static final class ListPrograms implements Callable<Integer> {
        private final Io io;

        @Mixin
        private HostOption host;

        ListPrograms(Io io) {
            this.io = io;
        }

        @Override
        public Integer call() throws InputException {
            HostDirectory dir = host.directory(io);
            try (AdminClient c = Admin.connect(dir)) {
                List<AdminProgram> programs = c.list();
                io.err().println("host " + c.lastHostName() + ": " + programs.size() + " program(s) running");
                for (AdminProgram p : programs) {
                    io.out().println(p.getId() + "\t" + p.getPid() + "\t" + p.getName() + "\t" + p.getPath());
                }
                return TaoCli.EXIT_OK;
            } catch (HostException | IOException e) {
                throw Admin.failed(dir, e);
            }
        }
    }

    /** Stop or kill, then wait for the program to exit and print its status. */
    abstract static class End implements Callable<Integer> {
        private final Io io;

        @Mixin
        private HostOption host;

        @Parameters(paramLabel = "ID", description = "The program's id (see 'tao list').")
        private long id;

        End(Io io) {
            this.io = io;
        }

        abstract AdminProgram end(AdminClient c, long id) throws IOException, HostException;

        @Override
        public Integer call() throws InputException {
            HostDirectory dir = host.directory(io);
            try (AdminClient c = Admin.connect(dir)) {
                end(c, id);
                AdminProgram p = c.waitFor(id);
                io.out().println(p.getId() + "\texited " + p.getExitStatus());
                return TaoCli.EXIT_OK;
            } catch (HostException | IOException e) {
                throw Admin.failed(dir, e);
            }
        }
    }

    @Command(
            name = "stop",
            description = "Stop a hosted program (SIGTERM to it and to what it started) and wait until it exits.",
            footerHeading = "%nExamples:%n",
            footer = {
                "  tao stop 3",
                "",
                "Exit status: 0 once it exited, 1 if there is no such program or no host."
            })
    static final class Stop extends End {
        Stop(Io io) {
            super(io);
        }

        @Override
        AdminProgram end(AdminClient c, long id) throws IOException, HostException {
            return c.stop(id);
        }
    }

    @Command(
            name = "kill",
            description = "Kill a hosted program (SIGKILL to it and to what it started) and wait until it exits.",
            footerHeading = "%nExamples:%n",
            footer = {
                "  tao kill 3",
                "",
                "Exit status: 0 once it exited, 1 if there is no such program or no host."
            })
    static final class Kill extends End {
        Kill(Io io) {
            super(io);
        }

        @Override
        AdminProgram end(AdminClient c, long id) throws IOException, HostException {
            return c.kill(id);
        }
    }
}
