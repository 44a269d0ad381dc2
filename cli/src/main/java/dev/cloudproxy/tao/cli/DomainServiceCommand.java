package dev.cloudproxy.tao.cli;

import dev.cloudproxy.tao.TaoException;
import dev.cloudproxy.tao.auth.AuthFormatException;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.domain.Domain;
import dev.cloudproxy.tao.metrics.MetricsEndpoint;
import dev.cloudproxy.tao.domain.DomainException;
import dev.cloudproxy.tao.domain.DomainServiceProtocol;
import dev.cloudproxy.tao.domainservice.CertificateRegistry;
import dev.cloudproxy.tao.domainservice.DomainService;
import dev.cloudproxy.tao.domainservice.CertificateStore;
import dev.cloudproxy.tao.domainservice.PostgresLocation;
import dev.cloudproxy.tao.domainservice.PostgresStore;
import dev.cloudproxy.tao.keys.InvalidKeySetException;
import dev.cloudproxy.tao.keys.WrongPasswordException;
import java.io.IOException;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code tao domain service} and {@code tao domain revoke}. */
final class DomainServiceCommand {
    private DomainServiceCommand() {}

    static Domain openWithKeys(Path dir, Passwords passwords, Io io) throws InputException {
        if (!Domain.exists(dir)) {
            throw new InputException(dir + " holds no domain");
        }
        try (Password password = passwords.forExistingKeys(io, "the policy key of " + dir)) {
            return Domain.loadWithKeys(dir, password.chars());
        } catch (WrongPasswordException e) {
            throw new InputException("wrong password for the policy key of " + dir);
        } catch (InvalidKeySetException e) {
            throw new InputException("the policy key set of " + dir + " is unusable: " + e.getMessage());
        } catch (IOException e) {
            throw InputException.file("cannot read the domain in " + dir, dir, e);
        } catch (DomainException e) {
            throw new InputException("cannot load the domain in " + dir + ": " + e.getMessage());
        }
    }

