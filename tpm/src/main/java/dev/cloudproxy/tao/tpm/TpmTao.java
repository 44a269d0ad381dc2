package dev.cloudproxy.tao.tpm;

import dev.cloudproxy.tao.AttestRequest;
import dev.cloudproxy.tao.CoreTao;
import dev.cloudproxy.tao.TaoException;
import dev.cloudproxy.tao.UnsealException;
import dev.cloudproxy.tao.Unsealed;
import dev.cloudproxy.tao.VerificationException;
import dev.cloudproxy.tao.attestation.Attestation;
import dev.cloudproxy.tao.attestation.AttestationVerifier;
import dev.cloudproxy.tao.attestation.Tpm2Pcrs;
import dev.cloudproxy.tao.attestation.Tpm2Quote;
import dev.cloudproxy.tao.auth.Form;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.Says;
import dev.cloudproxy.tao.auth.SubPrin;
import dev.cloudproxy.tao.domain.Enrollment;
import dev.cloudproxy.tao.io.AtomicFiles;
import dev.cloudproxy.tao.keys.Crypter;
import dev.cloudproxy.tao.keys.Deriver;
import dev.cloudproxy.tao.keys.Verifier;
import dev.cloudproxy.tao.seal.GroupKeys;
import dev.cloudproxy.tao.seal.RollbackCounters;
import dev.cloudproxy.tao.seal.SealFormat;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.DERSequence;
import tss.Tpm;
import tss.tpm.CreatePrimaryResponse;
import tss.tpm.CreateResponse;
import tss.tpm.QuoteResponse;
import tss.tpm.StartAuthSessionResponse;
import tss.tpm.TPM2B_PRIVATE;
import tss.tpm.TPML_PCR_SELECTION;
import tss.tpm.TPMS_NULL_SIG_SCHEME;
import tss.tpm.TPMS_PCR_SELECTION;
import tss.tpm.TPMS_SENSITIVE_CREATE;
import tss.tpm.TPMS_SIGNATURE_ECC;
import tss.tpm.TPMT_PUBLIC;
import tss.tpm.TPMT_SYM_DEF;
import tss.tpm.TPM_ALG_ID;
import tss.tpm.TPM_HANDLE;
import tss.tpm.TPM_RH;
import tss.tpm.TPM_SE;

/**
 * A Tao rooted in a TPM 2.0.
 *
 * <p><b>Name.</b> {@code tpm2([SHA-256 of the attestation key's PKIX DER]).PCRs("list", "values")}:
 * the attestation key (AK) is a restricted ECDSA P-256 signing key, a primary key of the
 * endorsement hierarchy made distinct by a random value kept in this Tao's state (so the same TPM
 * recreates the same key, and nothing else can); the PCR values are read when the Tao is opened.
 * {@link #extendTaoName} appends to that name.
 *
 * <p><b>Attestation.</b> {@link #attest} asks the TPM for a quote of the PCRs whose nonce is the
 * digest of the statement ({@link Tpm2Quote#nonceFor}); the result is a {@code tpm2} attestation
 * that {@link AttestationVerifier} checks like any other (signature, nonce, PCR digest against the
 * PCRs in the issuer's name). Quoting needs the PCRs to still hold the values of the name: after
 * they change, attesting fails instead of producing something that would not verify.
 *
 * <p><b>Sealing.</b> Hybrid: for each blob the TPM seals a fresh 32-byte seed under the storage
 * root key with a policy that releases it only while the PCRs hold the values of this Tao's name
 * ({@code TPM2_PolicyPCR}); the data is encrypted in software with AES-256-GCM under a key derived
 * from that seed and this Tao's deriving key, with the seal format's conventions (versioned, the
 * policy in the blob and authenticated, the caller's or the Tao's name as associated data). The
 * deriving key is itself TPM-sealed to the PCRs in this Tao's state. So a blob opens only on this
 * TPM, in this PCR state, for this Tao (anyone can make sealed objects under the storage root key,
 * but not with this Tao's deriving key), for the name the policy binds. After a PCR changes,
 * {@link #unseal} fails, and so does opening the Tao.
 *
 * <p><b>Shared secrets</b> are derived from the TPM-sealed deriving key as in
 * {@link SealFormat#sharedSecret}, and <b>group keys</b> as in {@link GroupKeys} for groups whose
 * members all extend this Tao's name as it was opened (a TPM Tao has no parent to ask).
 *
 * <p><b>Rollback counters</b> ({@link #rollbackProtectedSeal}) are kept in {@value #COUNTERS_FILE}
 * in this Tao's directory, encrypted under a key derived from the TPM-sealed deriving key and
 * anchored in a TPM NV counter of this Tao (its index is in the state): each commit of the table
 * costs one {@code TPM2_NV_Increment}, changes made while a commit is in flight share the next
 * one (concurrent callers are batched; a lone caller is committed at once), and a table older
 * than the NV counter is refused when the Tao opens ({@link AnchoredCounterStore} states the
 * commit protocol and its crash window).
 * Rollback-protected blobs are sealed in {@link SealFormat} under that key (no other TPM command
 * per seal). After {@link #releaseConnection}, the Tao connects to the TPM only for those
 * increments, so a host can keep it while it serves without holding the TPM.
 *
 * <p>{@link #getRandomBytes} comes from the JDK's {@link SecureRandom} (one TPM command per 32
 * bytes would be slow); keys this class generates mix in the TPM's own random bytes.
 *
 * <p>State on disk ({@value #STATE_FILE}, mode 0600, written atomically): the PCR list, the AK's
 * random value and the TPM-sealed deriving key. Without this TPM in this PCR state it is useless.
 * Thread-safe; a host can use it in-process as its parent Tao.
 */
