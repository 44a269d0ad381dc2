package dev.cloudproxy.tao.cli;

import dev.cloudproxy.tao.VerificationException;
import dev.cloudproxy.tao.channel.ProgramCredentials;
import dev.cloudproxy.tao.channel.RevocationChecker;
import dev.cloudproxy.tao.channel.TaoChannels;
import dev.cloudproxy.tao.domain.Domain;
import dev.cloudproxy.tao.domain.DomainException;
import dev.cloudproxy.tao.domain.ProgramCertificate;
import dev.cloudproxy.tao.host.HostConfig;
import dev.cloudproxy.tao.host.HostDirectory;
import dev.cloudproxy.tao.host.HostException;
import dev.cloudproxy.tao.host.HostService;
import dev.cloudproxy.tao.host.HostSetup;
import dev.cloudproxy.tao.host.OpenedHost;
import dev.cloudproxy.tao.io.AtomicFiles;
import dev.cloudproxy.tao.keys.InvalidKeySetException;
import dev.cloudproxy.tao.keys.Keys;
import dev.cloudproxy.tao.keys.Verifier;
import dev.cloudproxy.tao.keys.WrongPasswordException;
import dev.cloudproxy.tao.launch.CatalogException;
import dev.cloudproxy.tao.launch.LaunchCatalog;
import dev.cloudproxy.tao.launch.LaunchClient;
import dev.cloudproxy.tao.launch.LaunchEvidence;
import dev.cloudproxy.tao.launch.LaunchRecord;
import dev.cloudproxy.tao.launch.LaunchRecordVerifier;
import dev.cloudproxy.tao.launch.LaunchRefusedException;
import dev.cloudproxy.tao.launch.LaunchService;
import dev.cloudproxy.tao.launch.VerifiedLaunch;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code tao launch}: ask a host's launch service to run a catalog program, and verify launch
 * records offline ({@code tao launch verify}); {@code tao launch certify} gives an operator's key
 * set a certificate of the domain to launch with. See docs/launch.md.
 */
@Command(
        name = "launch",
        description = {
            "Ask a host's launch service (tao host start --launch-service) to run a program of its launch "
                    + "catalog, print what it printed, and write the host-signed launch record to --record FILE.",
            "",
            "The client authenticates with a key set (--keys DIR, its password from --password-file, else "
                    + Passwords.ENV + ", else a prompt) and a certificate the domain's policy key issued for it "
                    + "(--cert FILE: a program certificate, or one from 'tao launch certify'). The host's guard "
                    + "must hold Authorized(<that principal>, \"Launch\", \"NAME\"). The record is verified against "
                    + "--policy-cert and the nonce sent before anything is written."
        },
        synopsisSubcommandLabel = "[verify | certify]",
        commandListHeading = "%nCommands:%n",
        subcommands = {LaunchCommand.Verify.class, LaunchCommand.Certify.class},
        footerHeading = "%nExamples:%n",
        footer = {
            "  tao launch --host 10.0.0.5:7443 --policy-cert policy.cert.pem --keys me/ --cert me.cert.pem \\",
            "      --record hello.launch hello world",
            "  tao launch verify --policy-cert policy.cert.pem --output out.txt --crl crl.pem hello.launch",
            "",
            "Exit status: the program's exit status once the record verified; 1 if the host refused, the "
                    + "record does not verify or an input cannot be read; 2 on a usage error."
        })
final class LaunchCommand implements Callable<Integer> {
    /** Evidence and certificates are public: readable by everyone. */
    private static final java.util.Set<java.nio.file.attribute.PosixFilePermission> READABLE =
            java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--");

    private final Io io;

    @picocli.CommandLine.Spec
    private picocli.CommandLine.Model.CommandSpec spec;

    @Mixin
    private Passwords passwords;

    @Option(names = "--host", paramLabel = "HOST:PORT",
            description = "The host's launch service (here an address, not a host directory).")
    private String address;

    @Option(names = "--policy-cert", paramLabel = "FILE", description = "The domain's policy certificate (PEM).")
    private Path policyCert;

    @Option(names = "--keys", paramLabel = "DIR", description = "The client's key set (tao domain newsoft DIR).")
    private Path keys;

    @Option(names = "--cert", paramLabel = "FILE", description = "The certificate the policy key issued for that key (PEM).")
    private Path cert;

    @Option(names = "--record", paramLabel = "FILE", description = "Where to write the launch evidence (record, host certificate, nonce).")
    private Path record;

    @Parameters(index = "0", arity = "0..1", paramLabel = "NAME", description = "The catalog name of the program.")
    private String name;