    /**
     * {@code HOST:PORT}, {@code [IPV6]:PORT} or {@code :PORT} (all interfaces); port 0 picks a
     * free one.
     */
    static InetSocketAddress parseListen(String text) {
        int colon = text.lastIndexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("expected HOST:PORT, got '" + text + "'");
        }
        String host = text.substring(0, colon);
        int port;
        try {
            port = Integer.parseInt(text.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a port number in '" + text + "'");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port out of range 0..65535 in '" + text + "'");
        }
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        return host.isEmpty() ? new InetSocketAddress(port) : new InetSocketAddress(host, port);
    }

    /** {@code 30d}, {@code 12h}, {@code 90m}, {@code 3600s}, or ISO-8601 such as {@code P30D}. */
    static Duration parseDuration(String text) {
        String t = text.strip().toLowerCase(Locale.ROOT);
        Duration d;
        try {
            if (t.startsWith("p")) {
                d = Duration.parse(t.toUpperCase(Locale.ROOT));
            } else if (t.length() >= 2 && t.substring(0, t.length() - 1).chars().allMatch(Character::isDigit)) {
                long n = Long.parseLong(t.substring(0, t.length() - 1));
                d = switch (t.charAt(t.length() - 1)) {
                    case 'd' -> Duration.ofDays(n);
                    case 'h' -> Duration.ofHours(n);
                    case 'm' -> Duration.ofMinutes(n);
                    case 's' -> Duration.ofSeconds(n);
                    default -> throw new IllegalArgumentException("unknown unit");
                };
            } else {
                throw new IllegalArgumentException("no unit");
            }
        } catch (DateTimeParseException | ArithmeticException | IllegalArgumentException e) {
            throw new IllegalArgumentException("expected a duration such as 30d, 12h, 90m, 3600s or P30D, got '"
                    + text + "'");
        }
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException("the duration must be positive, got '" + text + "'");
        }
        return d;
    }

    /**
     * {@code --store}, {@code --store-password-file} and {@code --store-pool}: where the domain
     * service's state is, for {@code tao domain service} and {@code tao domain revoke}.
     */
    static final class StoreOptions {
        /** Where the database password comes from when no file is given. */
        static final String PASSWORD_ENV = "TAO_STORE_PASSWORD";

        @Option(names = "--store", paramLabel = "ADDRESS",
                description = "Keep the state in PostgreSQL: postgresql://HOST[:PORT]/DATABASE?user=USER"
                        + "[&sslmode=MODE] (default: files in DIR). Never holds the password.")
        private String store;

        @Option(names = "--store-password-file", paramLabel = "FILE",
                description = "File holding the database password (else " + PASSWORD_ENV + ", else none).")
        private Path passwordFile;

        @Option(names = "--store-pool", paramLabel = "N",
                description = "Most database connections at once (default " + PostgresStore.DEFAULT_POOL_SIZE + ").")
        private int pool = PostgresStore.DEFAULT_POOL_SIZE;

        /**
         * The PostgreSQL store's address, or null for the files in DIR.
         *
         * @throws IllegalArgumentException on a malformed address or option (a usage error)
         */
        PostgresLocation location() {
            if (pool < 1 || pool > 1000) {
                throw new IllegalArgumentException("--store-pool must be in 1..1000");
            }
            if (store == null) {
                if (passwordFile != null) {
                    throw new IllegalArgumentException("--store-password-file needs --store");
                }
                return null;
            }
            return PostgresLocation.parse(store);
        }

        /** Opens the PostgreSQL store at {@code location}, the password from the file, the environment or none. */
        PostgresStore open(Io io, Domain domain, PostgresLocation location) throws InputException {
            char[] password;
            if (passwordFile != null) {
                password = Passwords.readFile(passwordFile);
            } else if (io.env(PASSWORD_ENV) != null) {
                password = io.env(PASSWORD_ENV).toCharArray();
            } else {
                password = new char[0];
            }
            try {
                return PostgresStore.open(domain, location, password, pool);
            } catch (IOException e) {
                // Typed store failures carry the remedy and never the password.
                throw new InputException("cannot open the store " + location + ": " + e.getMessage());
            } finally {
                Arrays.fill(password, '\0');
            }
        }
    }

    @Command(
            name = "service",
            description = {
                "Run the domain service of the domain in DIR in the foreground: a TLS 1.3 server that "
                        + "turns a program's attestation 'P says key(K) speaksfor P' into an X.509 program "
                        + "certificate signed by the policy key, once the chain verifies, roots in a host "
                        + "the domain trusts and the guard authorizes P (docs/domain-service.md).",
                "",
                "It prints the address it listens on to stdout, then serves until it is stopped "
                        + "(Ctrl-C or SIGTERM). Every decision is one line of the audit log; issued "
                        + "certificates go to DIR/issued/, and the CRL to DIR/crl.pem.",
                "",
                "With --store postgresql://..., issued certificates, revocations, CRLs and audit records go "
                        + "to that PostgreSQL database instead, and several services of the domain (replicas, "
                        + "on any machines with a copy of DIR) may share it. The database password comes "
                        + "from --store-password-file, else the " + StoreOptions.PASSWORD_ENV + " environment "
                        + "variable, else none (peer or trust authentication).",
                "",
                "The password of the policy key comes from --password-file, else the " + Passwords.ENV
                        + " environment variable, else a prompt; never from an argument."
            },
            sortOptions = false,
            footerHeading = "%nExamples:%n",
            footer = {
                "  tao domain service domain",
                "  tao domain service domain --listen 0.0.0.0:8124 --lifetime 7d --audit /var/log/tao-audit.log",
                "  tao domain service domain --metrics 127.0.0.1:9464",
                "  TAO_STORE_PASSWORD=... tao domain service domain --store 'postgresql://db:5432/tao?user=tao'",
                "",
                "Exit status: 0 when stopped, 1 if it cannot start (no domain, wrong password, address in "
                        + "use, database unreachable or refusing), 2 on a usage error."
            })
    static final class Service implements Callable<Integer> {
        private final Io io;

        @Spec
        private CommandSpec spec;

        @Mixin
        private Passwords passwords;

        @Parameters(index = "0", paramLabel = "DIR", description = "The domain directory.")
        private Path dir;

        @Option(names = "--listen", paramLabel = "HOST:PORT",
                description = "Address to listen on (default 127.0.0.1:" + DomainServiceProtocol.DEFAULT_PORT
                        + "; port 0 picks a free port).")
        private String listen = "127.0.0.1:" + DomainServiceProtocol.DEFAULT_PORT;

        @Option(names = "--lifetime", paramLabel = "DURATION",
                description = "Lifetime of issued certificates, e.g. 30d, 12h, P30D (default 30d).")
        private String lifetime = "30d";

        @Option(names = "--audit", paramLabel = "FILE", description = "Audit log (default DIR/audit.log).")
        private Path audit;

        @Option(names = "--metrics", paramLabel = "HOST:PORT",
                description = "Serve counters and gauges in the Prometheus text format at http://HOST:PORT/metrics "
                        + "(off by default; no authentication: give a local address).")
        private String metrics;

        @Mixin
        private StoreOptions storeOptions;

        Service(Io io) {
            this.io = io;
        }

        @Override
        public Integer call() throws InputException {
            InetSocketAddress address;
            InetSocketAddress metricsAddress = null;
            Duration life;
            PostgresLocation location = null;
            try {
                address = parseListen(listen);
                if (metrics != null) {
                    metricsAddress = parseListen(metrics);
                }
                life = parseDuration(lifetime);
                location = storeOptions.location();
                if (location != null && audit != null) {
                    throw new IllegalArgumentException("--audit names a file; with --store the audit records"
                            + " are in the database");
                }
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
            }
            if (address.isUnresolved()) {
                throw new InputException("--listen: cannot resolve " + address.getHostString());
            }
            try (Domain domain = openWithKeys(dir, passwords, io)) {
                DomainService.Builder b = DomainService.builder(domain).listen(address).lifetime(life);
                if (audit != null) {
                    b.auditLog(audit);
                }
                if (location != null) {
                    b.store(storeOptions.open(io, domain, location));
                }
                DomainService service;
                try {
                    service = b.start();
                } catch (IOException e) {
                    throw new InputException("cannot start the service on " + listen + ": " + e.getMessage());
                } catch (TaoException e) {
                    throw new InputException("cannot start the service: " + e.getMessage());
                }
                MetricsEndpoint endpoint = null;
                if (metricsAddress != null) {
                    try {
                        endpoint = MetricsEndpoint.start(metricsAddress, service.metrics());
                    } catch (IOException e) {
                        service.close();
                        throw new InputException("cannot serve metrics on " + metrics + ": " + e.getMessage());
                    }
                    io.err().println("tao domain service: metrics at http://" + endpoint.address().getAddress()
                            .getHostAddress() + ":" + endpoint.address().getPort() + MetricsEndpoint.PATH);
                }
                Thread hook = new Thread(service::close, "tao-domain-service-shutdown");
                Runtime.getRuntime().addShutdownHook(hook);
                try {
                    InetSocketAddress bound = service.address();
                    io.out().print("listening on " + bound.getAddress().getHostAddress() + ":" + bound.getPort() + "\n");
                    io.out().flush();
                    io.err().println("tao domain service: serving " + domain.name() + " (policy key "
                            + domain.policyPrincipal() + ") as " + service.servicePrincipal() + "; state in "
                            + service.store().description() + "; stop with Ctrl-C");
                    io.err().flush();
                    service.awaitClosed();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } finally {
                    service.close();
                    if (endpoint != null) {
                        endpoint.close();
                    }
                    try {
                        Runtime.getRuntime().removeShutdownHook(hook);
                    } catch (IllegalStateException shuttingDown) {
                        // The hook is running or has run: it closed the service.
                    }
                }
                io.err().println("tao domain service: stopped");
                return TaoCli.EXIT_OK;
            }
        }
    }

    @Command(
            name = "revoke",
            description = {
                "Revoke certificates the domain in DIR issued: add them to the certificate revocation "
                        + "list DIR/crl.pem, signed by the policy key (a running domain service serves the "
                        + "new list at once). Give serials (hex, as openssl prints them; colons allowed) "
                        + "or --principal for every recorded certificate of a principal.",
                "",
                "Revoking does not change the policy: to keep a program from getting a new certificate, "
                        + "also retract it with 'tao domain policy'.",
                "",
                "With --store postgresql://... (as given to 'tao domain service'), the revocations and the "
                        + "CRL are those in that database, which every replica serves at its next request.",
                "",
                "Prints each newly revoked serial on stdout. Needs the password of the policy key "
                        + "(--password-file, " + Passwords.ENV + ", or a prompt)."
            },
            footerHeading = "%nExamples:%n",
            footer = {
                "  tao domain revoke domain 1a2b3c...",
                "  tao domain revoke domain --principal 'key([..]).Program([..])'",
                "",
                "Exit status: 0 on success (also when everything named was already revoked), 1 on an "
                        + "error, 2 on a usage error."
            })
    static final class Revoke implements Callable<Integer> {
        private final Io io;

        @Spec
        private CommandSpec spec;

        @Mixin
        private Passwords passwords;

        @Parameters(index = "0", paramLabel = "DIR", description = "The domain directory.")
        private Path dir;

        @Parameters(index = "1..*", paramLabel = "SERIAL", description = "Serials to revoke (hex).")
        private List<String> serials = new ArrayList<>();

        @Option(names = "--principal", paramLabel = "PRIN",
                description = "Revoke every certificate recorded in DIR/issued/ (or the --store) for this principal.")
        private List<String> principals = new ArrayList<>();

        @Mixin
        private StoreOptions storeOptions;

        Revoke(Io io) {
            this.io = io;
        }

        @Override
        public Integer call() throws InputException {
            if (serials.isEmpty() && principals.isEmpty()) {
                throw new CommandLine.ParameterException(spec.commandLine(), "give a SERIAL or --principal");
            }
            PostgresLocation location;
            try {
                location = storeOptions.location();
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
            }
            Set<BigInteger> toRevoke = new LinkedHashSet<>();
            for (String s : serials) {
                try {
                    toRevoke.add(CertificateRegistry.parseSerial(s));
                } catch (IllegalArgumentException e) {
                    throw new InputException(e.getMessage());
                }
            }
            List<Prin> prins = new ArrayList<>();
            for (String p : principals) {
                try {
                    prins.add(Prin.parse(p));
                } catch (AuthFormatException e) {
                    throw new InputException("--principal: not a principal: " + e.getMessage());
                }
            }
            try (Domain domain = openWithKeys(dir, passwords, io);
                    PostgresStore database = location == null ? null : storeOptions.open(io, domain, location)) {
                CertificateStore registry = database != null ? database : new CertificateRegistry(domain);
                String issuedWhere = database != null ? database.description()
                        : dir.resolve(CertificateRegistry.ISSUED_DIR).toString();
                for (Prin p : prins) {
                    List<BigInteger> found = registry.issuedTo(p);
                    if (found.isEmpty()) {
                        throw new InputException("no certificate for " + p + " is recorded in " + issuedWhere);
                    }
                    toRevoke.addAll(found);
                }
                for (BigInteger serial : toRevoke) {
                    if (registry.issued(serial).isEmpty()) {
                        io.err().println("tao domain revoke: warning: " + CertificateRegistry.serialText(serial)
                                + " is not in " + issuedWhere + "; revoking it anyway");
                    }
                }
                List<BigInteger> added = registry.revoke(toRevoke, Instant.now());
                for (BigInteger serial : added) {
                    io.out().print(CertificateRegistry.serialText(serial) + "\n");
                }
                io.err().println("tao domain revoke: revoked " + added.size() + " certificate(s)"
                        + (added.size() < toRevoke.size() ? " (" + (toRevoke.size() - added.size())
                                + " already revoked)" : "")
                        + "; " + (database != null ? "the CRL in " + database.description()
                                : dir.resolve(CertificateRegistry.CRL_FILE).toString()) + " is up to date");
                return TaoCli.EXIT_OK;
            } catch (IOException e) {
                throw InputException.file("cannot update the revocations of " + dir, dir, e);
            } catch (TaoException e) {
                throw new InputException("cannot update the revocations of " + dir + ": " + e.getMessage());
            }
        }
    }
}
