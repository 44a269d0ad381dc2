package dev.cloudproxy.tao.host;

import dev.cloudproxy.tao.AttestRequest;
import dev.cloudproxy.tao.Tao;
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
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Creates host directories ({@code tao host init}) and opens them ({@code tao host start}).
 *
 * <p>Where a host's trust comes from is pluggable:
 * <ul>
 *   <li>a <b>root</b> host holds its own key set under a password (the soft root: it protects
 *       nothing from whoever has the directory and the password);
 *   <li>a <b>stacked</b> host takes any {@link Tao} as its parent: the parent seals the host's keys
 *       and delegates the host's name to the host's key. Over RPC ({@code Tao.parent()}) that makes
 *       a host that is itself a hosted program; over an in-process TPM Tao it makes a TPM-rooted
 *       host. The configuration records how to reach the parent again ({@code parentSpec}, e.g.
 *       {@code rpc:auto}); turning that text back into a {@code Tao} is the caller's business.
 * </ul>
 *
 * <p>The host's name is its key principal (root) or its parent's name (stacked), extended by the
 * subprincipal of the guard it enforces: the domain's guard, or {@link LiberalGuard} outside a
 * domain. In a domain the policy key also certifies the host's key for that name
 * ({@code host.cert.pem}).
 */
public final class HostSetup {
    /** How long a host certificate is valid (capped by the policy certificate's own expiry). */
    public static final Duration CERTIFICATE_LIFETIME = Duration.ofDays(365);

    private static final System.Logger LOG = System.getLogger(HostSetup.class.getName());

    private HostSetup() {}

    /** What {@code init} made. */
    public record Initialized(HostConfig config, Optional<X509Certificate> certificate) {}

    /**
     * Makes a root host in {@code dir}: a fresh key set saved under {@code password}, a signed
     * configuration and, with a domain (opened with its policy key), a host certificate.
     *
     * @throws HostException if {@code dir} already holds a host
     */
    public static Initialized initRoot(HostDirectory dir, char[] password, Optional<Domain> domain, Argon2Params params)
            throws IOException, HostException {
        refuseExisting(dir);
        SubPrin guard = guardOf(domain);
        try (Keys keys = Keys.generate()) {
            Prin name = keys.principal().extend(guard);
            HostConfig config = new HostConfig(HostConfig.Type.ROOT, keys.principal(), name, guard, Optional.empty(),
                    domain.map(d -> d.directory().toAbsolutePath().toString()));
            AtomicFiles.createPrivateDirectories(dir.root());
            keys.save(dir.keys(), password, params);
            return finish(dir, keys, config, domain);
        }
    }

    /**
     * Makes a stacked host in {@code dir} under {@code parent}: a fresh key set sealed by the
     * parent, a delegation from the parent to the key, a signed configuration recording
     * {@code parentSpec}, and with a domain a host certificate.
     */
    public static Initialized initStacked(HostDirectory dir, Tao parent, String parentSpec, Optional<Domain> domain)
            throws IOException, TaoException {
        refuseExisting(dir);
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
            writeDelegation(dir, delegate(parent, keys, name));
            return finish(dir, keys, config, domain);
        }
    }

    private static Initialized finish(HostDirectory dir, Keys keys, HostConfig config, Optional<Domain> domain)
            throws IOException {
        Optional<X509Certificate> cert = Optional.empty();
        if (domain.isPresent()) {
            X509Certificate c = domain.get().issueCertificate(keys.verifier(), config.name(), CERTIFICATE_LIFETIME,
                    Instant.now());
            AtomicFiles.write(dir.certificate(), ProgramCertificate.toPem(c).getBytes(StandardCharsets.US_ASCII),
                    AtomicFiles.PUBLIC_READ);
            cert = Optional.of(c);
        }
        byte[] encoded = config.encode();
        // The signature first: a crash in between leaves no configuration, so no host.
        AtomicFiles.write(dir.configSignature(), HostConfig.sign(encoded, keys.signer()), AtomicFiles.PUBLIC_READ);
        AtomicFiles.write(dir.config(), encoded, AtomicFiles.PUBLIC_READ);
        return new Initialized(config, cert);
    }

    private static void refuseExisting(HostDirectory dir) throws HostException {
        for (Path p : new Path[] {dir.config(), dir.configSignature(), dir.keys()}) {
            if (Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
                throw new HostException(dir.root() + " already holds a host (" + p.getFileName()
                        + "); choose another directory or remove it first");
            }
        }
        if (Files.exists(dir.root()) && !Files.isDirectory(dir.root(), LinkOption.NOFOLLOW_LINKS)) {
            throw new HostException(dir.root() + " exists and is not a directory");
        }
    }

    private static SubPrin guardOf(Optional<Domain> domain) {
        return domain.map(d -> d.guard().subprincipal()).orElse(LiberalGuard.INSTANCE.subprincipal());
    }

    private static Attestation delegate(Tao parent, Keys keys, Prin name) throws IOException, TaoException {
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
            Host host = Host.root(keys, config.guard());
            return open(dir, config, keys, host);
        } catch (IOException | TaoException | RuntimeException e) {
            keys.close();
            throw e;
        }
    }

    /**
     * Opens a stacked host: the parent unseals its keys, must still have the name the host was
     * made under, and delegates that name to the host's key afresh (so the delegation's window
     * starts now).
     */
    public static OpenedHost openStacked(HostDirectory dir, Tao parent) throws IOException, TaoException {
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
            return open(dir, config, keys, Host.stacked(keys, delegation));
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
            Domain domain = Domain.load(Path.of(config.domain().get()));
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
        return new OpenedHost(dir, config, keys, host, guard);
    }
}
