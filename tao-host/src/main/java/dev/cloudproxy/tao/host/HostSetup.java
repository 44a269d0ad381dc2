package dev.cloudproxy.tao.host;

import dev.cloudproxy.tao.AttestRequest;
import dev.cloudproxy.tao.CoreTao;
import dev.cloudproxy.tao.TaoException;
import dev.cloudproxy.tao.VerificationException;
import dev.cloudproxy.tao.attestation.Attestation;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.Speaksfor;
import dev.cloudproxy.tao.auth.SubPrin;
import dev.cloudproxy.tao.domain.Domain;
import dev.cloudproxy.tao.domain.ProgramCertificate;
import dev.cloudproxy.tao.guard.Guard;
import dev.cloudproxy.tao.guard.LiberalGuard;
import dev.cloudproxy.tao.io.AtomicFiles;
import dev.cloudproxy.tao.keys.Argon2Params;
import dev.cloudproxy.tao.keys.Keys;
import dev.cloudproxy.tao.keys.Verifier;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Creates host directories ({@code tao host init}) and opens them ({@code tao host start}).
 *
 * <p>Where a host's trust comes from is pluggable:
 * <ul>
 *   <li>a <b>root</b> host holds its own key set under a password (the soft root: it protects
 *       nothing from whoever has the directory and the password);
 *   <li>a <b>stacked</b> host takes any {@link CoreTao} as its parent: the parent seals the host's keys
 *       and delegates the host's name to the host's key. Over RPC ({@code CoreTao.parent()}) that makes
 *       a host that is itself a hosted program; over an in-process TPM Tao it makes a TPM-rooted
 *       host. The configuration records how to reach the parent again ({@code parentSpec}, e.g.
 *       {@code rpc:auto}); turning that text back into a {@code Tao} is the caller's business.
 * </ul>
 *
 * <p>The host's name is its key principal (root) or its parent's name (stacked), extended by the
 * subprincipal of the guard it enforces: the domain's guard, or {@link LiberalGuard} outside a
 * domain. In a domain the policy key also certifies the host's key for that name
 * ({@code host.cert.pem}).
 *
 * <p><b>Making a host is atomic.</b> {@code init} builds the whole directory aside, in a sibling
 * {@code .NAME.init-PID-START} (the making process's id and start time), and renames it into
 * place once every file is written and synced. A crash at any moment therefore leaves either no
 * host (and perhaps that sibling, which the next {@code init} removes once its process is gone) or
 * a complete one; never a directory that {@code init} calls a host and {@code start} does not.
 * {@link #stage} exposes the steps for a parent that keeps state in the host directory (a TPM).
 */
public final class HostSetup {
    /** How long a host certificate is valid (capped by the policy certificate's own expiry). */
    public static final Duration CERTIFICATE_LIFETIME = Duration.ofDays(365);

    private static final System.Logger LOG = System.getLogger(HostSetup.class.getName());
    private static final Set<PosixFilePermission> PRIVATE_DIRECTORY = PosixFilePermissions.fromString("rwx------");

    private HostSetup() {}

    /** What {@code init} made. */
    public record Initialized(HostConfig config, Optional<X509Certificate> certificate) {}

    /**
     * Who issues the host certificate during {@code init}, before the host is committed: the
     * domain's policy key in this process ({@link #byPolicyKey}), or the domain service through
     * TPM enrolment (the cli's {@code tao host init --tpm2 --domain-service}). If it throws,
     * nothing is committed.
     */
    @FunctionalInterface
    public interface HostCertifier {
        /** A certificate for {@code hostKey} naming {@code name}, from the domain's policy key. */
        X509Certificate certify(Verifier hostKey, Prin name) throws IOException, TaoException;
    }

    /** The certifier of a domain opened with its policy key. */
    public static HostCertifier byPolicyKey(Domain domain) {
        return (key, name) -> domain.issueCertificate(key, name, CERTIFICATE_LIFETIME, Instant.now());
    }

    /** Called at each step of {@code init} with the step's name; tests stop the process there. */
    static volatile Consumer<String> stepHook = step -> { };

    /**
     * A host directory being built aside: {@link #directory()} is where to write; the init methods
     * that take a {@code Staging} rename it into place when done. Closing it without that (a
     * failure) removes what was built.
     */
    public static final class Staging implements AutoCloseable {
        private final HostDirectory target;
        private final HostDirectory aside;
        private boolean committed;

        private Staging(HostDirectory target, HostDirectory aside) {
            this.target = target;
            this.aside = aside;
        }

        /** The directory being built, to hold the host's files until it becomes {@link #target()}. */
        public HostDirectory directory() {
            return aside;
        }

        /** Where the host will be. */
        public HostDirectory target() {
            return target;
        }

        /** Renames the built directory into place and makes the rename durable. */
        private void commit() throws IOException, HostException {
            if (committed) {
                throw new IllegalStateException("already committed");
            }
            try {
                // rename(2): the host appears whole or not at all. It replaces an empty directory
                // (one made for the host beforehand) and fails on anything else.
                Files.move(aside.root(), target.root(), StandardCopyOption.ATOMIC_MOVE);
            } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
                throw new HostException(target.root() + " was filled while the host was being made"
                        + " (another 'tao host init'?); nothing was changed there");
            }
            committed = true;
            stepHook.accept("renamed");
            AtomicFiles.syncDirectory(target.root().getParent());
        }

        @Override
        public void close() throws IOException {
            if (!committed) {
                AtomicFiles.deleteTree(aside.root());
            }
        }
    }

    /**
     * Starts making a host in {@code dir}: checks that there is none, removes what interrupted
     * {@code init}s left beside it, and creates the directory to build in (mode 0700).
     *
     * @throws HostException if {@code dir} holds a host or anything else, or another {@code init}
     *     is making a host there right now
     */
    public static Staging stage(HostDirectory dir) throws IOException, HostException {
        refuseExisting(dir);
        Path parent = dir.root().getParent();
        if (parent == null) {
            throw new HostException("a host directory cannot be the root of the file system");
        }
        AtomicFiles.createPrivateDirectories(parent);
        String prefix = "." + dir.root().getFileName() + ".init-";
        try (DirectoryStream<Path> leftovers = Files.newDirectoryStream(parent, prefix + "*")) {
            for (Path p : leftovers) {
                removeLeftover(dir, p, p.getFileName().toString().substring(prefix.length()));
            }
        }
        long pid = ProcessHandle.current().pid();
        OptionalLong start = ProcessStart.of(pid);
        Path aside = parent.resolve(prefix + pid + "-" + start.orElse(0));
        try {
            Files.createDirectory(aside, PosixFilePermissions.asFileAttribute(PRIVATE_DIRECTORY));
        } catch (FileAlreadyExistsException e) {
            throw new HostException("this process is already making a host in " + dir.root());
        }
        stepHook.accept("staged");
        return new Staging(dir, new HostDirectory(aside));
    }

    /** Removes a directory an interrupted {@code init} left, unless its process still runs. */
    private static void removeLeftover(HostDirectory dir, Path leftover, String owner) throws IOException, HostException {
        int dash = owner.indexOf('-');
        try {
            long pid = Long.parseLong(owner.substring(0, Math.max(dash, 0)));
            long start = Long.parseLong(owner.substring(dash + 1));
            OptionalLong now = ProcessStart.of(pid);
            if (now.isPresent() && now.getAsLong() == start) {
                throw new HostException("another 'tao host init' (process " + pid + ") is making a host in "
                        + dir.root() + "; wait for it to finish (its work is in " + leftover + ")");
            }
        } catch (NumberFormatException | IndexOutOfBoundsException e) {
            throw new HostException(leftover + " is in the way of 'tao host init' and was not made by it; remove it");
        }
        LOG.log(Level.INFO, "removing " + leftover + ", left by an interrupted 'tao host init'");
        AtomicFiles.deleteTree(leftover);
    }

    /**
     * Makes a root host in {@code dir}: a fresh key set saved under {@code password}, a signed
     * configuration and, with a domain (opened with its policy key), a host certificate.
     *
     * @throws HostException if {@code dir} already holds a host
     */
    public static Initialized initRoot(HostDirectory dir, char[] password, Optional<Domain> domain, Argon2Params params)
            throws IOException, HostException {
        try (Staging staging = stage(dir)) {
            return initRoot(staging, password, domain, params);
        }
    }

    /** As {@link #initRoot(HostDirectory, char[], Optional, Argon2Params)}, in a directory already staged. */
    public static Initialized initRoot(Staging staging, char[] password, Optional<Domain> domain, Argon2Params params)
            throws IOException, HostException {
        HostDirectory dir = staging.directory();
        SubPrin guard = guardOf(domain);
        try (Keys keys = Keys.generate()) {
            Prin name = keys.principal().extend(guard);
            HostConfig config = new HostConfig(HostConfig.Type.ROOT, keys.principal(), name, guard, Optional.empty(),
                    domain.map(d -> d.directory().toAbsolutePath().toString()));
            keys.save(dir.keys(), password, params);
            stepHook.accept("keys");
            try {
                return finish(staging, keys, config, domain.map(HostSetup::byPolicyKey));
            } catch (HostException e) {
                throw e;
            } catch (TaoException e) {
                throw new IllegalStateException("the policy key issues certificates without a TaoException", e);
            }
        }
    }

    /**
     * Makes a stacked host in {@code dir} under {@code parent}: a fresh key set sealed by the
     * parent, a delegation from the parent to the key, a signed configuration recording
     * {@code parentSpec}, and with a domain a host certificate.
     */
    public static Initialized initStacked(HostDirectory dir, CoreTao parent, String parentSpec, Optional<Domain> domain)
            throws IOException, TaoException {
        try (Staging staging = stage(dir)) {
            return initStacked(staging, parent, parentSpec, domain);
        }
    }

    /**
     * As {@link #initStacked(HostDirectory, Tao, String, Optional)}, in a directory already staged
     * (where a parent such as a TPM Tao may already keep its state).
     */
    public static Initialized initStacked(Staging staging, CoreTao parent, String parentSpec, Optional<Domain> domain)
            throws IOException, TaoException {
        return initStacked(staging, parent, parentSpec, domain, domain.map(HostSetup::byPolicyKey));
    }

    /**
     * As {@link #initStacked(Staging, CoreTao, String, Optional)}, the host certificate (if any)
     * from {@code certifier}; {@code domain} may then be opened without its policy key.
     */
    public static Initialized initStacked(Staging staging, CoreTao parent, String parentSpec, Optional<Domain> domain,
            Optional<HostCertifier> certifier) throws IOException, TaoException {
        HostDirectory dir = staging.directory();
        SubPrin guard = guardOf(domain);
        try (Keys keys = Keys.generate()) {
            Prin name = parent.getTaoName().extend(guard);
            HostConfig config = new HostConfig(HostConfig.Type.STACKED, keys.principal(), name, guard,
                    Optional.of(parentSpec), domain.map(d -> d.directory().toAbsolutePath().toString()));
            byte[] sealed = SealedKeys.seal(keys, parent);
            AtomicFiles.createPrivateDirectories(dir.keys());
            AtomicFiles.writeOwnerOnly(dir.sealedKeys(), sealed);
            AtomicFiles.write(dir.keys().resolve(Keys.PUBLIC_KEY_FILE),
                    keys.verifier().toPem().getBytes(StandardCharsets.US_ASCII), AtomicFiles.PUBLIC_READ);
            stepHook.accept("keys");
            HostCounters.initStacked(dir, keys, parent);
            writeDelegation(dir, delegate(parent, keys, name));
            stepHook.accept("delegation");
            return finish(staging, keys, config, certifier);
        }
    }

    private static Initialized finish(Staging staging, Keys keys, HostConfig config, Optional<HostCertifier> certifier)
            throws IOException, TaoException {
        HostDirectory dir = staging.directory();
        Optional<X509Certificate> cert = Optional.empty();
        if (certifier.isPresent()) {
            X509Certificate c = certifier.get().certify(keys.verifier(), config.name());
            AtomicFiles.write(dir.certificate(), ProgramCertificate.toPem(c).getBytes(StandardCharsets.US_ASCII),
                    AtomicFiles.PUBLIC_READ);
            cert = Optional.of(c);
            stepHook.accept("certificate");
        }
        byte[] encoded = config.encode();
        AtomicFiles.write(dir.configSignature(), HostConfig.sign(encoded, keys.signer()), AtomicFiles.PUBLIC_READ);
        stepHook.accept("signature");
        AtomicFiles.write(dir.config(), encoded, AtomicFiles.PUBLIC_READ);
        stepHook.accept("config");
        staging.commit();
        return new Initialized(config, cert);
    }

    private static void refuseExisting(HostDirectory dir) throws IOException, HostException {
        if (Files.exists(dir.config(), LinkOption.NOFOLLOW_LINKS)) {
            throw new HostException(dir.root() + " already holds a host; choose another directory or remove it first");
        }
        if (!Files.exists(dir.root(), LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (!Files.isDirectory(dir.root(), LinkOption.NOFOLLOW_LINKS)) {
            throw new HostException(dir.root() + " exists and is not a directory");
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir.root())) {
            if (entries.iterator().hasNext()) {
                // Not a host (no host.config), yet not empty: perhaps the remains of an init by an
                // earlier version, which wrote in place. Removing it is the owner's decision.
                throw new HostException(dir.root() + " is not empty but holds no host (no " + HostDirectory.CONFIG
                        + "), e.g. the remains of an interrupted 'tao host init' of an earlier version;"
                        + " remove it, or choose another directory");
            }
        }
    }

    private static SubPrin guardOf(Optional<Domain> domain) {
        return domain.map(d -> d.guard().subprincipal()).orElse(LiberalGuard.INSTANCE.subprincipal());
    }

    private static Attestation delegate(CoreTao parent, Keys keys, Prin name) throws IOException, TaoException {
        return parent.attest(AttestRequest.of(new Speaksfor(keys.principal(), name)).issuer(name));
    }

    private static void writeDelegation(HostDirectory dir, Attestation delegation) throws IOException {
        AtomicFiles.write(dir.delegation(), delegation.serialize(), AtomicFiles.PUBLIC_READ);
    }

    /**
     * The configuration as written, <em>not</em> checked against the host's key (that needs the
     * key, see {@code open*}): enough to decide how to open the host, or to show it.
     */
    public static HostConfig readConfig(HostDirectory dir) throws IOException, HostException {
        requireHost(dir);
        return HostConfig.parse(AtomicFiles.readAtMost(dir.config(), HostConfig.MAX_BYTES + 1));
    }

    /** The host key's public half, read without opening the keys. */
    public static Verifier readPublicKey(HostDirectory dir, HostConfig config) throws IOException, TaoException {
        if (config.type() == HostConfig.Type.ROOT) {
            return Keys.readVerifier(dir.keys());
        }
        return SealedKeys.publicKey(AtomicFiles.readAtMost(dir.sealedKeys(), SealedKeys.MAX_FILE_BYTES + 1));
    }

    /** The host certificate, if there is one (parsed, not verified). */
    public static Optional<X509Certificate> readCertificate(HostDirectory dir) throws IOException, HostException {
        if (!Files.exists(dir.certificate())) {
            return Optional.empty();
        }
        try {
            return Optional.of(ProgramCertificate.parsePem(AtomicFiles.readAtMost(dir.certificate(), 64 * 1024 + 1)));
        } catch (CertificateException e) {
            throw new HostException("host.cert.pem is not a certificate: " + e.getMessage());
        }
    }

    /**
     * Opens a root host with its password.
     *
     * @throws HostException if the directory does not hold a root host or its configuration is
     *     not signed by its key
     * @throws TaoException (a {@code WrongPasswordException}) if the password is wrong
     */
    public static OpenedHost openRoot(HostDirectory dir, char[] password) throws IOException, TaoException {
        requireHost(dir);
        if (Files.exists(dir.sealedKeys())) {
            throw new HostException(dir.root() + " holds a stacked host; it opens with its parent, not a password");
        }
        Keys keys = Keys.load(dir.keys(), password);
        try {
            HostConfig config = verifiedConfig(dir, keys);
            if (config.type() != HostConfig.Type.ROOT) {
                throw new HostException(dir.root() + " does not hold a root host");
            }
            Host host = Host.root(keys, config.guard()).withCounters(HostCounters.root(dir, keys));
            HostCounters.warnNotRollbackProtected(dir);
            return open(dir, config, keys, host);
        } catch (IOException | TaoException | RuntimeException e) {
            keys.close();
            throw e;
        }
    }

    /**
     * Opens a stacked host: the parent unseals its keys, must still have the name the host was
     * made under, and delegates that name to the host's key afresh (so the delegation's window
     * starts now). The host keeps its programs' rollback counters with the parent
     * ({@link HostCounters}) and forwards its programs' group-key requests to it ({@link Host#withParent}),
     * so {@code parent} must stay open while the host serves.
     *
     * @throws dev.cloudproxy.tao.StaleStateException if the host's counter table is older than
     *     the parent's counter for it (the directory was restored from an older copy)
     */
    public static OpenedHost openStacked(HostDirectory dir, CoreTao parent) throws IOException, TaoException {
        requireHost(dir);
        if (!Files.exists(dir.sealedKeys())) {
            throw new HostException(dir.root() + " holds a root host; it opens with its password");
        }
        Keys keys = SealedKeys.unseal(AtomicFiles.readAtMost(dir.sealedKeys(), SealedKeys.MAX_FILE_BYTES + 1), parent);
        try {
            HostConfig config = verifiedConfig(dir, keys);
            if (config.type() != HostConfig.Type.STACKED) {
                throw new HostException(dir.root() + " does not hold a stacked host");
            }
            Prin expected = parent.getTaoName().extend(config.guard());
            if (!expected.equals(config.name())) {
                throw new HostException("the parent's name changed since 'tao host init' (now " + expected + ")");
            }
            Attestation delegation = delegate(parent, keys, config.name());
            writeDelegation(dir, delegation);
            Host host = Host.stacked(keys, delegation).withCounters(HostCounters.stacked(dir, keys, parent))
                    .withParent(parent);
            return open(dir, config, keys, host);
        } catch (IOException | TaoException | RuntimeException e) {
            keys.close();
            throw e;
        }
    }

    private static void requireHost(HostDirectory dir) throws HostException {
        if (!Files.isRegularFile(dir.config())) {
            throw new HostException("no host in " + dir.root() + " (no " + HostDirectory.CONFIG
                    + "); make one with 'tao host init'");
        }
    }

    /** The configuration, its signature checked by the host's key before its text is parsed. */
    private static HostConfig verifiedConfig(HostDirectory dir, Keys keys) throws IOException, HostException {
        byte[] encoded = AtomicFiles.readAtMost(dir.config(), HostConfig.MAX_BYTES + 1);
        byte[] signature = AtomicFiles.readAtMost(dir.configSignature(), 1024);
        return HostConfig.verifyAndParse(encoded, signature, keys.verifier());
    }

    private static OpenedHost open(HostDirectory dir, HostConfig config, Keys keys, Host host)
            throws IOException, TaoException {
        Guard guard = LiberalGuard.INSTANCE;
        if (config.domain().isPresent()) {
            // With a domain service the policy comes from the cache it keeps fresh (DomainFeed),
            // not from a domain directory that may be on another machine.
            boolean cached = Files.isRegularFile(dir.domainCache().resolve(Domain.CONFIG_FILE));
            Domain domain = Domain.load(cached ? dir.domainCache() : Path.of(config.domain().get()));
            guard = domain.guard();
            if (!guard.subprincipal().equals(config.guard())) {
                LOG.log(Level.WARNING, "the domain's guard changed since 'tao host init': the host's name records "
                        + config.guard() + " but the guard is now " + guard.subprincipal()
                        + "; the host enforces the current guard (run 'tao host init' again to rename it)");
            }
            Optional<X509Certificate> cert = readCertificate(dir);
            if (cert.isEmpty()) {
                LOG.log(Level.WARNING, "the host is in a domain but has no host certificate");
            } else {
                try {
                    Prin certified = ProgramCertificate.verify(cert.get(), domain.policyCertificate(), Instant.now());
                    if (!certified.equals(config.name())
                            || !java.util.Arrays.equals(cert.get().getPublicKey().getEncoded(), keys.verifier().pkix())) {
                        LOG.log(Level.WARNING, "the host certificate names another host or key");
                    }
                } catch (VerificationException e) {
                    LOG.log(Level.WARNING, "the host certificate does not verify: " + e.getMessage());
                }
            }
        }
        // The guard that decides which programs execute also decides which names an app's state admits.
        return new OpenedHost(dir, config, keys, host.withGuard(guard), guard);
    }
}