public final class TpmTao implements CoreTao, AutoCloseable {
    /** The state file in a TPM Tao's directory. */
    public static final String STATE_FILE = "tpm-tao.state";
    /**
     * The PCR a TPM-rooted host extends with its own measurement before it serves
     * ({@link TpmConnection#extendPcrOnce}): PCR 23, "application support" in the PC Client
     * profile, which nothing else in a usual boot chain extends.
     */
    public static final int HOST_PCR = 23;

    private static final byte[] STATE_MAGIC = {'T', 'A', 'O', 'T'};
    private static final int STATE_VERSION = 2;
    private static final int MAX_STATE_BYTES = 4096;
    private static final int MAX_PCR = 23;
    private static final int TPM_CC_POLICY_PCR = 0x0000017f;
    private static final byte[] SEAL_SALT = "Tao TPM Seal V1".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final byte[] ROLLBACK_SALT =
            "Tao TPM Rollback State V1".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    /** The file in a TPM Tao's directory that holds its rollback counter table, anchored in an NV counter. */
    public static final String COUNTERS_FILE = "counters.nv";
    /** Where a TPM Tao made before anchoring (state version 1) kept its table; moved once, then deleted. */
    private static final String UNANCHORED_COUNTERS_FILE = "counters.tao";

    private final TpmConnection tpm;
    private final Object reconnectLock = new Object();
    private volatile TpmConnector connector;
    private volatile boolean released;
    private final Path dir;
    private final List<Integer> pcrList;
    private final byte[] akUnique;
    private final Tpm2Pcrs pcrs;
    private final byte[] policy;
    private final Verifier ak;
    private final byte[] akName;
    private final TPMT_PUBLIC akPublic;
    private final Prin root;
    private final Deriver deriver;
    private final Crypter stateCrypter;
    private final RollbackCounters counters;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();
    private volatile Prin name;
    private volatile boolean ownsConnection;

    private TpmTao(TpmConnection tpm, Path dir, State state, Clock clock, long freshCounter)
            throws IOException, TaoException {
        this.tpm = tpm;
        this.dir = dir;
        this.clock = clock;
        this.pcrList = state.pcrs;
        this.akUnique = state.akUnique;
        this.pcrs = tpm.readPcrs(pcrList);
        this.policy = pcrPolicy(pcrs);
        CreatePrimaryResponse key = tpm.locked(() -> tpm.primary(endorsement(), Templates.attestationKey(akUnique)));
        this.akPublic = key.outPublic;
        this.akName = key.name.clone();
        this.ak = Templates.eccPublicKey(key.outPublic);
        this.root = Tpm2Quote.akPrincipal(ak).extend(pcrs.toExtension());
        this.name = root;
        byte[] secret;
        try {
            secret = unsealSecret(state.sealedPublic, state.sealedPrivate);
        } catch (UnsealException e) {
            throw new TaoException("cannot unseal this TPM Tao's deriving key: the PCRs " + pcrList
                    + " hold other values than when it was created, or this is another TPM");
        }
        try {
            this.deriver = Deriver.fromSecretKeyMaterial(secret);
        } finally {
            Arrays.fill(secret, (byte) 0);
        }
        byte[] stateKey = deriver.derive(ROLLBACK_SALT, new byte[0], Crypter.KEY_BYTES);
        try {
            this.stateCrypter = Crypter.fromSecretKeyMaterial(stateKey);
        } finally {
            Arrays.fill(stateKey, (byte) 0);
        }
        try {
            this.counters = openCounters(state, freshCounter);
        } catch (IOException | TaoException | RuntimeException e) {
            stateCrypter.close();
            deriver.close();
            throw e;
        }
    }

