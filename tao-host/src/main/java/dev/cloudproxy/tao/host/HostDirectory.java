package dev.cloudproxy.tao.host;

import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * The files of one host, all in one directory of mode 0700 (docs/host.md):
 *
 * <pre>
 * host.config, host.config.sig   what the host is; signed by the host's key
 * keys/                          root: keys.tao (under a password); stacked: keys.sealed (sealed
 *                                by the parent Tao); both: signer.pub.pem
 * delegation.att                 stacked: the parent's "key(K) speaksfor NAME", renewed at start
 * host.cert.pem                  in a domain: the host certificate, signed by the policy key
 * tao.sock                       the program socket (host RPC)
 * admin.sock                     the admin socket (owner only)
 * host.pid, host.log             the running daemon's process id and log
 * programs/                      private copies of programs while they run; on a root host one
 *                                directory run-* per run (ProgramRunner)
 * program-users                  root host: the user id of each program name (ProgramUserTable)
 * program-state/                 root host: one state directory per program user id
 * domain/                        with a domain service: the domain's public files and CRL, kept
 *                                fresh from the service (DomainFeed)
 * </pre>
 */
public record HostDirectory(Path root) {
    public static final String CONFIG = "host.config";
    public static final String CONFIG_SIGNATURE = "host.config.sig";
    public static final String KEYS = "keys";
    public static final String SEALED_KEYS = "keys.sealed";
    public static final String DELEGATION = "delegation.att";
    public static final String CERTIFICATE = "host.cert.pem";
    public static final String ADMIN_SOCKET = "admin.sock";
    public static final String PROGRAM_SOCKET = TaoRpcServer.SOCKET_NAME;
    public static final String PID = "host.pid";
    public static final String LOG = "host.log";
    public static final String PROGRAMS = "programs";
    /** The programs' rollback counters ({@link HostCounters}). */
    public static final String COUNTERS = "counters.tao";
    /** The cached public files of the host's domain ({@link DomainFeed}). */
    public static final String DOMAIN_CACHE = "domain";

    /** The environment variable naming the Tao home directory (default {@code ~/.tao}). */
    public static final String TAO_HOME_ENV = "TAO_HOME";

    public HostDirectory {
        root = Objects.requireNonNull(root, "root").toAbsolutePath().normalize();
    }

    /**
     * {@code $TAO_HOME/host}, with {@code TAO_HOME} defaulting, for a program of a root host, to
     * the state directory the host gives it by path ({@value ProgramRunner#STATE_DIR_ENV}: its
     * user id has no home of its own), else to {@code ~/.tao}.
     */
    public static HostDirectory defaultFor(Map<String, String> env, String userHome) {
        String home = env.get(TAO_HOME_ENV);
        Path base = home != null && !home.isBlank() ? Path.of(home)
                : ProgramRunner.stateDirectoryByPath(env).orElse(Path.of(userHome, ".tao"));
        return new HostDirectory(base.resolve("host"));
    }

    public Path config() {
        return root.resolve(CONFIG);
    }

    public Path configSignature() {
        return root.resolve(CONFIG_SIGNATURE);
    }

    public Path keys() {
        return root.resolve(KEYS);
    }

    public Path sealedKeys() {
        return keys().resolve(SEALED_KEYS);
    }

    public Path delegation() {
        return root.resolve(DELEGATION);
    }

    public Path certificate() {
        return root.resolve(CERTIFICATE);
    }

    public Path adminSocket() {
        return root.resolve(ADMIN_SOCKET);
    }

    public Path programSocket() {
        return root.resolve(PROGRAM_SOCKET);
    }

    public Path pidFile() {
        return root.resolve(PID);
    }

    public Path log() {
        return root.resolve(LOG);
    }

    public Path programs() {
        return root.resolve(PROGRAMS);
    }

    public Path counters() {
        return root.resolve(COUNTERS);
    }

    public Path domainCache() {
        return root.resolve(DOMAIN_CACHE);
    }
}
