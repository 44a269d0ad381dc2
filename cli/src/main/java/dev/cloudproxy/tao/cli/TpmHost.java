package dev.cloudproxy.tao.cli;

import dev.cloudproxy.tao.TaoException;
import dev.cloudproxy.tao.domain.CertificateRefusedException;
import dev.cloudproxy.tao.domain.Domain;
import dev.cloudproxy.tao.domain.DomainServiceClient;
import dev.cloudproxy.tao.host.HostDirectory;
import dev.cloudproxy.tao.host.HostSetup;
import dev.cloudproxy.tao.measurement.JvmProgram;
import dev.cloudproxy.tao.measurement.MeasurementException;
import dev.cloudproxy.tao.tpm.TpmConnection;
import dev.cloudproxy.tao.tpm.TpmParent;
import dev.cloudproxy.tao.tpm.TpmTao;
import java.io.File;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A TPM-rooted host: a stacked host whose parent is a {@link TpmTao} in this process
 * ({@code tao host init --root --tpm2}). Before the TPM Tao opens, the host binds its own
 * measurement into {@link TpmTao#HOST_PCR}; that PCR is in the TPM Tao's name, quotes and seal
 * policy, so the host's keys open only for this host code, on this TPM, in this boot state.
 */
final class TpmHost {
    /** Where the TPM Tao's state lives inside the host directory. */
    static final String STATE_DIR = "tpm";

    private TpmHost() {}

    static Path stateDir(HostDirectory dir) {
        return dir.root().resolve(STATE_DIR);
    }

    /**
     * Connects to the TPM, binds this host's measurement and creates ({@code pcrs} present) or
     * opens the TPM Tao; closing it frees the TPM.
     */
    static TpmTao open(String spec, HostDirectory dir, Optional<List<Integer>> pcrs) throws InputException {
        byte[] self = measureSelf();
        try {
            return TpmParent.open(spec, stateDir(dir), self, pcrs);
        } catch (IllegalArgumentException e) {
            throw new InputException(e.getMessage());
        } catch (TaoException e) {
            throw new InputException("the TPM refused (" + spec + "): " + e.getMessage());
        } catch (IOException e) {
            throw new InputException("cannot reach the TPM (" + spec + "): " + e.getMessage());
        }
    }

    /**
     * The host certificate through enrolment with the domain service at {@code addresses}
     * ({@code tao host init --tpm2 --domain-service}): the EK certificate of {@code type} from the
     * TPM's NV, followed by the issuers in {@code ekCaFiles}, the TPM answering the service's
     * challenge. The service is authenticated by the domain's policy certificate.
     */
    static HostSetup.HostCertifier enrolment(TpmTao tpm, String addresses, Domain domain,
            TpmTao.EndorsementKeyType type, List<Path> ekCaFiles) throws InputException {
        List<InetSocketAddress> service;
        try {
            service = DomainServiceClient.parseAddresses(addresses);
        } catch (IllegalArgumentException e) {
            throw new InputException("--domain-service: " + e.getMessage());
        }
        List<byte[]> issuers = new ArrayList<>();
        for (Path f : ekCaFiles) {
            try {
                issuers.add(TpmPolicyOptions.readCertificate(f, "--ek-ca").getEncoded());
            } catch (java.security.cert.CertificateEncodingException e) {
                throw new InputException("--ek-ca: " + f + " does not encode");
            }
        }
        DomainServiceClient client;
        try {
            client = DomainServiceClient.create(service, domain.policyCertificate());
        } catch (dev.cloudproxy.tao.VerificationException | IllegalArgumentException e) {
            throw new InputException("--domain-service: " + e.getMessage());
        }
        return (hostKey, name) -> {
            List<byte[]> chain = new ArrayList<>();
            chain.add(tpm.endorsementCertificate(type).orElseThrow(() -> new TaoException(
                    "the TPM has no " + type + " EK certificate at NV index 0x" + Integer.toHexString(type.nvIndex())
                            + " (try --ek " + (type == TpmTao.EndorsementKeyType.ECC_P256 ? "rsa" : "ecc")
                            + ", or write one from your own EK CA there)")));
            chain.addAll(issuers);
            try {
                return client.enroll(tpm.enrollmentRequest(type, chain, hostKey),
                        tpm.enrollmentResponder(type, hostKey, name));
            } catch (CertificateRefusedException e) {
                throw new TaoException("the domain service refused to enrol this host: " + e.getMessage());
            } catch (IOException e) {
                throw new IOException("cannot enrol with the domain service at " + addresses + ": " + e.getMessage(), e);
            }
        };
    }

    /** The endorsement key of {@code --ek ecc|rsa} (default ecc). */
    static TpmTao.EndorsementKeyType ekType(String option) throws InputException {
        if (option == null || option.equals("ecc")) {
            return TpmTao.EndorsementKeyType.ECC_P256;
        }
        if (option.equals("rsa")) {
            return TpmTao.EndorsementKeyType.RSA_2048;
        }
        throw new InputException("--ek takes ecc or rsa");
    }

    /**
     * The SHA-256 that stands for this host's code: the {@code JvmProgram} measurement of this
     * process's class path (every jar and directory, by content), main class and runtime. JVM options are left out (the daemon and
     * {@code tao host init} run with different ones), so an option that would load unmeasured code
     * (an agent, a boot class path, ...) is refused instead.
     */
    static byte[] measureSelf() throws InputException {
        List<String> options = ManagementFactory.getRuntimeMXBean().getInputArguments();
        try {
            JvmProgram.builder().jvmOptions(options);
        } catch (IllegalArgumentException e) {
            throw new InputException("a TPM-rooted host does not run with JVM options that load unmeasured code: "
                    + e.getMessage());
        }
        List<Path> classPath = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path", "").split(File.pathSeparator)) {
            if (!entry.isEmpty()) {
                classPath.add(Path.of(entry));
            }
        }
        // JvmProgram wants a jar first. Run as 'java -jar tao-cli.jar' (as ./tao does) the class
        // path is that jar; run from a build's class directories (tests) the first jar on the path
        // leads and the whole path follows in its order (a file already measured is skipped).
        Path first = classPath.stream()
                .filter(p -> p.getFileName() != null && p.getFileName().toString().endsWith(".jar") && java.nio.file.Files.isRegularFile(p))
                .findFirst()
                .orElseThrow(() -> new InputException("cannot measure this host: no jar on its class path"));
        try {
            return JvmProgram.builder()
                    .jar(first)
                    .classpath(classPath)
                    .mainClass(TaoCli.class.getName())
                    .runtime(Path.of(System.getProperty("java.home")))
                    .build()
                    .measure()
                    .hash()
                    .value();
        } catch (MeasurementException e) {
            throw new InputException("cannot measure this host: " + e.getMessage());
        }
    }

    /**
     * The TPM spec of {@code --tpm-device PATH} or {@code --tpm-simulator HOST:PORT} (at most one
     * of them non-null; neither: the default device).
     */
    static String spec(Path device, String simulator) throws InputException {
        if (simulator == null) {
            return TpmParent.deviceSpec(device == null ? TpmConnection.DEFAULT_DEVICE : device);
        }
        int colon = simulator.lastIndexOf(':');
        try {
            return TpmParent.simulatorSpec(simulator.substring(0, Math.max(colon, 0)),
                    Integer.parseInt(simulator.substring(colon + 1)));
        } catch (IllegalArgumentException e) {
            throw new InputException("--tpm-simulator takes HOST:PORT, e.g. 127.0.0.1:2321");
        }
    }

    /** Parses {@code --tpm-pcrs 0,1,2,23}. */
    static List<Integer> parsePcrs(String list) throws InputException {
        List<Integer> out = new ArrayList<>();
        for (String s : list.split(",", -1)) {
            if (!s.matches("[0-9]{1,2}")) {
                throw new InputException("--tpm-pcrs takes ascending PCR numbers 0..23 separated by commas, e.g. 0,7,23");
            }
            int p = Integer.parseInt(s);
            if (p > 23 || (!out.isEmpty() && p <= out.get(out.size() - 1))) {
                throw new InputException("--tpm-pcrs takes ascending PCR numbers 0..23 separated by commas, e.g. 0,7,23");
            }
            out.add(p);
        }
        if (!out.contains(TpmTao.HOST_PCR)) {
            throw new InputException("--tpm-pcrs must include the host PCR " + TpmTao.HOST_PCR);
        }
        return List.copyOf(out);
    }
}