    /**
     * The counter table: a new Tao's empty one ({@code freshCounter} is its just-defined NV
     * counter's value), the anchored one, or (a Tao made before anchoring, state version 1) the
     * unanchored one moved under a new NV counter once.
     */
    private RollbackCounters openCounters(State state, long freshCounter) throws IOException, TaoException {
        Path file = dir.resolve(COUNTERS_FILE);
        Path unanchored = dir.resolve(UNANCHORED_COUNTERS_FILE);
        if (state.nvIndex() == 0) {
            // Until the state names the NV index, the old table stays where it was: a crash here
            // leaves a version 1 Tao to move again (and an unused NV index behind).
            byte[] table = RollbackCounters.encryptedFile(unanchored, stateCrypter, root).load();
            NvCounter nv = defineCounter(tpm);
            AnchoredCounterStore store = new AnchoredCounterStore(file, stateCrypter, root, nv.index(), this::withTpm);
            store.startAt(nv.read());
            if (table == null) {
                RollbackCounters.empty(store).persist();
            } else {
                store.save(table);
            }
            State anchored = state.withIndex(nv.index());
            AtomicFiles.writeOwnerOnly(dir.resolve(STATE_FILE), anchored.encode());
            Files.deleteIfExists(unanchored);
            System.getLogger(TpmTao.class.getName()).log(System.Logger.Level.INFO, "anchored the TPM Tao's counter table "
                    + "in " + dir + " in the NV counter 0x" + Integer.toHexString(nv.index()));
            return RollbackCounters.open(store);
        }
        Files.deleteIfExists(unanchored); // left by a move cut after the state was rewritten; never read again
        AnchoredCounterStore store = new AnchoredCounterStore(file, stateCrypter, root, state.nvIndex(), this::withTpm);
        if (freshCounter >= 0) {
            store.startAt(freshCounter);
            RollbackCounters empty = RollbackCounters.empty(store);
            empty.persist();
            return empty;
        }
        return RollbackCounters.open(store);
    }

    /** Defines an NV counter at a random free index of the owner's range. */
    private static NvCounter defineCounter(TpmConnection tpm) throws IOException, TaoException {
        SecureRandom r = new SecureRandom();
        int span = NvCounter.LAST_OWNER_INDEX - NvCounter.FIRST_OWNER_INDEX + 1;
        for (int attempt = 0; ; attempt++) {
            int index = NvCounter.FIRST_OWNER_INDEX + r.nextInt(span);
            try {
                return NvCounter.define(tpm, index);
            } catch (TpmCommandException e) {
                if (!"NV_DEFINED".equals(e.responseCode()) || attempt >= 15) {
                    throw e;
                }
            }
        }
    }

    /**
     * Runs NV work on the TPM: on this Tao's connection, or, after {@link #releaseConnection}, on
     * a fresh connection made for it and closed right after (one at a time).
     */
    private <T> T withTpm(AnchoredCounterStore.WithTpm<T> work) throws IOException, TaoException {
        if (!released) {
            return work.run(tpm);
        }
        synchronized (reconnectLock) {
            try (TpmConnection fresh = connector.connect()) {
                return work.run(fresh);
            }
        }
    }

    /** How to reach this Tao's TPM again after {@link #releaseConnection}. */
    @FunctionalInterface
    public interface TpmConnector {
        /** A new connection to the same TPM. */
        TpmConnection connect() throws IOException, TaoException;
    }

    /**
     * Closes this Tao's TPM connection and from then on connects to the TPM only to commit a
     * change of the counter table (a connection per commit, closed right after), so a host can
     * keep this Tao as its parent while it serves without holding the TPM (swtpm, and
     * {@code /dev/tpm0}, serve one client at a time). Afterwards the counter calls and
     * {@link #rollbackProtectedSeal}/{@link #rollbackProtectedUnseal} work, the calls that need the
     * TPM for anything else ({@link #seal}, {@link #unseal}, {@link #attest}) fail with an
     * {@link IOException}; names and shared secrets are unchanged.
     *
     * @throws IllegalStateException if this Tao does not know how to reconnect (it was not opened
     *     by {@link TpmParent#open})
     */
    public void releaseConnection() {
        if (connector == null) {
            throw new IllegalStateException("this TPM Tao cannot reconnect: it was not opened through TpmParent");
        }
        synchronized (reconnectLock) {
            released = true;
            tpm.close();
        }
    }

