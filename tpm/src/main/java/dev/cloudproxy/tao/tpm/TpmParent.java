package dev.cloudproxy.tao.tpm;

import dev.cloudproxy.tao.TaoException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The TPM as the parent Tao of a host in the same process: a TPM-rooted host is a stacked host
 * whose parent is a {@link TpmTao}. A parent is named by a spec that a host's configuration
 * records, {@code tpm:device:/dev/tpmrm0} or {@code tpm:simulator:127.0.0.1:2321}, and opened with
 * {@link #open}, which first binds the host's own measurement into {@link TpmTao#HOST_PCR}.
 */
public final class TpmParent {
    /** Every TPM parent spec starts with this. */
    public static final String PREFIX = "tpm:";
    /**
     * The PCRs of a TPM-rooted host unless told otherwise: the PC Client boot chain (0-7: firmware,
     * its configuration, boot loader, Secure Boot state) and the host's own PCR.
     */
    public static final List<Integer> DEFAULT_PCRS = List.of(0, 1, 2, 3, 4, 5, 6, 7, TpmTao.HOST_PCR);
    private static final String DEVICE = PREFIX + "device:";
    private static final String SIMULATOR = PREFIX + "simulator:";

    private TpmParent() {}

    /** {@code tpm:device:PATH} with the absolute path. */
    public static String deviceSpec(Path device) {
        return DEVICE + device.toAbsolutePath().normalize();
    }

    /** {@code tpm:simulator:HOST:PORT}. */
    public static String simulatorSpec(String host, int port) {
        if (host.isEmpty() || host.contains(":") || port < 1 || port > 65535) {
            throw new IllegalArgumentException("a TPM simulator is HOST:PORT, e.g. 127.0.0.1:2321");
        }
        return SIMULATOR + host + ":" + port;
    }

    /** Whether {@code spec} names a TPM parent (else it is some other kind of parent). */
    public static boolean isSpec(String spec) {
        return spec.startsWith(PREFIX);
    }

    /**
     * Connects to the TPM a spec names.
     *
     * @throws IllegalArgumentException if the spec is not one of the two forms
     */
    public static TpmConnection connect(String spec) throws IOException, TaoException {
        Objects.requireNonNull(spec, "spec");
        if (spec.startsWith(DEVICE) && spec.length() > DEVICE.length()) {
            return TpmConnection.device(Path.of(spec.substring(DEVICE.length())));
        }
        if (spec.startsWith(SIMULATOR)) {
            String hostPort = spec.substring(SIMULATOR.length());
            int colon = hostPort.lastIndexOf(':');
            if (colon > 0) {
                try {
                    int port = Integer.parseInt(hostPort.substring(colon + 1));
                    String host = hostPort.substring(0, colon);
                    simulatorSpec(host, port); // validates
                    return TpmConnection.simulator(host, port);
                } catch (NumberFormatException e) {
                    // falls through to the refusal
                }
            }
        }
        throw new IllegalArgumentException("not a TPM parent: expected tpm:device:PATH or tpm:simulator:HOST:PORT");
    }

    /**
     * Connects to the TPM, binds {@code hostMeasurement} (SHA-256 of the host's code) into
     * {@link TpmTao#HOST_PCR} with {@link TpmConnection#extendPcrOnce}, and then creates a TPM Tao
     * in {@code stateDir} covering {@code createWithPcrs} (which must include the host PCR) or, if
     * that is empty, opens the one there. The Tao owns the connection: closing it closes the
     * connection; {@link TpmTao#releaseConnection} closes it too but keeps the Tao, which then
     * reconnects to this spec only to commit a counter change, so a host keeps its parent while it
     * serves without holding the TPM (swtpm serves one client at a time).
     *
     * @throws TaoException if the host PCR holds another measurement, or the Tao's keys do not
     *     unseal (another TPM, or the PCRs changed since it was made)
     */
    public static TpmTao open(String spec, Path stateDir, byte[] hostMeasurement, Optional<List<Integer>> createWithPcrs)
            throws IOException, TaoException {
        Objects.requireNonNull(stateDir, "stateDir");
        if (createWithPcrs.isPresent() && !createWithPcrs.get().contains(TpmTao.HOST_PCR)) {
            throw new IllegalArgumentException("a TPM-rooted host's PCRs must include the host PCR " + TpmTao.HOST_PCR);
        }
        TpmConnection tpm = connect(spec);
        try {
            tpm.extendPcrOnce(TpmTao.HOST_PCR, hostMeasurement);
            TpmTao tao = createWithPcrs.isPresent()
                    ? TpmTao.create(tpm, stateDir, createWithPcrs.get())
                    : TpmTao.open(tpm, stateDir);
            return tao.owningConnection(() -> connect(spec));
        } catch (IOException | TaoException | RuntimeException e) {
            tpm.close();
            throw e;
        }
    }
}
