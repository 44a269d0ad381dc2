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
import java.util.Optional;
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
                    + "sealed keys and certificate. See docs/simple-example.md.",
            "",
            "--tpm2 roots the host in a TPM instead of the soft key: the TPM given by --tpm-device "
                    + "or --tpm-simulator, or else a swtpm the demo starts (its state in DIR/swtpm, so "
                    + "a second run with --dir finds the same TPM) and stops at the end. The domain "
                    + "then trusts the host's TPM and PCR values (TrustedTpm, TrustedTpmPcrs), and "
                    + "every name starts tpm2([..]).PCRs(..)."
        },
        footerHeading = "%nExamples:%n",
        footer = {
            "  tao demo",
            "  tao demo --dir demo-state    (run it twice: the second run unseals instead of certifying)",
            "  tao demo --tpm2              (on a swtpm the demo starts and stops; needs the swtpm package)",
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

    @Option(names = "--metrics",
            description = "Serve the host's and the domain service's metrics on local ports while the demo runs "
                    + "(Prometheus text format), and show what a scrape of each finds after the client's run.")
    private boolean metrics;

    @Option(names = "--tpm2", description = "Root the host in a TPM 2.0 (by default a swtpm the demo runs).")
    private boolean tpm2;

    @Option(names = "--tpm-device", paramLabel = "PATH", description = "With --tpm2: this TPM device, e.g. /dev/tpmrm0.")
    private Path tpmDevice;

    @Option(names = "--tpm-simulator", paramLabel = "HOST:PORT",
            description = "With --tpm2: this running TPM simulator instead of one the demo starts.")
    private String tpmSimulator;

    DemoCommand(Io io) {
        this.io = io;
    }

    @Override
    public Integer call() throws InputException {
        Optional<SimpleExampleDemo.TpmRoot> tpm = tpmRoot();
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
            tpm.ifPresent(demo::onTpm);
            if (metrics) {
                demo.withMetrics();
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

    private Optional<SimpleExampleDemo.TpmRoot> tpmRoot() throws InputException {
        if (!tpm2) {
            if (tpmDevice != null || tpmSimulator != null) {
                throw new InputException("--tpm-device and --tpm-simulator need --tpm2");
            }
            return Optional.empty();
        }
        if (tpmDevice != null && tpmSimulator != null) {
            throw new InputException("--tpm-device and --tpm-simulator exclude each other");
        }
        boolean given = tpmDevice != null || tpmSimulator != null;
        return Optional.of(new SimpleExampleDemo.TpmRoot(
                given ? Optional.of(TpmHost.spec(tpmDevice, tpmSimulator)) : Optional.empty()));
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
