package dev.cloudproxy.tao.tpm;

import dev.cloudproxy.tao.TaoException;
import dev.cloudproxy.tao.attestation.Tpm2Pcrs;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;
import tss.Tpm;
import tss.TpmDevice;
import tss.TpmException;
import tss.tpm.CreatePrimaryResponse;
import tss.tpm.GetCapabilityResponse;
import tss.tpm.PCR_ReadResponse;
import tss.tpm.TPML_HANDLE;
import tss.tpm.TPMS_PCR_SELECTION;
import tss.tpm.TPMS_SENSITIVE_CREATE;
import tss.tpm.TPMT_HA;
import tss.tpm.TPMT_PUBLIC;
import tss.tpm.TPM_ALG_ID;
import tss.tpm.TPM_CAP;
import tss.tpm.TPM_HANDLE;
import tss.tpm.TPM_RC;

/**
 * One connection to a TPM 2.0: a device ({@code /dev/tpmrm0}) or a simulator over TCP (swtpm).
 * Every command goes through here, one at a time; the connection is thread-safe.
 *
 * <p>On connecting it flushes the transient objects and sessions a crashed earlier client left
 * behind (swtpm keeps them across clients, and has room for only three loaded objects). It keeps
 * up to two primary keys loaded (they are expensive to recreate) and flushes everything it loaded
 * when closed.
 *
 * <p>TPM refusals are {@link TpmCommandException}s, transport failures {@link IOException}s.
 * TSS.Java's own random helper and quote checks are not used.
 */
public final class TpmConnection implements AutoCloseable {
    /** The resource-managed kernel device, which virtualizes handles per connection. */
    public static final Path DEFAULT_DEVICE = Path.of("/dev/tpmrm0");
    /** Loaded primaries kept; the third slot of a small TPM stays free for the object in use. */
    private static final int CACHED_PRIMARIES = 2;
    private static final int HANDLES_TRANSIENT = 0x80000000;
    private static final int HANDLES_HMAC_SESSION = 0x02000000;
    private static final int HANDLES_POLICY_SESSION = 0x03000000;

    /** Commands sent by every connection of this process (a diagnostic, e.g. TPM commands per 1,000 seals). */
    private static final java.util.concurrent.atomic.LongAdder COMMANDS = new java.util.concurrent.atomic.LongAdder();

    private final Tpm tpm;
    private final TpmDevice device;
    private final String description;
    private final ReentrantLock lock = new ReentrantLock();
    private final Map<String, CreatePrimaryResponse> primaries = new LinkedHashMap<>(4, 0.75f, true);
    private boolean closed;

    private TpmConnection(TpmDevice device, String description) {
        this.device = device;
        this.description = description;
        this.tpm = new Tpm();
        tpm._setDevice(device);
    }

    /** Opens a TPM character device, e.g. {@link #DEFAULT_DEVICE} or {@code /dev/tpm0}. */
    public static TpmConnection device(Path path) throws IOException, TaoException {
        FileTpmDevice d = new FileTpmDevice(Objects.requireNonNull(path, "path"));
        d.open();
        return started(new TpmConnection(d, "TPM device " + path));
    }

    /**
     * Connects to a TPM simulator's data port (swtpm started with
     * {@code socket --tpm2 --server type=tcp,port=PORT --flags not-need-init,startup-clear}).
     */
    public static TpmConnection simulator(String host, int port) throws IOException, TaoException {
        TcpTpmDevice d = new TcpTpmDevice(Objects.requireNonNull(host, "host"), port);
        d.open();
        return started(new TpmConnection(d, "TPM simulator " + host + ":" + port));
    }

    private static TpmConnection started(TpmConnection c) throws IOException, TaoException {
        try {
            c.flushLeftovers();
            return c;
        } catch (IOException | TaoException | RuntimeException e) {
            c.device.close();
            throw e;
        }
    }

