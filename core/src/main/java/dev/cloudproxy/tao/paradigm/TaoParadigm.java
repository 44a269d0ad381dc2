package dev.cloudproxy.tao.paradigm;

import dev.cloudproxy.tao.AttestRequest;
import dev.cloudproxy.tao.DecryptionException;
import dev.cloudproxy.tao.CoreTao;
import dev.cloudproxy.tao.TaoException;
import dev.cloudproxy.tao.UnsealException;
import dev.cloudproxy.tao.Unsealed;
import dev.cloudproxy.tao.VerificationException;
import dev.cloudproxy.tao.attestation.Attestation;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.PrinExt;
import dev.cloudproxy.tao.auth.Speaksfor;
import dev.cloudproxy.tao.auth.SubPrin;
import dev.cloudproxy.tao.domain.DomainServiceClient;
import dev.cloudproxy.tao.domain.DomainServiceProtocol;
import dev.cloudproxy.tao.domain.ProgramCertificate;
import dev.cloudproxy.tao.io.AtomicFiles;
import dev.cloudproxy.tao.seal.RollbackProtectedFile;
import dev.cloudproxy.tao.seal.SealFormat;
import dev.cloudproxy.tao.keys.Crypter;
import dev.cloudproxy.tao.keys.Signer;
import dev.cloudproxy.tao.keys.Verifier;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The Tao paradigm of the CloudProxy papers in one call: a program's signing key, its symmetric
 * key and its program certificate, created at first start and restored from sealed state later.
 *
 * <pre>{@code
 * try (TaoParadigm p = TaoParadigm.builder(CoreTao.parent(), Path.of("state"))
 *         .policyCertificate(policyCert)
 *         .domainService(new InetSocketAddress("ca.example", 8124))
 *         .open()) {
 *     p.principal();          // key([host]).Program([..]).PolicyKey([policy hash])
 *     p.signer(); p.certificateChain(); p.policyCertificate();   // for a TLS context
 *     byte[] box = p.protect(secret);
 * }
 * }</pre>
 *
 * <p>{@link Builder#open()}:
 * <ol>
 *   <li>extends the program's Tao name with {@code PolicyKey([h])}, h the hash of the policy key
 *       ({@link DomainServiceProtocol#policyKeyExtension}), unless the name already ends with it:
 *       the name, and so everything sealed to it, is then specific to this domain;
 *   <li>if the state directory holds {@value #KEYS_FILE}, unseals it (it opens only for the same
 *       full name on the same host, and only if it is the program's current state: an older copy
 *       is refused with {@link dev.cloudproxy.tao.StaleStateException}) and reads the keys;
 *       otherwise makes a new ECDSA P-256 signing key and AES-256 key and writes them
 *       rollback-protected ({@link RollbackProtectedFile}, label {@value #KEYS_LABEL}). A file
 *       written before rollback protection existed is read once and rewritten protected.
 *       With {@link Builder#sealPolicy} {@code app:<app-id>}, the keys are sealed to the app
 *       instead of the exact name: a new version the host's guard admits to the app opens them
 *       (keys sealed to the program's own name earlier are moved to the app policy on first use);
 *   <li>if {@value #CERT_FILE} holds a certificate that verifies against the policy certificate,
 *       names this program and certifies its key, and is not within the renewal threshold of its
 *       expiry, uses it; otherwise asks its Tao for {@code P says key(K) speaksfor P}, trades it at
 *       the domain service for a certificate ({@link DomainServiceClient}) and writes it (so a
 *       new version with the same keys gets a certificate naming its new name). If a
 *       renewal fails while the old certificate is still valid, the old one is kept (and a warning
 *       logged); {@link #renewCertificate()} renews on demand.
 * </ol>
 * Files are written with {@link AtomicFiles} (temporary file, fsync, rename; mode 0600), the keys
 * before the certificate is asked for, so a crash at any point leaves state that the next start
 * completes. Use one state directory per program and domain, opened by one process at a time.
 *
 * <p>Guarantees: the keys are never on disk except sealed by the Tao; a state directory copied to
 * another program, another host or (through the name extension) used with another domain does not
 * open ({@link TaoException}); the certificate returned always verified against the policy
 * certificate given, which the caller must obtain from a source it trusts.
 *
 * <p>{@link #protect}/{@link #unprotect}: AES-256-GCM with the program's own key, in a versioned
 * format ({@code 0x01 | Crypter ciphertext}, associated data a fixed context string). Any change,
 * truncation or another program's data gives the same {@link DecryptionException}.
 *
 * <p>Thread-safe. {@link #close()} destroys the keys.
 */
public final class TaoParadigm implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(TaoParadigm.class.getName());
    /** The sealed key file in the state directory. */
    public static final String KEYS_FILE = "program-keys.sealed";
    /** The program's counter label for {@value #KEYS_FILE}. */
    public static final String KEYS_LABEL = "tao.paradigm.keys";
    /** The program certificate in the state directory (PEM). */
    public static final String CERT_FILE = "program.cert.pem";
    /** Format version of {@link #protect}'s output. */
    public static final byte PROTECT_VERSION = 1;

    private static final byte[] STATE_MAGIC = "TAOP".getBytes(StandardCharsets.US_ASCII);
    private static final byte STATE_VERSION = 1;
    private static final int MAX_STATE_FILE = 64 << 10;
    private static final byte[] PROTECT_CONTEXT = "Tao Paradigm Protect V1\0".getBytes(StandardCharsets.US_ASCII);

    private final CoreTao tao;
    private final Path dir;
    private final X509Certificate policyCertificate;
    private final DomainServiceClient client;
    private final List<X509Certificate> hostCertificates;
    private final Duration renewWithin;
    private final Clock clock;
    private final Prin principal;
    private final Signer signer;
    private final Crypter crypter;
    private volatile X509Certificate certificate;

    private TaoParadigm(Builder b, Prin principal, Signer signer, Crypter crypter) {
        this.tao = b.tao;
        this.dir = b.dir;
        this.policyCertificate = b.policyCertificate;
        this.client = b.client;
        this.hostCertificates = b.hostCertificates;
        this.renewWithin = b.renewWithin;
        this.clock = b.clock;
        this.principal = principal;
        this.signer = signer;
        this.crypter = crypter;
    }

    /** Starts configuring the paradigm for the program whose Tao is {@code tao}, keeping state in {@code stateDirectory}. */
    public static Builder builder(CoreTao tao, Path stateDirectory) {
        return new Builder(tao, stateDirectory);
    }

    /** Configuration. The policy certificate and the domain service are required. */
    public static final class Builder {
        private final CoreTao tao;
        private final Path dir;
        private X509Certificate policyCertificate;
        private List<InetSocketAddress> service;
        private DomainServiceClient client;
        private List<X509Certificate> hostCertificates = List.of();
        private Duration renewWithin;
        private Duration timeout = DomainServiceClient.DEFAULT_TIMEOUT;
        private Clock clock = Clock.systemUTC();
        private String sealPolicy = CoreTao.SEAL_POLICY_SELF;

        private Builder(CoreTao tao, Path dir) {
            this.tao = Objects.requireNonNull(tao, "tao");
            this.dir = Objects.requireNonNull(dir, "stateDirectory");
        }

        /** The domain's policy certificate, from a source the program trusts. */
        public Builder policyCertificate(X509Certificate cert) {
            this.policyCertificate = Objects.requireNonNull(cert, "cert");
            return this;
        }

        /** Where the domain service listens. */
        public Builder domainService(InetSocketAddress address) {
            this.service = List.of(Objects.requireNonNull(address, "address"));
            return this;
        }

        /**
         * Where the domain service's replicas listen (at least one): each certification tries
         * them in turn and fails over as {@link DomainServiceClient} describes.
         */
        public Builder domainServices(List<InetSocketAddress> addresses) {
            if (addresses.isEmpty()) {
                throw new IllegalArgumentException("at least one domain service address is needed");
            }
            this.service = List.copyOf(addresses);
            return this;
        }

        /** Host certificates to send with the attestation (when the domain trusts hosts by certificate). */
        public Builder hostCertificates(List<X509Certificate> certs) {
            this.hostCertificates = List.copyOf(certs);
            return this;
        }

        /**
         * Renew the certificate when less than this is left of it (default: a third of its
         * lifetime).
         */
        public Builder renewWithin(Duration threshold) {
            if (threshold.isNegative()) {
                throw new IllegalArgumentException("renewWithin must not be negative");
            }
            this.renewWithin = threshold;
            return this;
        }

        /** Connect and read timeout for the domain service (default 30 s). */
        public Builder timeout(Duration timeout) {
            this.timeout = Objects.requireNonNull(timeout, "timeout");
            return this;
        }

        /**
         * What the keys are sealed to: {@code self} (default: the exact name, with its
         * {@code PolicyKey} extension) or {@code app:<app-id>} (any name the host's guard admits
         * to the app; the host must offer app policies).
         *
         * @throws IllegalArgumentException for another policy or a malformed app id
         */
        public Builder sealPolicy(String policy) {
            Objects.requireNonNull(policy, "policy");
            if (!policy.equals(CoreTao.SEAL_POLICY_SELF) && SealFormat.appId(policy).isEmpty()) {
                throw new IllegalArgumentException("the paradigm's keys are sealed to \"self\" or to \"app:<app-id>\"");
            }
            this.sealPolicy = policy;
            return this;
        }

        /** The clock certificates are checked against (tests). */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * Restores or creates the program's keys and certificate as described on {@link TaoParadigm}.
         *
         * @throws TaoException if the sealed state does not open for this program (another
         *     program, host or domain, or altered), the service refuses, or a certificate does not
         *     check out
         * @throws IOException if the state cannot be read or written, or the service cannot be reached
         */
        public TaoParadigm open() throws IOException, TaoException {
            if (policyCertificate == null || service == null) {
                throw new IllegalStateException("policyCertificate and domainService are required");
            }
            Prin policy = Verifier.fromPkix(policyCertificate.getPublicKey().getEncoded()).principal();
            this.client = DomainServiceClient.create(service, policyCertificate).withTimeout(timeout).withClock(clock);
            PrinExt ext = DomainServiceProtocol.policyKeyExtension(policy);
            if (!tao.getTaoName().lastExtension().map(ext::equals).orElse(false)) {
                tao.extendTaoName(SubPrin.of(ext));
            }
            Prin principal = tao.getTaoName();
            AtomicFiles.createPrivateDirectories(dir);
            Path keysFile = dir.resolve(KEYS_FILE);
            Signer signer;
            Crypter crypter;
            byte[][] keys = readKeys(tao, keysFile, dir, principal, sealPolicy);
            if (keys != null) {
                try {
                    signer = Signer.fromSecretKeyMaterial(keys[0]);
                    crypter = Crypter.fromSecretKeyMaterial(keys[1]);
                } catch (IllegalArgumentException e) {
                    throw new TaoException("the sealed program state in " + dir + " holds malformed keys");
                } finally {
                    Arrays.fill(keys[0], (byte) 0);
                    Arrays.fill(keys[1], (byte) 0);
                }
            } else {
                signer = Signer.generate();
                crypter = Crypter.generate();
                byte[] plain = encodeKeys(signer, crypter);
                try {
                    RollbackProtectedFile.write(tao, keysFile, KEYS_LABEL, plain, sealPolicy);
                } catch (IOException | TaoException | RuntimeException e) {
                    signer.close();
                    crypter.close();
                    throw e;
                } finally {
                    Arrays.fill(plain, (byte) 0);
                }
            }
            TaoParadigm p = new TaoParadigm(this, principal, signer, crypter);
            try {
                p.loadOrRenewCertificate();
            } catch (IOException | TaoException | RuntimeException e) {
                p.close();
                throw e;
            }
            return p;
        }
    }

    private static byte[] readIfPresent(Path file) throws IOException {
        try {
            byte[] b = AtomicFiles.readAtMost(file, MAX_STATE_FILE + 1);
            if (b.length > MAX_STATE_FILE) {
                throw new IOException(file + " is larger than " + MAX_STATE_FILE + " bytes");
            }
            return b;
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    /**
     * The two keys in the state file, or null if there is none; the caller zeroes them. A file in
     * the format before rollback protection is read once and rewritten protected.
     */
    private static byte[][] readKeys(CoreTao tao, Path keysFile, Path dir, Prin principal, String policy)
            throws IOException, TaoException {
        byte[] plain;
        try (Unsealed u = RollbackProtectedFile.read(tao, keysFile, KEYS_LABEL, MAX_STATE_FILE, policy)) {
            if (u == null) {
                return null;
            }
            plain = u.data();
            if (RollbackProtectedFile.needsRewrite(u, policy)) {
                for (byte[] k : decodeKeys(plain.clone(), dir)) { // never rewrite what does not parse
                    Arrays.fill(k, (byte) 0);
                }
                RollbackProtectedFile.migrate(tao, keysFile, KEYS_LABEL, plain, policy);
                LOG.log(System.Logger.Level.INFO, "rewrote " + keysFile + " rollback-protected under policy " + policy);
            }
        } catch (UnsealException e) {
            throw new TaoException("the program state in " + dir + " does not unseal for " + principal + ": "
                    + (policy.equals(CoreTao.SEAL_POLICY_SELF)
                            ? "another program, host or domain sealed it, or it was altered"
                            : "another host sealed it, or the exact name of an earlier version (run that version"
                                    + " once with this launcher: it moves its keys to " + policy + "), or it was altered")
                    + "; to start afresh instead (a new key and certificate), move it away", e);
        }
        return decodeKeys(plain, dir);
    }

    /** Decodes and zeroes {@code plain}. */
    private static byte[][] decodeKeys(byte[] plain, Path dir) throws TaoException {
        try {
            ByteBuffer in = ByteBuffer.wrap(plain);
            byte[] magic = new byte[STATE_MAGIC.length];
            if (in.remaining() < magic.length + 1) {
                throw malformedState(dir);
            }
            in.get(magic);
            if (!Arrays.equals(magic, STATE_MAGIC) || in.get() != STATE_VERSION) {
                throw malformedState(dir);
            }
            byte[][] keys = new byte[2][];
            for (int i = 0; i < 2; i++) {
                if (in.remaining() < 2) {
                    throw malformedState(dir);
                }
                int n = Short.toUnsignedInt(in.getShort());
                if (n > in.remaining()) {
                    throw malformedState(dir);
                }
                keys[i] = new byte[n];
                in.get(keys[i]);
            }
            if (in.hasRemaining()) {
                throw malformedState(dir);
            }
            return keys;
        } finally {
            Arrays.fill(plain, (byte) 0);
        }
    }

    private static TaoException malformedState(Path dir) {
        return new TaoException("the sealed program state in " + dir + " is malformed");
    }

    /** {@code "TAOP" | version 1 | u16 length | signer scalar | u16 length | AES key}. */
    private static byte[] encodeKeys(Signer signer, Crypter crypter) {
        byte[] s = signer.exportSecretKeyMaterial();
        byte[] c = crypter.exportSecretKeyMaterial();
        try {
            return ByteBuffer.allocate(STATE_MAGIC.length + 1 + 2 + s.length + 2 + c.length)
                    .put(STATE_MAGIC).put(STATE_VERSION)
                    .putShort((short) s.length).put(s)
                    .putShort((short) c.length).put(c)
                    .array();
        } finally {
            Arrays.fill(s, (byte) 0);
            Arrays.fill(c, (byte) 0);
        }
    }

    private void loadOrRenewCertificate() throws IOException, TaoException {
        X509Certificate stored = null;
        byte[] pem = readIfPresent(dir.resolve(CERT_FILE));
        if (pem != null) {
            try {
                stored = checked(ProgramCertificate.parsePem(pem));
            } catch (CertificateException | VerificationException | IllegalArgumentException e) {
                LOG.log(System.Logger.Level.INFO, "the stored program certificate in {0} is not usable ({1}); "
                        + "asking for a new one", dir, e.getMessage());
            }
        }
        if (stored == null) {
            renewCertificate();
            return;
        }
        certificate = stored;
        if (dueForRenewal(stored)) {
            try {
                renewCertificate();
            } catch (IOException | TaoException e) {
                LOG.log(System.Logger.Level.WARNING, "renewing the program certificate failed ({0}); "
                        + "keeping the current one, valid until {1}", e.getMessage(), stored.getNotAfter().toInstant());
            }
        }
    }

    /** The certificate, if it verifies now, names this program and certifies its key. */
    private X509Certificate checked(X509Certificate cert) throws VerificationException {
        Prin named = ProgramCertificate.verify(cert, policyCertificate, clock.instant());
        if (!named.equals(principal)) {
            throw new VerificationException("it names " + named + ", not " + principal);
        }
        if (!Arrays.equals(cert.getPublicKey().getEncoded(), signer.verifier().pkix())) {
            throw new VerificationException("it certifies another key");
        }
        return cert;
    }

    private boolean dueForRenewal(X509Certificate cert) {
        Instant notBefore = cert.getNotBefore().toInstant();
        Instant notAfter = cert.getNotAfter().toInstant();
        Duration threshold = renewWithin != null ? renewWithin : Duration.between(notBefore, notAfter).dividedBy(3);
        return !clock.instant().plus(threshold).isBefore(notAfter);
    }

    /**
     * Gets a new program certificate for the same key now: a fresh attestation from the Tao,
     * traded at the domain service, checked, and stored atomically.
     *
     * @throws TaoException if the Tao or the service refuses, or the certificate does not check out
     * @throws IOException if the service cannot be reached or the state cannot be written
     */
    public synchronized X509Certificate renewCertificate() throws IOException, TaoException {
        Attestation a = tao.attest(AttestRequest.of(new Speaksfor(signer.principal(), principal)));
        X509Certificate cert = checked(client.certify(a, signer.verifier(), hostCertificates));
        AtomicFiles.writeOwnerOnly(dir.resolve(CERT_FILE), ProgramCertificate.toPem(cert).getBytes(StandardCharsets.US_ASCII));
        certificate = cert;
        return cert;
    }

    /** The program's principal name, with the {@code PolicyKey} extension. */
    public Prin principal() {
        return principal;
    }

    /** The program's signing key (the key its certificate certifies). Closed with this object. */
    public Signer signer() {
        return signer;
    }

    /** The current program certificate. */
    public X509Certificate certificate() {
        return certificate;
    }

    /** The chain to present in TLS: the program certificate (the policy certificate is the trust anchor). */
    public List<X509Certificate> certificateChain() {
        return List.of(certificate);
    }

    /** The domain's policy certificate, as given. */
    public X509Certificate policyCertificate() {
        return policyCertificate;
    }

    /** The state directory. */
    public Path stateDirectory() {
        return dir;
    }

    /** Encrypts and authenticates {@code data} with the program's own key. */
    public byte[] protect(byte[] data) {
        Objects.requireNonNull(data, "data");
        byte[] inner = crypter.encrypt(data, PROTECT_CONTEXT);
        byte[] out = new byte[1 + inner.length];
        out[0] = PROTECT_VERSION;
        System.arraycopy(inner, 0, out, 1, inner.length);
        return out;
    }

    /**
     * Checks and decrypts what {@link #protect} made.
     *
     * @throws DecryptionException for any failure, always the same
     */
    public byte[] unprotect(byte[] protectedData) throws DecryptionException {
        Objects.requireNonNull(protectedData, "protectedData");
        if (protectedData.length < 1 || protectedData[0] != PROTECT_VERSION) {
            throw new DecryptionException("decryption failed");
        }
        return crypter.decrypt(Arrays.copyOfRange(protectedData, 1, protectedData.length), PROTECT_CONTEXT);
    }

    /** Destroys the keys; idempotent. The Tao is the caller's. */
    @Override
    public void close() {
        signer.close();
        crypter.close();
    }

    @Override
    public String toString() {
        return "TaoParadigm[" + principal + ", keys redacted]";
    }
}