    /**
     * Makes a new TPM Tao whose name and seals cover the SHA-256 PCRs {@code pcrs} (strictly
     * ascending, 0..23, at least one), saving its state in {@code dir}.
     */
    public static TpmTao create(TpmConnection tpm, Path dir, List<Integer> pcrs) throws IOException, TaoException {
        Objects.requireNonNull(tpm, "tpm");
        Objects.requireNonNull(dir, "dir");
        List<Integer> list = List.copyOf(pcrs);
        if (list.isEmpty() || list.get(list.size() - 1) > MAX_PCR) {
            throw new IllegalArgumentException("PCRs must be strictly ascending in 0.." + MAX_PCR + ", at least one");
        }
        Tpm2Pcrs now = tpm.readPcrs(list); // also checks the order
        byte[] unique = mixedRandom(tpm, new SecureRandom());
        byte[] secret = mixedRandom(tpm, new SecureRandom());
        State state;
        NvCounter nv;
        try {
            byte[][] sealed = sealSecret(tpm, pcrPolicy(now), secret);
            nv = defineCounter(tpm);
            state = new State(list, unique, sealed[0], sealed[1], nv.index());
        } finally {
            Arrays.fill(secret, (byte) 0);
        }
        AtomicFiles.createPrivateDirectories(dir);
        AtomicFiles.writeOwnerOnly(dir.resolve(STATE_FILE), state.encode());
        return new TpmTao(tpm, dir, state, Clock.systemUTC(), nv.read());
    }

    /**
     * Opens the TPM Tao whose state is in {@code dir}.
     *
     * @throws TaoException if the state is invalid, or its deriving key does not unseal (another
     *     TPM, or the PCRs changed since it was created)
     */
    public static TpmTao open(TpmConnection tpm, Path dir) throws IOException, TaoException {
        Objects.requireNonNull(tpm, "tpm");
        byte[] bytes = AtomicFiles.readAtMost(dir.resolve(STATE_FILE), MAX_STATE_BYTES);
        return new TpmTao(tpm, dir, State.decode(bytes), Clock.systemUTC(), -1);
    }

    /** Whether {@code dir} holds a TPM Tao's state. */
    public static boolean exists(Path dir) {
        return Files.isRegularFile(dir.resolve(STATE_FILE));
    }

    /** {@code tpm2([ak]).PCRs(...)}: this Tao's name without the extensions made since it was opened. */
    public Prin rootName() {
        return root;
    }

    /** The PCR values this Tao's name, quotes and seals cover. */
    public Tpm2Pcrs pcrs() {
        return pcrs;
    }

    /** The attestation key. */
    public Verifier attestationKey() {
        return ak;
    }

    /** The directory holding this Tao's state. */
    public Path directory() {
        return dir;
    }

    TpmConnection connection() {
        return tpm;
    }

    /** The AK's TPM name (name algorithm and digest of its public area), as MakeCredential binds it. */
    byte[] attestationKeyName() {
        return akName.clone();
    }

    /** The AK's public area in TPM wire form ({@code TPMT_PUBLIC}). */
    public byte[] attestationKeyPublicArea() {
        return akPublic.toTpm();
    }

    TPMT_PUBLIC attestationKeyTemplate() {
        return Templates.attestationKey(akUnique);
    }

    /**
     * The two standard endorsement keys of the TCG EK Credential Profile, each derived from the
     * TPM's endorsement seed (the same TPM gives the same key every time), with the NV index where
     * a manufacturer stores its certificate.
     */
    public enum EndorsementKeyType {
        /** Template L-2, certificate at {@link EndorsementCertificates#ECC_P256}. */
        ECC_P256(EndorsementCertificates.ECC_P256),
        /** Template L-1, certificate at {@link EndorsementCertificates#RSA_2048}. */
        RSA_2048(EndorsementCertificates.RSA_2048);

        private final int nvIndex;

        EndorsementKeyType(int nvIndex) {
            this.nvIndex = nvIndex;
        }

        /** Where the manufacturer's certificate for this key is. */
        public int nvIndex() {
            return nvIndex;
        }

        TPMT_PUBLIC template() {
            return this == ECC_P256 ? Templates.endorsementKey() : Templates.endorsementKeyRsa();
        }
    }

    /** The public area ({@code TPMT_PUBLIC}) of this TPM's standard ECC P-256 endorsement key. */
    public byte[] endorsementKeyPublicArea() throws IOException, TaoException {
        return endorsementKeyPublicArea(EndorsementKeyType.ECC_P256);
    }

    /**
     * The manufacturer's certificate for the endorsement key of {@code type}, as stored in NV
     * ({@link EndorsementCertificates#read}), or empty if this TPM has none there.
     */
    public java.util.Optional<byte[]> endorsementCertificate(EndorsementKeyType type) throws IOException, TaoException {
        return EndorsementCertificates.read(tpm, type.nvIndex());
    }