    /** A TPM command, run with TSS.Java's exceptions and printing turned off. */
    @FunctionalInterface
    interface Command<T> {
        T run(Tpm tpm);
    }

    /** Work of several commands that must not interleave with other threads' commands. */
    @FunctionalInterface
    interface Work<T> {
        T run() throws IOException, TaoException;
    }

    /** Runs one command, turning a TPM error code into a {@link TpmCommandException}. */
    <T> T run(String name, Command<T> command) throws IOException, TaoException {
        lock.lock();
        try {
            if (closed) {
                throw new IOException("TPM connection closed");
            }
            tpm._allowErrors();
            COMMANDS.increment();
            T result;
            try {
                result = command.run(tpm);
            } catch (UncheckedIOException e) {
                throw e.getCause();
            } catch (TpmException e) {
                throw new TpmCommandException(name, e.ResponseCode == null ? "FAILURE" : code(e.ResponseCode));
            }
            TPM_RC rc = tpm._getLastResponseCode();
            if (rc != TPM_RC.SUCCESS) {
                throw new TpmCommandException(name, code(rc));
            }
            return result;
        } finally {
            lock.unlock();
        }
    }

    /**
     * How many TPM commands every connection of this process has sent so far (for measuring, not
     * for decisions: other threads may be sending too).
     */
    public static long commandsSent() {
        return COMMANDS.sum();
    }

    /** Runs {@code work} holding this connection, so loaded handles stay valid throughout. */
    <T> T locked(Work<T> work) throws IOException, TaoException {
        lock.lock();
        try {
            return work.run();
        } finally {
            lock.unlock();
        }
    }

    private static String code(TPM_RC rc) {
        return rc.toString().replace("{", "").replace("}", "");
    }

    /**
     * The primary key {@code template} makes under {@code hierarchy}, loaded (kept loaded for the
     * next caller; call only while holding {@link #locked}).
     */
    CreatePrimaryResponse primary(TPM_HANDLE hierarchy, TPMT_PUBLIC template) throws IOException, TaoException {
        String key = Integer.toHexString(hierarchy.handle) + ":" + HexFormat.of().formatHex(template.toTpm());
        CreatePrimaryResponse cached = primaries.get(key);
        if (cached != null) {
            return cached;
        }
        while (primaries.size() >= CACHED_PRIMARIES) {
            Iterator<CreatePrimaryResponse> eldest = primaries.values().iterator();
            TPM_HANDLE h = eldest.next().handle;
            eldest.remove();
            flush(h);
        }
        CreatePrimaryResponse made = run("TPM2_CreatePrimary", t -> t.CreatePrimary(hierarchy,
                new TPMS_SENSITIVE_CREATE(), template, new byte[0], new TPMS_PCR_SELECTION[0]));
        primaries.put(key, made);
        return made;
    }

    /** Flushes a transient object or session. */
    void flush(TPM_HANDLE handle) throws IOException, TaoException {
        run("TPM2_FlushContext", t -> {
            t.FlushContext(handle);
            return null;
        });
    }

    /** Flushes {@code handle} if it is not null, never throwing (for cleanup paths). */
    void flushQuietly(TPM_HANDLE handle) {
        if (handle == null) {
            return;
        }
        try {
            flush(handle);
        } catch (IOException | TaoException ignored) {
            // the connection is failing anyway; a reconnect flushes leftovers
        }
    }

    private void flushLeftovers() throws IOException, TaoException {
        for (int range : new int[] {HANDLES_TRANSIENT, HANDLES_HMAC_SESSION, HANDLES_POLICY_SESSION}) {
            GetCapabilityResponse caps = run("TPM2_GetCapability",
                    t -> t.GetCapability(TPM_CAP.HANDLES, range, 64));
            for (TPM_HANDLE h : ((TPML_HANDLE) caps.capabilityData).handle) {
                flush(h);
            }
        }
    }

