package dev.cloudproxy.tao.domain;

import dev.cloudproxy.tao.auth.Form;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.guard.AclGuard;
import dev.cloudproxy.tao.guard.ConservativeGuard;
import dev.cloudproxy.tao.guard.DatalogGuard;
import dev.cloudproxy.tao.guard.Guard;
import dev.cloudproxy.tao.guard.GuardException;
import dev.cloudproxy.tao.guard.LiberalGuard;
import dev.cloudproxy.tao.io.AtomicFiles;
import dev.cloudproxy.tao.keys.Argon2Params;
import dev.cloudproxy.tao.keys.InvalidKeySetException;
import dev.cloudproxy.tao.keys.Keys;
import dev.cloudproxy.tao.keys.Signer;
import dev.cloudproxy.tao.keys.Verifier;
import dev.cloudproxy.tao.keys.WrongPasswordException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A Tao domain: a policy key, its self-signed CA certificate, and a guard, kept in a directory:
 *
 * <pre>
 * tao.config        name, guard type, guard file ({@link DomainConfig})
 * tao.config.sig    the policy key's signature on tao.config
 * policy.cert.pem   the self-signed policy certificate ({@link PolicyCertificate})
 * rules.datalog     the guard's rules, signed by the policy key (acl: rules.acl; none for
 *                   liberal and conservative guards)
 * policy_keys/      the policy key set, encrypted under a password ({@link Keys})
 * </pre>
 *
 * <p><b>Trust.</b> The policy certificate is the root: loading checks that it is a well-formed CA
 * certificate whose self-signature verifies, and everything else loaded must be signed by its key
 * (the configuration's detached signature, the guard's rule file), or loading fails. Whoever
 * relies on a domain must still decide to trust its policy key, for example by comparing
 * {@link #policyPrincipal()} with a name obtained out of band; a directory can always be replaced
 * whole. The key set, when opened with {@link #loadWithKeys}, must hold the certificate's key.
 *
 * <p>A domain opened with its keys holds the policy's private key until {@link #close()}.
 */
public final class Domain implements AutoCloseable {
    public static final String CONFIG_FILE = "tao.config";
    public static final String CONFIG_SIGNATURE_FILE = "tao.config.sig";
    public static final String POLICY_CERT_FILE = "policy.cert.pem";
    public static final String POLICY_KEYS_DIR = "policy_keys";

    private final Path dir;
    private final DomainConfig config;
    private final X509Certificate certificate;
    private final Verifier policyKey;
    private final Guard guard;
    private final Keys keys;

    private Domain(Path dir, DomainConfig config, X509Certificate certificate, Verifier policyKey, Guard guard,
            Keys keys) {
        this.dir = dir;
        this.config = config;
        this.certificate = certificate;
        this.policyKey = policyKey;
        this.guard = guard;
        this.keys = keys;
    }

    /**
     * Whether {@code dir} holds any part of a domain (even a broken one or a dangling link), which
     * {@link #create} would refuse to overwrite.
     */
    public static boolean exists(Path dir) {
        for (String name : List.of(CONFIG_FILE, CONFIG_SIGNATURE_FILE, POLICY_CERT_FILE, POLICY_KEYS_DIR,
                GuardType.ACL.fileName(), GuardType.DATALOG.fileName())) {
            if (Files.exists(dir.resolve(name), LinkOption.NOFOLLOW_LINKS)) {
                return true;
            }
        }
        return false;
    }

    /** Creates a domain with {@link Argon2Params#DEFAULT}; see {@link #create(Path, DomainTemplate, char[], Argon2Params)}. */
    public static Domain create(Path dir, DomainTemplate template, char[] password) throws IOException, DomainException {
        return create(dir, template, password, Argon2Params.DEFAULT);
    }

    /**
     * Creates a domain in {@code dir} (made with mode 0700 if missing) from {@code template}: a
     * new policy key saved under {@code password}, its certificate, the guard with the template's
     * policy, and last the signed configuration, so a domain interrupted half-way never loads.
     * The returned domain holds the keys; close it.
     *
     * @throws DomainException if {@code dir} already holds a domain (or part of one), or the
     *     template's policy is refused by the guard
     */
    public static Domain create(Path dir, DomainTemplate template, char[] password, Argon2Params params)
            throws IOException, DomainException {
        Objects.requireNonNull(dir, "dir");
        Objects.requireNonNull(template, "template");
        Objects.requireNonNull(password, "password");
        if (exists(dir)) {
            throw new DomainException(dir + " already holds a domain");
        }
        AtomicFiles.createPrivateDirectories(dir);
        Keys keys = Keys.generate();
        try {
            keys.save(dir.resolve(POLICY_KEYS_DIR), password, params);
            Signer signer = keys.signer();
            X509Certificate cert = PolicyCertificate.create(signer, template.name(), template.x509(),
                    template.validityDays());
            AtomicFiles.write(dir.resolve(POLICY_CERT_FILE),
                    PolicyCertificate.toPem(cert).getBytes(StandardCharsets.US_ASCII), AtomicFiles.PUBLIC_READ);
            GuardType type = template.guardType();
            Optional<String> guardFile = type.hasRules() ? Optional.of(type.fileName()) : Optional.empty();
            Guard guard = newGuard(dir, type, guardFile, keys.verifier());
            try {
                for (Form rule : template.policy()) {
                    guard.addRule(rule);
                }
            } catch (GuardException e) {
                throw new DomainException("the template's policy is refused: " + e.getMessage(), e);
            }
            if (type.hasRules()) {
                guard.save(signer);
            }
            DomainConfig config = new DomainConfig(template.name(), type, guardFile);
            writeConfig(dir, config, signer);
            return new Domain(dir, config, cert, keys.verifier(), guard, keys);
        } catch (IOException | DomainException | RuntimeException e) {
            keys.close();
            throw e;
        }
    }

    /**
     * Loads the public parts of the domain in {@code dir}: enough to query its policy, not to
     * change it.
     *
     * @throws DomainException if the certificate is not a valid self-signed CA certificate, or the
     *     configuration or guard file is malformed or not signed by its key
     */
    public static Domain load(Path dir) throws IOException, DomainException {
        return load(dir, null);
    }

    /**
     * Loads the domain in {@code dir} with its policy key, to change its policy. The returned
     * domain holds the private key; close it.
     *
     * @throws WrongPasswordException if the password does not open the key set
     * @throws InvalidKeySetException if the key set is corrupt
     * @throws DomainException as for {@link #load(Path)}, or if the key set holds another key than
     *     the policy certificate's
     */
    public static Domain loadWithKeys(Path dir, char[] password)
            throws IOException, DomainException, WrongPasswordException, InvalidKeySetException {
        Objects.requireNonNull(password, "password");
        Keys keys = Keys.load(Objects.requireNonNull(dir, "dir").resolve(POLICY_KEYS_DIR), password);
        try {
            return load(dir, keys);
        } catch (IOException | DomainException | RuntimeException e) {
            keys.close();
            throw e;
        }
    }

    private static Domain load(Path dir, Keys keys) throws IOException, DomainException {
        Objects.requireNonNull(dir, "dir");
        X509Certificate cert = PolicyCertificate.verifyPem(
                AtomicFiles.readAtMost(dir.resolve(POLICY_CERT_FILE), PolicyCertificate.MAX_PEM_BYTES + 1),
                POLICY_CERT_FILE);
        Verifier policyKey = PolicyCertificate.policyKey(cert, POLICY_CERT_FILE);
        if (keys != null && !keys.verifier().equals(policyKey)) {
            throw new DomainException(POLICY_KEYS_DIR + " holds " + keys.principal()
                    + ", not the key of " + POLICY_CERT_FILE + " " + policyKey.principal());
        }
        DomainConfig config = DomainConfig.verifyAndParse(
                AtomicFiles.readAtMost(dir.resolve(CONFIG_FILE), DomainConfig.MAX_FILE_BYTES + 1),
                AtomicFiles.readAtMost(dir.resolve(CONFIG_SIGNATURE_FILE), DomainConfig.MAX_SIGNATURE_BYTES + 1),
                policyKey);
        if (!config.name().equals(PolicyCertificate.commonName(cert))) {
            throw new DomainException(CONFIG_FILE + " names the domain " + config.name()
                    + " but " + POLICY_CERT_FILE + " is for " + PolicyCertificate.commonName(cert));
        }
        Guard guard;
        try {
            guard = loadGuard(dir, config, policyKey);
        } catch (GuardException e) {
            throw new DomainException(config.guardFile().orElse("guard") + ": " + e.getMessage(), e);
        }
        return new Domain(dir, config, cert, policyKey, guard, keys);
    }

    private static Guard newGuard(Path dir, GuardType type, Optional<String> file, Verifier policyKey)
            throws IOException {
        return switch (type) {
            case LIBERAL -> LiberalGuard.INSTANCE;
            case CONSERVATIVE -> ConservativeGuard.INSTANCE;
            case ACL -> AclGuard.create(dir.resolve(file.orElseThrow()), policyKey);
            case DATALOG -> DatalogGuard.create(dir.resolve(file.orElseThrow()), policyKey);
        };
    }

    private static Guard loadGuard(Path dir, DomainConfig config, Verifier policyKey)
            throws IOException, GuardException {
        return switch (config.guardType()) {
            case LIBERAL -> LiberalGuard.INSTANCE;
            case CONSERVATIVE -> ConservativeGuard.INSTANCE;
            case ACL -> AclGuard.load(dir.resolve(config.guardFile().orElseThrow()), policyKey);
            case DATALOG -> DatalogGuard.load(dir.resolve(config.guardFile().orElseThrow()), policyKey);
        };
    }

    private static void writeConfig(Path dir, DomainConfig config, Signer signer) throws IOException {
        byte[] encoded = config.encode();
        // The signature first: until the configuration exists, the domain does not load.
        AtomicFiles.write(dir.resolve(CONFIG_SIGNATURE_FILE), DomainConfig.sign(encoded, signer), AtomicFiles.PUBLIC_READ);
        AtomicFiles.write(dir.resolve(CONFIG_FILE), encoded, AtomicFiles.PUBLIC_READ);
    }

    /** The domain's directory. */
    public Path directory() {
        return dir;
    }

    /** The domain's name (the policy certificate's common name). */
    public String name() {
        return config.name();
    }

    /** The type of the domain's guard. */
    public GuardType guardType() {
        return config.guardType();
    }

    /**
     * The domain's guard. For ACL and Datalog guards it reads its signed rule file, and rereads it
     * when it changes, accepting only files signed by the policy key. Changes made through it
     * last only once {@link #saveGuard()} wrote them.
     */
    public Guard guard() {
        return guard;
    }

    /** The self-signed policy certificate, checked when the domain was loaded. */
    public X509Certificate policyCertificate() {
        return certificate;
    }

    /** The policy key's public half. */
    public Verifier policyVerifier() {
        return policyKey;
    }

    /** {@code key([..])} of the policy key. */
    public Prin policyPrincipal() {
        return policyKey.principal();
    }

    /** Whether this domain was opened with its policy key, so it can change its policy. */
    public boolean hasPolicyKey() {
        return keys != null && !keys.isDestroyed();
    }

    /**
     * Signs the guard's current rules with the policy key and writes them, atomically, to the
     * guard file. Does nothing for fixed guards.
     *
     * @throws IllegalStateException if the domain was loaded without its keys, or closed
     */
    public void saveGuard() throws IOException {
        if (!hasPolicyKey()) {
            throw new IllegalStateException("the domain was loaded without its policy key");
        }
        guard.save(keys.signer());
    }

    /**
     * Issues a {@link ProgramCertificate} for {@code subjectKey} naming {@code principal}, signed by
     * the policy key. Whoever calls this has already decided that the key speaks for the principal
     * and that the domain's policy allows it.
     *
     * @throws IllegalStateException if the domain was loaded without its policy key, or closed
     */
    public X509Certificate issueCertificate(Verifier subjectKey, Prin principal, java.time.Duration lifetime,
            java.time.Instant now) {
        if (!hasPolicyKey()) {
            throw new IllegalStateException("the domain was loaded without its policy key");
        }
        return ProgramCertificate.issue(keys.signer(), certificate, subjectKey, principal, lifetime, now);
    }

    /**
     * Signs a {@link RevocationList} with the policy key: the given entries, CRL number
     * {@code number}, valid from {@code thisUpdate} to {@code nextUpdate}.
     *
     * @throws IllegalStateException if the domain was loaded without its policy key, or closed
     */
    public java.security.cert.X509CRL issueRevocationList(java.util.Collection<RevocationList.Entry> entries,
            java.math.BigInteger number, java.time.Instant thisUpdate, java.time.Instant nextUpdate) {
        if (!hasPolicyKey()) {
            throw new IllegalStateException("the domain was loaded without its policy key");
        }
        return RevocationList.issue(keys.signer(), certificate, entries, number, thisUpdate, nextUpdate);
    }

    /**
     * The policy key itself, for the policy statements that modules above core define and sign
     * under contexts of their own (disclosure directives, in key-management). Owned by this
     * domain: callers must not close it; it is destroyed with the domain.
     *
     * @throws IllegalStateException if the domain was loaded without its policy key, or closed
     */
    public Signer policySigner() {
        if (!hasPolicyKey()) {
            throw new IllegalStateException("the domain was loaded without its policy key");
        }
        return keys.signer();
    }

    /** Destroys the policy key, if this domain holds it. Idempotent. */
    @Override
    public void close() {
        if (keys != null) {
            keys.close();
        }
    }

    @Override
    public String toString() {
        return "Domain[" + config.name() + ", " + config.guardType().text() + ", " + dir + "]";
    }
}