    /** The public area ({@code TPMT_PUBLIC}) of this TPM's endorsement key of {@code type}. */
    public byte[] endorsementKeyPublicArea(EndorsementKeyType type) throws IOException, TaoException {
        return tpm.locked(() -> tpm.primary(endorsement(), type.template()).outPublic.toTpm());
    }

    /**
     * The request to certify this Tao's attestation key: the AK, the EK and its certificate, and a
     * quote by the AK (of {@code AkCertificationRequest}).
     */
    public AkCertifier.Request akCertificationRequest(byte[] ekCertificate) throws IOException, TaoException {
        Attestation quote = attest(dev.cloudproxy.tao.auth.Pred.of("AkCertificationRequest"));
        return new AkCertifier.Request(attestationKeyPublicArea(), endorsementKeyPublicArea(), ekCertificate,
                quote.serialize());
    }

    /**
     * Recovers the AK certificate from the certifier's answer with {@code TPM2_ActivateCredential},
     * which succeeds only on the TPM that holds both the endorsement key and this attestation key.
     *
     * @throws TaoException if the TPM refuses (another TPM or AK, a tampered answer) or the
     *     certificate is not for this AK
     */
    public java.security.cert.X509Certificate activateAkCertificate(AkCertifier.Response response)
            throws IOException, TaoException {
        byte[] credential = activateCredential(EndorsementKeyType.ECC_P256, response.integrityHmac(), response.encIdentity(),
                response.encryptedSecret());
        try {
            return AkCertifier.openCertificate(response, credential, akName, ak);
        } finally {
            Arrays.fill(credential, (byte) 0);
        }
    }

    /**
     * The request that enrols a host on this TPM Tao with a domain service
     * ({@link dev.cloudproxy.tao.domain.DomainServiceClient#enroll}): {@code ekCertificates} (the
     * EK certificate first, as {@link EndorsementCertificates#read} finds it), this TPM's ECC
     * endorsement key, this Tao's attestation key and the host key to certify.
     */
    public Enrollment.Request enrollmentRequest(List<byte[]> ekCertificates, Verifier hostKey)
            throws IOException, TaoException {
        return enrollmentRequest(EndorsementKeyType.ECC_P256, ekCertificates, hostKey);
    }

    /** As {@link #enrollmentRequest(List, Verifier)}, with the endorsement key of {@code type}. */
    public Enrollment.Request enrollmentRequest(EndorsementKeyType type, List<byte[]> ekCertificates, Verifier hostKey)
            throws IOException, TaoException {
        return new Enrollment.Request(ekCertificates, endorsementKeyPublicArea(type), attestationKeyPublicArea(),
                hostKey);
    }

    /**
     * Answers a domain service's enrolment challenge for {@code hostKey} and the host's name
     * {@code hostName} (this Tao's name or an extension of it): {@code TPM2_ActivateCredential}
     * with the EK and the AK, and a quote of {@link Enrollment#statement} with the challenge's nonce.
     *
     * @throws TaoException if the TPM refuses to activate (the challenge is for another TPM or AK)
     */
    public Enrollment.Responder enrollmentResponder(Verifier hostKey, Prin hostName) {
        return enrollmentResponder(EndorsementKeyType.ECC_P256, hostKey, hostName);
    }

    /** As {@link #enrollmentResponder(Verifier, Prin)}, activating with the endorsement key of {@code type}. */
    public Enrollment.Responder enrollmentResponder(EndorsementKeyType type, Verifier hostKey, Prin hostName) {
        Objects.requireNonNull(type, "type");
        return challenge -> {
            byte[] credential = activateCredential(type, challenge.integrityHmac(), challenge.encIdentity(),
                    challenge.encryptedSecret());
            try {
                Attestation quote = attest(AttestRequest.of(Enrollment.statement(hostKey, hostName, challenge.nonce()))
                        .issuer(hostName));
                return new Enrollment.Answer(credential, quote);
            } finally {
                Arrays.fill(credential, (byte) 0);
            }
        };
    }