    /** {@code n} bytes from the TPM's random number generator (mixed into keys, never used alone). */
    public byte[] random(int n) throws IOException, TaoException {
        byte[] out = new byte[n];
        int at = 0;
        while (at < n) {
            int want = Math.min(32, n - at);
            byte[] got = run("TPM2_GetRandom", t -> t.GetRandom(want));
            if (got.length == 0) {
                throw new IOException("TPM returned no random bytes");
            }
            System.arraycopy(got, 0, out, at, Math.min(got.length, n - at));
            at += got.length;
        }
        return out;
    }

    /** The current values of the SHA-256 PCRs {@code indices} (strictly ascending, 0..23). */
    public Tpm2Pcrs readPcrs(List<Integer> indices) throws IOException, TaoException {
        List<byte[]> values = new ArrayList<>();
        for (int from = 0; from < indices.size(); from += 8) {
            List<Integer> chunk = indices.subList(from, Math.min(indices.size(), from + 8));
            PCR_ReadResponse r = run("TPM2_PCR_Read", t -> t.PCR_Read(selection(chunk)));
            if (r.pcrValues.length != chunk.size()) {
                throw new TpmCommandException("TPM2_PCR_Read", "PCR_NOT_RETURNED");
            }
            for (var v : r.pcrValues) {
                values.add(v.buffer);
            }
        }
        return Tpm2Pcrs.of(indices, values);
    }

    /** Extends SHA-256 PCR {@code pcr} with {@code digest} (32 bytes). */
    public void extendPcr(int pcr, byte[] digest) throws IOException, TaoException {
        checkDigest(digest);
        run("TPM2_PCR_Extend", t -> {
            t.PCR_Extend(TPM_HANDLE.pcr(pcr), new TPMT_HA[] {new TPMT_HA(TPM_ALG_ID.SHA256, digest.clone())});
            return null;
        });
    }

    /**
     * Binds a measurement to PCR {@code pcr} once per TPM reset, as a TPM-rooted host does with its
     * own code before it serves anything: if the PCR is still all zeros it is extended with
     * {@code digest}; if it already holds exactly that one extension (the same host started
     * before, without a reboot) nothing changes.
     *
     * @return true if this call extended the PCR
     * @throws TaoException if the PCR holds anything else: something other than this code was
     *     measured into it since the TPM started, so what is sealed to it must not open
     */
    public boolean extendPcrOnce(int pcr, byte[] digest) throws IOException, TaoException {
        checkDigest(digest);
        return locked(() -> {
            byte[] now = readPcrs(List.of(pcr)).value(0);
            byte[] zero = new byte[32];
            if (Arrays.equals(now, zero)) {
                extendPcr(pcr, digest);
                return true;
            }
            if (Arrays.equals(now, extended(zero, digest))) {
                return false;
            }
            throw new TaoException("PCR " + pcr + " holds another measurement: something else extended it since the TPM started");
        });
    }

    /** What a SHA-256 PCR holding {@code value} holds after being extended with {@code digest}. */
    public static byte[] extended(byte[] value, byte[] digest) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(value);
            sha.update(digest);
            return sha.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }

    private static void checkDigest(byte[] digest) {
        if (Objects.requireNonNull(digest, "digest").length != 32) {
            throw new IllegalArgumentException("a SHA-256 PCR is extended with a 32-byte digest");
        }
    }

    static TPMS_PCR_SELECTION[] selection(List<Integer> indices) {
        int[] pcrs = indices.stream().mapToInt(Integer::intValue).toArray();
        return new TPMS_PCR_SELECTION[] {new TPMS_PCR_SELECTION(TPM_ALG_ID.SHA256, pcrs)};
    }

    /** Flushes what this connection loaded and closes the device. */
    @Override
    public void close() {
        lock.lock();
        try {
            if (closed) {
                return;
            }
            for (CreatePrimaryResponse p : primaries.values()) {
                flushQuietly(p.handle);
            }
            primaries.clear();
            closed = true;
            device.close();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public String toString() {
        return "TpmConnection[" + description + "]";
    }
}
