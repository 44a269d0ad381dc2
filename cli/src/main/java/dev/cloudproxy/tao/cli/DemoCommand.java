package dev.cloudproxy.tao.cli;

import dev.cloudproxy.tao.io.AtomicFiles;
import dev.cloudproxy.tao.samples.simple.SimpleServer;
import java.io.File;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code tao demo}: SimpleExample end to end on a fresh domain, see {@link SimpleExampleDemo}. */
@Command(
        name = "demo",
        description = {
            "Run SimpleExample from nothing: create a domain on the development soft root, a host "
                    + "in it with a host certificate, trust the host and the three programs' "
                    + "measurements, then run SimpleDomainService, SimpleServer and SimpleClient "
                    + "as hosted programs. Print each program's name, the certificates issued, "
                    + "the peers of the Tao channel and the secret the client received (its own "
                    + "name followed by 43). Every process started is stopped before exiting.",
            "",
            "Without --dir everything is made in a temporary directory and removed afterwards. "
                    + "With --dir, a second run reuses the domain, the host and each program's "
                    + "sealed keys and certificate. See docs/simple-example.md."
        },
        footerHeading = "%nExamples:%n",
        footer = {
            "  tao demo",
            "  tao demo --dir demo-state    (run it twice: the second run unseals instead of certifying)",
            "",
            "Exit status: 0 if the client received its secret, 1 if a step failed (the message "
                    + "says which), 2 on a usage error."
        })
final class DemoCommand implements Callable<Integer> {
    // Held here: the logging framework keeps loggers only weakly, and would forget the level.
    private static final java.util.logging.Logger TAO_LOGS = java.util.logging.Logger.getLogger("dev.cloudproxy.tao");
    private final Io io;

    @Option(names = "--dir", paramLabel = "DIR",
            description = "Keep the domain, host and program state in DIR (made if missing) and reuse it.")
    private Path dir;

    @Option(names = "--export-client", paramLabel = "DIR",
            description = "Also write the client's certificate and private key (client.cert.pem, "
                    + "client.key.pem) to DIR, to try SimpleServer with other TLS clients. Takes the "
                    + "key out of the Tao: for demonstrations only.")
    private Path exportClient;

    @Option(names = "--hold",
            description = "Keep SimpleServer running after the client is done, until standard input "
                    + "ends or has a line (press Enter), e.g. to connect with openssl s_client.")
    private boolean hold;

    DemoCommand(Io io) {
        this.io = io;
    }

    @Override
    public Integer call() throws InputException {
        Path base;
        try {
            base = dir != null ? dir.toAbsolutePath() : Files.createTempDirectory("tao-demo-");
        } catch (IOException e) {
            throw new InputException("cannot make a temporary directory: " + e.getMessage());
        }
        SimpleExampleDemo.Jars jars = jars();
        // The in-process host logs each program start and exit; the demo says what matters itself.
        TAO_LOGS.setLevel(java.util.logging.Level.SEVERE);
        try (SimpleExampleDemo demo = new SimpleExampleDemo(base, io.out(), jars)) {
            if (exportClient != null) {
                demo.exportClient(exportClient);
            }
            if (hold) {
                demo.whileServing(address -> {
                    io.out().print("\nSimpleServer is still listening on " + address
                            + "; press Enter (or end standard input) to stop everything.\n");
                    io.out().flush();
                    try {
                        io.in().read();
                    } catch (IOException e) {
                        // stop anyway
                    }
                });
            }
            demo.run();
        } catch (SimpleExampleDemo.StepException e) {
            io.err().print("tao demo: step failed: " + e.getMessage() + "\n");
            return TaoCli.EXIT_INPUT;
        } finally {
            if (dir == null) {
                deleteTree(base);
            }
        }
        io.out().print("\nEvery program the demo started has stopped.\n");
        return TaoCli.EXIT_OK;
    }

    /**
     * The jar holding the samples and what it needs: from {@code tao-cli.jar} (shaded, all in one)
     * that jar alone; from a build's class path (tests), the jar holding the samples and every
     * other jar on the class path.
     */
    static SimpleExampleDemo.Jars jars() throws InputException {
        Path samples;
        try {
            samples = Path.of(SimpleServer.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException | RuntimeException e) {
            throw new InputException("cannot locate the sample programs' jar: " + e.getMessage());
        }
        if (!Files.isRegularFile(samples)) {
            throw new InputException("the sample programs are not in a jar (" + samples + "): build with "
                    + "'./mvnw -pl cli -am package' first");
        }
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path", ""));
        List<Path> others = new ArrayList<>();
        for (String entry : classpath.split(File.pathSeparator)) {
            if (entry.endsWith(".jar")) {
                Path p = Path.of(entry).toAbsolutePath();
                if (Files.isRegularFile(p) && !p.equals(samples.toAbsolutePath())) {
                    others.add(p);
                }
            }
        }
        boolean shaded = samples.getFileName().toString().equals("tao-cli.jar");
        return new SimpleExampleDemo.Jars(samples, shaded ? List.of() : others);
    }

    private void deleteTree(Path root) {
        try {
            AtomicFiles.deleteTree(root);
        } catch (IOException e) {
            io.err().print("tao demo: could not remove " + root + ": " + e.getMessage() + "\n");
        }
    }
}