    /** {@code TPM2_ActivateCredential} of a credential made for this TPM's EK of {@code type} and this Tao's AK. */
    private byte[] activateCredential(EndorsementKeyType type, byte[] integrityHmac, byte[] encIdentity,
            byte[] encryptedSecret) throws IOException, TaoException {
        return tpm.locked(() -> {
            TPM_HANDLE ek = tpm.primary(endorsement(), type.template()).handle;
            TPM_HANDLE key = tpm.primary(endorsement(), Templates.attestationKey(akUnique)).handle;
            TPM_HANDLE session = null;
            try {
                byte[] nonce = new byte[16];
                random.nextBytes(nonce);
                session = tpm.run("TPM2_StartAuthSession", t -> t.StartAuthSession(
                        TPM_HANDLE.from(TPM_RH.NULL), TPM_HANDLE.from(TPM_RH.NULL), nonce, new byte[0],
                        TPM_SE.POLICY, new TPMT_SYM_DEF(TPM_ALG_ID.NULL, 0, TPM_ALG_ID.NULL), TPM_ALG_ID.SHA256)).handle;
                TPM_HANDLE sh = session;
                tpm.run("TPM2_PolicySecret", t -> t.PolicySecret(endorsement(), sh, new byte[0], new byte[0], new byte[0], 0));
                return tpm.run("TPM2_ActivateCredential", t -> t._withSessions(TPM_HANDLE.pwSession(new byte[0]), sh)
                        .ActivateCredential(key, ek, new tss.tpm.TPMS_ID_OBJECT(integrityHmac, encIdentity),
                                encryptedSecret));
            } finally {
                tpm.flushQuietly(session);
            }
        });
    }

    @Override
    public Prin getTaoName() {
        return name;
    }

    @Override
    public synchronized void extendTaoName(SubPrin subprin) {
        name = name.extend(Objects.requireNonNull(subprin, "subprin"));
    }