    @Parameters(index = "1..*", paramLabel = "ARG", description = "Arguments, as many as the catalog entry allows.")
    private List<String> args = new ArrayList<>();

    LaunchCommand(Io io) {
        this.io = io;
    }

    @Override
    public Integer call() throws InputException {
        // Not 'required' in picocli: that would demand them of 'tao launch verify' and 'certify' too.
        if (address == null || policyCert == null || keys == null || cert == null || record == null || name == null) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                    "tao launch needs --host, --policy-cert, --keys, --cert, --record and NAME");
        }
        InetSocketAddress target;
        try {
            target = DomainServiceCommand.parseListen(address);
        } catch (IllegalArgumentException e) {
            throw new InputException("--host: " + e.getMessage());
        }
        X509Certificate policy = readCertificate(policyCert);
        X509Certificate mine = readCertificate(cert);
        LaunchClient.Result result;
        try (Password pw = passwords.forExistingKeys(io, "the key set in " + keys);
                Keys k = Keys.load(keys, pw.chars())) {
            TaoChannels channels = TaoChannels.of(ProgramCredentials.of(k.signer(), List.of(mine), policy));
            result = LaunchClient.launch(channels, target, name, args, LaunchClient.newNonce());
        } catch (WrongPasswordException e) {
            throw new InputException("the password does not open the key set in " + keys);
        } catch (InvalidKeySetException e) {
            throw new InputException("no usable key set in " + keys + ": " + e.getMessage());
        } catch (VerificationException e) {
            throw new InputException("--cert: " + e.getMessage());
        } catch (LaunchRefusedException e) {
            throw new InputException("the host refused: " + e.getMessage());
        } catch (IOException e) {
            throw new InputException("cannot launch at " + address + ": " + e.getMessage());
        }
        VerifiedLaunch v;
        try {
            v = LaunchRecordVerifier.forDomain(policy).verify(result.record(), result.hostCertificate(), result.nonce(),
                    result.output());
        } catch (VerificationException e) {
            throw new InputException("the launch record does not verify: " + e.getMessage());
        }
        try {
            AtomicFiles.write(record, result.evidence().encode(), READABLE);
        } catch (IOException e) {
            throw InputException.file("cannot write " + record, record, e);
        }
        try {
            io.outBytes().write(result.output());
            io.outBytes().flush();
        } catch (IOException e) {
            throw new InputException("cannot write the output: " + e.getMessage());
        }
        LaunchRecord r = v.record();
        if (r.mode().equals(LaunchCatalog.INTERACTIVE)) {
            // The client connects with LaunchClient.connect(record), which pins the recorded key.
            io.out().println("endpoint: " + r.endpoint());
            io.out().println("key: " + HexFormat.of().formatHex(r.programKey()));
            io.out().flush();
            io.err().println("tao launch: " + r.program() + " runs as pid " + r.pid() + " on " + v.host()
                    + "; record verified, written to " + record);
            io.err().flush();
            return TaoCli.EXIT_OK;
        }
        io.err().println("tao launch: " + r.program() + " ran as pid " + r.pid() + " on " + v.host() + ", exit "
                + r.exitStatus() + "; record verified, written to " + record);
        io.err().flush();
        return (int) Math.max(0, Math.min(255, r.exitStatus()));
    }

    static X509Certificate readCertificate(Path file) throws InputException {
        try {
            return ProgramCertificate.parsePem(AtomicFiles.readAtMost(file, 64 * 1024));
        } catch (IOException e) {
            throw InputException.file("cannot read " + file, file, e);
        } catch (CertificateException | RuntimeException e) {
            throw new InputException(file + " is not a PEM certificate");
        }
    }

    @Command(
            name = "verify",
            description = {
                "Verify launch evidence offline (written by tao launch --record): the host certificate against "
                        + "the policy certificate (valid now; with --crl, not revoked), the record's signature "
                        + "chain down to its root (a TPM quote on a TPM-rooted host), that the host certificate's "
                        + "key signed it, the nonce (--nonce HEX, else the one in the evidence) and, with "
                        + "--output, the SHA-256 of the output.",
                "",
                "On success print 'verified' and the record, one 'name: value' per line."
            },
            footerHeading = "%nExamples:%n",
            footer = {
                "  tao launch verify --policy-cert policy.cert.pem --output out.txt --crl crl.pem hello.launch",
                "  tao launch verify --policy-cert policy.cert.pem --domain-service ca:8124 --nonce 0a1b.. hello.launch",
                "",
                "Exit status: 0 if it verifies, 1 if it does not or cannot be read, 2 on a usage error."
            })
    static final class Verify implements Callable<Integer> {
        private final Io io;

        @Option(names = "--policy-cert", paramLabel = "FILE", required = true, description = "The domain's policy certificate (PEM).")
        private Path policyCert;

        @Option(names = "--output", paramLabel = "FILE", description = "The output the record must cover.")
        private Path output;

        @Option(names = "--nonce", paramLabel = "HEX", description = "The nonce the record must carry (a verifier's own).")
        private String nonce;

        @Option(names = "--crl", paramLabel = "FILE", description = "The domain's CRL (DER or PEM): the host certificate must not be on it.")
        private Path crl;

        @Option(names = "--domain-service", paramLabel = "HOST:PORT",
                description = "Fetch the domain's CRL from its domain service instead of --crl.")
        private String domainService;

        @Option(names = "--at", paramLabel = "UNIX_SECONDS", description = "Verify as of this time instead of now.")
        private Long at;

        @Parameters(paramLabel = "FILE", description = "The launch evidence.")
        private Path evidence;

        Verify(Io io) {
            this.io = io;
        }

        @Override
        public Integer call() throws InputException {
            X509Certificate policy = readCertificate(policyCert);
            LaunchRecordVerifier verifier = LaunchRecordVerifier.forDomain(policy);
            if (crl != null && domainService != null) {
                throw new InputException("--crl and --domain-service exclude each other");
            }
            try {
                if (crl != null) {
                    verifier = verifier.withCrl(AtomicFiles.readAtMost(crl, 4 << 20));
                }
                if (domainService != null) {
                    try {
                        verifier = verifier.withCrl(dev.cloudproxy.tao.domain.DomainServiceClient.create(
                                DomainServiceCommand.parseListen(domainService), policy).fetchCrlDer());
                    } catch (IllegalArgumentException x) {
                        throw new InputException("--domain-service: " + x.getMessage());
                    } catch (dev.cloudproxy.tao.TaoException x) {
                        throw new InputException("the domain service's CRL: " + x.getMessage());
                    }
                }
                if (at != null) {
                    verifier = verifier.at(Instant.ofEpochSecond(at));
                }
                LaunchEvidence e = LaunchEvidence.parse(AtomicFiles.readAtMost(evidence, LaunchEvidence.MAX_BYTES));
                byte[] expected = e.nonce();
                if (nonce != null) {
                    try {
                        expected = HexFormat.of().parseHex(nonce);
                    } catch (IllegalArgumentException x) {
                        throw new InputException("--nonce: not hex");
                    }
                }
                VerifiedLaunch v = output == null ? verifier.verify(e.record(), e.hostCertificate(), expected)
                        : verifier.verify(e.record(), e.hostCertificate(), expected,
                                AtomicFiles.readAtMost(output, 64 << 20));
                print(v, verifier.checksRevocation(), output != null);
                return TaoCli.EXIT_OK;
            } catch (VerificationException x) {
                throw new InputException(x.getMessage());
            } catch (IOException x) {
                throw new InputException("cannot read an input: " + x.getMessage());
            }
        }

        private void print(VerifiedLaunch v, boolean revocation, boolean outputChecked) {
            HexFormat hex = HexFormat.of();
            LaunchRecord r = v.record();
            var out = io.out();
            out.print("verified\n");
            out.print("host: " + v.host() + "\n");
            out.print("program: " + r.program() + "\n");
            out.print("catalog name: " + r.catalogName() + "\n");
            out.print("nonce: " + hex.formatHex(r.nonce()) + "\n");
            out.print("pid: " + r.pid() + "\n");
            out.print("mode: " + r.mode() + "\n");
            if (r.mode().equals(LaunchCatalog.INTERACTIVE)) {
                out.print("endpoint: " + r.endpoint() + "\n");
                out.print("key: " + hex.formatHex(r.programKey()) + "\n");
            }
            out.print("output sha256: " + hex.formatHex(r.outputSha256()) + (outputChecked ? " (matches --output)" : " (output not checked)") + "\n");
            out.print("exit status: " + r.exitStatus() + "\n");
            out.print("issued: " + v.issuedAt() + "\n");
            out.print("root: " + (v.rootedInTpmQuote() ? "TPM 2.0 quote" : "software key") + "\n");
            out.print("revocation: " + (revocation ? "checked against the CRL" : "NOT checked (no --crl or --domain-service)") + "\n");
            out.flush();
        }
    }

    @Command(
            name = "certify",
            description = {
                "Issue a certificate of the domain for an operator's key set, to launch with (tao launch --keys "
                        + "--cert). Needs the policy password: --policy-password-file, else " + HostCommand.POLICY_ENV
                        + ", else a prompt. Prints the key's principal, the name the guard must authorize: "
                        + "Authorized(key([..]), \"Launch\", \"NAME\")."
            },
            footerHeading = "%nExamples:%n",
            footer = {
                "  tao domain newsoft me/",
                "  tao launch certify --domain mydomain/ --keys me/ --out me.cert.pem",
                "",
                "Exit status: 0 on success, 1 if the domain, key set or password does not work, 2 on a usage error."
            })
    static final class Certify implements Callable<Integer> {
        private final Io io;

        @Option(names = "--domain", paramLabel = "DIR", required = true, description = "The domain.")
        private Path domain;

        @Option(names = "--keys", paramLabel = "DIR", required = true, description = "The operator's key set (its public key is read).")
        private Path keys;

        @Option(names = "--out", paramLabel = "FILE", required = true, description = "Where to write the certificate (PEM).")
        private Path out;

        @Option(names = "--days", paramLabel = "N", description = "Validity in days (default 30).")
        private int days = 30;

        @Option(names = "--policy-password-file", paramLabel = "FILE", description = "The domain's policy password, from FILE.")
        private Path policyPasswordFile;

        Certify(Io io) {
            this.io = io;
        }

        @Override
        public Integer call() throws InputException {
            if (days < 1 || days > 365) {
                throw new InputException("--days: 1 to 365");
            }
            try (Password pw = Passwords.obtain(io, policyPasswordFile, HostCommand.POLICY_ENV, "--policy-password-file",
                    "the policy key of " + domain, false)) {
                Verifier key = Keys.readVerifier(keys);
                Domain d = Domain.loadWithKeys(domain, pw.chars());
                try {
                    X509Certificate c = d.issueCertificate(key, key.principal(), Duration.ofDays(days), Instant.now());
                    AtomicFiles.write(out, ProgramCertificate.toPem(c).getBytes(java.nio.charset.StandardCharsets.US_ASCII),
                            READABLE);
                } finally {
                    d.close();
                }
                io.out().println(key.principal());
                return TaoCli.EXIT_OK;
            } catch (WrongPasswordException e) {
                throw new InputException("the policy password does not open the domain's key");
            } catch (InvalidKeySetException | DomainException e) {
                throw new InputException(e.getMessage());
            } catch (IOException e) {
                throw new InputException("cannot certify: " + e.getMessage());
            }
        }
    }

    /**
     * Starts the launch service of a host that serves ({@code tao host start --launch-service}):
     * TLS with the host's key and host certificate, clients of the host's domain, the host's guard,
     * the catalog in the host directory.
     */
    static LaunchService serve(HostDirectory dir, HostConfig config, OpenedHost opened, HostService service,
            InetSocketAddress address, List<InetSocketAddress> domainServices) throws InputException {
        try {
            X509Certificate hostCert = HostSetup.readCertificate(dir).orElseThrow(() -> new InputException(
                    "--launch-service needs a host in a domain, with a host certificate (tao host init --domain)"));
            Path domainDir = Path.of(config.domain().orElseThrow(() -> new InputException(
                    "--launch-service needs a host in a domain (tao host init --domain)")));
            if (domainServices.isEmpty()) {
                // Clients are certified by the domain: without its CRL a revoked client could still launch.
                throw new InputException("--launch-service needs --domain-service HOST:PORT: the launch service "
                        + "refuses revoked clients by the domain's CRL");
            }
            X509Certificate policy = Domain.load(domainDir).policyCertificate();
            LaunchCatalog catalog = LaunchCatalog.load(dir.root());
            TaoChannels channels = TaoChannels.builder(ProgramCredentials.of(opened.host().tlsSigner(),
                    List.of(hostCert), policy))
                    .revocation(RevocationChecker.fromDomainService(policy, domainServices).build())
                    .build();
            return LaunchService.start(address, channels, service.runner(), opened.guard(), catalog,
                    LaunchService.Limits.DEFAULT);
        } catch (CatalogException | DomainException | HostException e) {
            throw new InputException(e.getMessage());
        } catch (VerificationException e) {
            throw new InputException("the host certificate does not fit the host: " + e.getMessage());
        } catch (IOException e) {
            throw new InputException("cannot start the launch service on " + address + ": " + e.getMessage());
        }
    }
}