    @Override
    public byte[] getRandomBytes(int n) {
        if (n < 0 || n > MAX_RANDOM_BYTES) {
            throw new IllegalArgumentException("random byte count must be 0.." + MAX_RANDOM_BYTES);
        }
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    @Override
    public byte[] getSharedSecret(int n, String policy) {
        return SealFormat.sharedSecret(deriver, n, policy, name, root);
    }

    @Override
    public byte[] getGroupKeyFor(Prin asker, List<Prin> members, int n) throws TaoException {
        return GroupKeys.answerAsRoot(deriver, root, name, asker, members, n);
    }

    @Override
    public Attestation attest(Form message) throws IOException, TaoException {
        return attest(AttestRequest.of(message));
    }

    @Override
    public Attestation attest(AttestRequest request) throws IOException, TaoException {
        Says statement = request.statementFor(name, clock.instant().getEpochSecond());
        byte[] nonce = Tpm2Quote.nonceFor(statement.encode());
        TPMS_PCR_SELECTION[] selection = TpmConnection.selection(pcrList);
        QuoteResponse q = tpm.locked(() -> {
            TPM_HANDLE key = tpm.primary(endorsement(), Templates.attestationKey(akUnique)).handle;
            return tpm.run("TPM2_Quote", t -> t.Quote(key, nonce, new TPMS_NULL_SIG_SCHEME(), selection));
        });
        if (!(q.signature instanceof TPMS_SIGNATURE_ECC sig)) {
            throw new TaoException("the TPM's quote is not signed with ECDSA");
        }
        Attestation a = Attestation.fromTpm2Quote(statement, ak, q.quoted.toTpm(), derSignature(sig));
        Tpm2Quote quote = a.tpm2Quote().orElseThrow();
        if (!MessageDigest.isEqual(quote.pcrDigest(), pcrs.digest())) {
            throw new TaoException("the PCRs " + pcrList + " changed since this TPM Tao was opened; its name no longer holds");
        }
        try {
            AttestationVerifier.at(statement.from().orElse(0)).verify(a);
        } catch (VerificationException e) {
            throw new TaoException("the TPM's quote does not verify: " + e.getMessage(), e);
        }
        return a;
    }

    @Override
    public byte[] seal(byte[] data, String policy) throws IOException, TaoException {
        Objects.requireNonNull(data, "data");
        if (data.length > MAX_SEAL_BYTES) {
            throw new IllegalArgumentException("cannot seal more than " + MAX_SEAL_BYTES + " bytes");
        }
        int policyId = TpmSealFormat.policyId(policy);
        byte[] seed = new byte[32];
        random.nextBytes(seed);
        try {
            byte[][] sealed = sealSecret(tpm, this.policy, seed);
            return TpmSealFormat.seal(dataKey(seed), policyId, sealed[0], sealed[1], data, bound(policyId));
        } finally {
            Arrays.fill(seed, (byte) 0);
        }
    }

    @Override
    public Unsealed unseal(byte[] sealed) throws IOException, UnsealException {
        TpmSealFormat.Parsed blob = TpmSealFormat.parse(sealed);
        byte[] seed;
        try {
            seed = unsealSecret(blob.publicArea(), blob.privateArea());
        } catch (TaoException e) {
            throw new UnsealException();
        }
        try {
            return TpmSealFormat.open(dataKey(seed), blob, bound(blob.policyId()));
        } finally {
            Arrays.fill(seed, (byte) 0);
        }
    }

    @Override
    public long initCounter(String label) throws IOException, TaoException {
        return counters.init(name, label);
    }

    @Override
    public long getCounter(String label) throws TaoException {
        return counters.get(name, label);
    }

    @Override
    public byte[] rollbackProtectedSeal(String label, byte[] data, String policy) throws IOException, TaoException {
        return counters.seal(stateCrypter, name, root, label, data, policy);
    }

    @Override
    public Unsealed rollbackProtectedUnseal(byte[] sealed) throws IOException, TaoException {
        return counters.unseal(stateCrypter, sealed, name, root);
    }

    private Prin bound(int policyId) {
        return policyId == TpmSealFormat.POLICY_SELF ? name : root;
    }

    private byte[] dataKey(byte[] seed) {
        return deriver.derive(SEAL_SALT, seed, 32);
    }

    /** Seals {@code secret} under the storage root key to {@code policy}; returns {public area, private area}. */
    private static byte[][] sealSecret(TpmConnection tpm, byte[] policy, byte[] secret) throws IOException, TaoException {
        CreateResponse made = tpm.locked(() -> {
            TPM_HANDLE srk = tpm.primary(owner(), Templates.storageRootKey()).handle;
            return tpm.run("TPM2_Create", t -> t.Create(srk, new TPMS_SENSITIVE_CREATE(new byte[0], secret),
                    Templates.sealedData(policy), new byte[0], new TPMS_PCR_SELECTION[0]));
        });
        return new byte[][] {made.outPublic.toTpm(), made.outPrivate.buffer};
    }

    /**
     * Loads a sealed object and unseals it in a policy session that asserts this Tao's PCRs.
     *
     * @throws UnsealException if the areas are malformed or the TPM refuses (other PCR values,
     *     another TPM, tampering)
     */
    private byte[] unsealSecret(byte[] publicArea, byte[] privateArea) throws IOException, UnsealException {
        TPMT_PUBLIC pub;
        try {
            pub = TPMT_PUBLIC.fromTpm(publicArea);
            if (!Arrays.equals(pub.toTpm(), publicArea)) {
                throw new UnsealException();
            }
        } catch (RuntimeException e) {
            // TSS.Java's parser on bytes from a blob: anything it cannot read is a bad blob.
            throw new UnsealException();
        }
        try {
            return tpm.locked(() -> {
                TPM_HANDLE srk = tpm.primary(owner(), Templates.storageRootKey()).handle;
                TPM_HANDLE object = null;
                TPM_HANDLE session = null;
                try {
                    object = tpm.run("TPM2_Load", t -> t.Load(srk, new TPM2B_PRIVATE(privateArea), pub));
                    byte[] nonce = new byte[16];
                    random.nextBytes(nonce);
                    StartAuthSessionResponse s = tpm.run("TPM2_StartAuthSession", t -> t.StartAuthSession(
                            TPM_HANDLE.from(TPM_RH.NULL), TPM_HANDLE.from(TPM_RH.NULL), nonce, new byte[0],
                            TPM_SE.POLICY, new TPMT_SYM_DEF(TPM_ALG_ID.NULL, 0, TPM_ALG_ID.NULL), TPM_ALG_ID.SHA256));
                    session = s.handle;
                    TPM_HANDLE sh = session;
                    tpm.run("TPM2_PolicyPCR", t -> {
                        t.PolicyPCR(sh, new byte[0], TpmConnection.selection(pcrList));
                        return null;
                    });
                    TPM_HANDLE oh = object;
                    return tpm.run("TPM2_Unseal", (Tpm t) -> t._withSession(sh).Unseal(oh));
                } finally {
                    tpm.flushQuietly(session);
                    tpm.flushQuietly(object);
                }
            });
        } catch (TaoException e) {
            throw new UnsealException();
        }
    }

    /** The policy digest of {@code TPM2_PolicyPCR} for these PCR values, computed in software. */
    static byte[] pcrPolicy(Tpm2Pcrs pcrs) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(new byte[32]);
            sha.update(new byte[] {0, 0, 1, 0x7f});
            sha.update(new TPML_PCR_SELECTION(TpmConnection.selection(pcrs.indices())).toTpm());
            sha.update(pcrs.digest());
            return sha.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    private static byte[] derSignature(TPMS_SIGNATURE_ECC sig) throws TaoException {
        ASN1EncodableVector v = new ASN1EncodableVector();
        v.add(new ASN1Integer(new BigInteger(1, sig.signatureR)));
        v.add(new ASN1Integer(new BigInteger(1, sig.signatureS)));
        try {
            return new DERSequence(v).getEncoded(ASN1Encoding.DER);
        } catch (IOException e) {
            throw new TaoException("cannot encode the TPM's signature", e);
        }
    }

    /** 32 bytes of the JDK's randomness and the TPM's, hashed together: as good as the better one. */
    private static byte[] mixedRandom(TpmConnection tpm, SecureRandom jdk) throws IOException, TaoException {
        byte[] mine = new byte[32];
        jdk.nextBytes(mine);
        byte[] theirs = tpm.random(32);
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(mine);
            sha.update(theirs);
            return sha.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        } finally {
            Arrays.fill(mine, (byte) 0);
        }
    }

    static TPM_HANDLE endorsement() {
        return TPM_HANDLE.from(TPM_RH.ENDORSEMENT);
    }

    static TPM_HANDLE owner() {
        return TPM_HANDLE.from(TPM_RH.OWNER);
    }

    /**
     * This Tao, now owning its connection ({@link #close} closes it too) and able to reconnect
     * with {@code connector} after {@link #releaseConnection}.
     */
    TpmTao owningConnection(TpmConnector connector) {
        ownsConnection = true;
        this.connector = Objects.requireNonNull(connector, "connector");
        return this;
    }

    /** The NV index anchoring the counter table. */
    int counterIndex() throws IOException, TaoException {
        return State.decode(AtomicFiles.readAtMost(dir.resolve(STATE_FILE), MAX_STATE_BYTES)).nvIndex();
    }

    /**
     * Forgets the deriving key. The TPM connection stays open (it belongs to the caller), unless
     * this Tao came from {@link TpmParent#open}, which hands it the connection.
     */
    @Override
    public void close() {
        stateCrypter.close();
        deriver.close();
        if (ownsConnection) {
            tpm.close();
        }
    }

    @Override
    public String toString() {
        return "TpmTao[" + name + "]";
    }

    /**
     * The state file: {@code "TAOT" | 2 | u8 n | n PCR indices | 32-byte AK unique | u16 len |
     * public | u16 len | private | u32 NV index}. Version 1 (before anchoring) has no NV index
     * ({@code nvIndex} 0 here).
     */
    private record State(List<Integer> pcrs, byte[] akUnique, byte[] sealedPublic, byte[] sealedPrivate, int nvIndex) {
        State withIndex(int index) {
            return new State(pcrs, akUnique, sealedPublic, sealedPrivate, index);
        }

        byte[] encode() {
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            out.writeBytes(STATE_MAGIC);
            out.write(STATE_VERSION);
            out.write(pcrs.size());
            for (int p : pcrs) {
                out.write(p);
            }
            out.writeBytes(akUnique);
            for (byte[] b : new byte[][] {sealedPublic, sealedPrivate}) {
                out.write(b.length >>> 8);
                out.write(b.length);
                out.writeBytes(b);
            }
            out.writeBytes(java.nio.ByteBuffer.allocate(4).putInt(nvIndex).array());
            return out.toByteArray();
        }

        static State decode(byte[] b) throws TaoException {
            try {
                java.nio.ByteBuffer in = java.nio.ByteBuffer.wrap(b);
                byte[] magic = new byte[4];
                in.get(magic);
                int version = in.get();
                if (!Arrays.equals(magic, STATE_MAGIC) || (version != 1 && version != STATE_VERSION)) {
                    throw new TaoException("invalid TPM Tao state: unknown format");
                }
                int n = in.get() & 0xff;
                List<Integer> pcrs = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    int p = in.get() & 0xff;
                    if (p > MAX_PCR || (i > 0 && p <= pcrs.get(i - 1))) {
                        throw new TaoException("invalid TPM Tao state: bad PCR list");
                    }
                    pcrs.add(p);
                }
                if (pcrs.isEmpty()) {
                    throw new TaoException("invalid TPM Tao state: no PCRs");
                }
                byte[] unique = new byte[32];
                in.get(unique);
                byte[] pub = new byte[in.getShort() & 0xffff];
                in.get(pub);
                byte[] priv = new byte[in.getShort() & 0xffff];
                in.get(priv);
                int index = 0;
                if (version == STATE_VERSION) {
                    index = in.getInt();
                    if (index < NvCounter.FIRST_OWNER_INDEX || index > NvCounter.LAST_OWNER_INDEX) {
                        throw new TaoException("invalid TPM Tao state: bad NV index");
                    }
                }
                if (in.hasRemaining()) {
                    throw new TaoException("invalid TPM Tao state: trailing bytes");
                }
                return new State(List.copyOf(pcrs), unique, pub, priv, index);
            } catch (java.nio.BufferUnderflowException e) {
                throw new TaoException("invalid TPM Tao state: truncated");
            }
        }
    }
}
