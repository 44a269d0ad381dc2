package dev.cloudproxy.tao.tpm;

import dev.cloudproxy.tao.CoreTao;
import dev.cloudproxy.tao.Unsealed;
import dev.cloudproxy.tao.attestation.Attestation;
import dev.cloudproxy.tao.auth.Form;
import dev.cloudproxy.tao.auth.Pred;
import dev.cloudproxy.tao.auth.Str;
import dev.cloudproxy.tao.soft.SoftTao;
import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import dev.cloudproxy.tao.attestation.AttestationVerifier;
import dev.cloudproxy.tao.attestation.VerifiedStatement;
import dev.cloudproxy.tao.auth.Bytes;
import dev.cloudproxy.tao.auth.PrinExt;
import dev.cloudproxy.tao.auth.Speaksfor;
import dev.cloudproxy.tao.auth.SubPrin;
import dev.cloudproxy.tao.host.Host;
import dev.cloudproxy.tao.host.HostedProgram;
import dev.cloudproxy.tao.host.HostedPrograms;
import dev.cloudproxy.tao.keys.Keys;
import tss.tpm.CreatePrimaryResponse;

/**
 * Each TPM operation the TPM Tao uses, on swtpm (started on free loopback ports for the run),
 * beside the soft Tao doing the same Tao call in the same run: attest (one TPM2_Quote), seal of
 * 1 KiB (TPM2_Create of the sealed seed), unseal (TPM2_Load, StartAuthSession, PolicyPCR, Unseal,
 * two FlushContext), PCR read and extend, creating an attestation key (TPM2_CreatePrimary under
 * the endorsement hierarchy, then FlushContext), an NV counter increment and read, and 32 random
 * bytes from the TPM; a rollback-protected seal (and its commit) against the ordinary seal; AK certification: the service's checks, certificate and software
 * MakeCredential, and the TPM's ActivateCredential (with the EK's policy session). And a hosted program's seal and attest on a host stacked over the TPM Tao
 * (its key delegated by one quote) beside a root host on soft keys, in-process (the RPC hop is
 * {@code HostRpcBenchmark}'s), and verifying what each produces. swtpm must be on the PATH.
 *
 * <p>It lives in the tpm package to reach the connection's package-private command runner.
 *
 * <pre>java -jar benchmarks/target/benchmarks.jar TpmBenchmark</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class TpmBenchmark {
    private static final Form HELLO = Pred.of("Hello", new Str("world"));
    private static final int COUNTER = NvCounter.FIRST_OWNER_INDEX + 0x7a0;

    private Process swtpm;
    private Path state;
    private TpmConnection tpm;
    private TpmTao tao;
    private SoftTao soft;
    private NvCounter counter;
    private byte[] data;
    private byte[] tpmSealed;
    private byte[] softSealed;
    private byte[] digest;
    private int made;
    private Keys tpmHostKeys;
    private Keys softHostKeys;
    private CoreTao onTpmHost;
    private CoreTao onSoftHost;
    private byte[] tpmHostAttestation;
    private byte[] softHostAttestation;
    private final AttestationVerifier verifier = AttestationVerifier.create();
    private dev.cloudproxy.tao.keys.Signer policyKey;
    private AkCertifier certifier;
    private AkCertifier.Request akRequest;
    private AkCertifier.Response akResponse;

    @Setup
    public void setUp() throws Exception {
        state = Files.createTempDirectory("tpm-bench");
        int port;
        int ctrl;
        try (ServerSocket a = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                ServerSocket b = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = a.getLocalPort();
            ctrl = b.getLocalPort();
        }
        swtpm = new ProcessBuilder("swtpm", "socket", "--tpm2",
                "--server", "type=tcp,port=" + port + ",bindaddr=127.0.0.1",
                "--ctrl", "type=tcp,port=" + ctrl + ",bindaddr=127.0.0.1",
                "--tpmstate", "dir=" + state, "--flags", "not-need-init,startup-clear")
                .redirectErrorStream(true).redirectOutput(new File(state.toFile(), "swtpm.log")).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (true) {
            try (Socket probe = new Socket()) {
                probe.connect(new InetSocketAddress("127.0.0.1", ctrl), 200);
                break;
            } catch (IOException notYet) {
                if (!swtpm.isAlive() || System.nanoTime() > deadline) {
                    throw new IOException("swtpm did not start", notYet);
                }
                swtpm.waitFor(20, TimeUnit.MILLISECONDS);
            }
        }
        tpm = TpmConnection.simulator("127.0.0.1", port);
        tao = TpmTao.create(tpm, state.resolve("tao"), List.of(0, 7, TpmTao.HOST_PCR));
        soft = SoftTao.ephemeral();
        counter = NvCounter.define(tpm, COUNTER);
        data = new byte[1024];
        tpmSealed = tao.seal(data, CoreTao.SEAL_POLICY_SELF);
        softSealed = soft.seal(data, CoreTao.SEAL_POLICY_SELF);
        digest = new byte[32];

        HostedPrograms programs = new HostedPrograms();
        HostedProgram program = programs.register(ProcessHandle.current().pid(),
                SubPrin.of(PrinExt.of("Program", new Bytes(new byte[32]))));
        tpmHostKeys = Keys.generate();
        Attestation delegation = tao.attest(new Speaksfor(tpmHostKeys.principal(), tao.getTaoName()));
        onTpmHost = Host.stacked(tpmHostKeys, delegation).taoFor(program);
        softHostKeys = Keys.generate();
        onSoftHost = Host.root(softHostKeys).taoFor(program);
        tpmHostAttestation = onTpmHost.attest(HELLO).serialize();
        softHostAttestation = onSoftHost.attest(HELLO).serialize();

        policyKey = dev.cloudproxy.tao.keys.Signer.generate();
        certifier = new AkCertifier(policyKey, List.of(policyKey.verifier()), verifier);
        byte[] ek = AkCertifier.developmentEkCertificate(policyKey, tao.endorsementKeyPublicArea()).getEncoded();
        akRequest = tao.akCertificationRequest(ek);
        akResponse = certifier.certify(akRequest);
    }

    @TearDown
    public void tearDown() throws Exception {
        try {
            tao.close();
            soft.close();
            tpmHostKeys.close();
            softHostKeys.close();
            policyKey.close();
            tpm.close();
        } finally {
            swtpm.destroy();
            if (!swtpm.waitFor(5, TimeUnit.SECONDS)) {
                swtpm.destroyForcibly();
            }
            try (Stream<Path> files = Files.walk(state)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    @Benchmark
    public Attestation tpmAttest() throws Exception {
        return tao.attest(HELLO);
    }

    @Benchmark
    public Attestation softAttest() throws Exception {
        return soft.attest(HELLO);
    }

    @Benchmark
    public byte[] tpmSeal1KiB() throws Exception {
        return tao.seal(data, CoreTao.SEAL_POLICY_SELF);
    }

    @Benchmark
    public byte[] softSeal1KiB() throws Exception {
        return soft.seal(data, CoreTao.SEAL_POLICY_SELF);
    }

    /** An ordinary seal plus the counter advance: one NV increment when the table is committed. */
    @Benchmark
    public byte[] tpmRollbackProtectedSeal1KiB() throws Exception {
        return tao.rollbackProtectedSeal("bench", data, CoreTao.SEAL_POLICY_SELF);
    }

    /** Seal, then the commit a writer makes once its file is written (open the new blob once). */
    @Benchmark
    public int tpmRollbackProtectedSealAndCommit1KiB() throws Exception {
        try (Unsealed u = tao.rollbackProtectedUnseal(tao.rollbackProtectedSeal("bench", data, CoreTao.SEAL_POLICY_SELF))) {
            return u.data().length;
        }
    }

    @Benchmark
    public int tpmUnseal1KiB() throws Exception {
        try (Unsealed u = tao.unseal(tpmSealed)) {
            return u.data().length;
        }
    }

    @Benchmark
    public int softUnseal1KiB() throws Exception {
        try (Unsealed u = soft.unseal(softSealed)) {
            return u.data().length;
        }
    }

    @Benchmark
    public byte[] tpmSharedSecret() throws Exception {
        return tao.getSharedSecret(32, CoreTao.SEAL_POLICY_SELF);
    }

    @Benchmark
    public Object pcrRead() throws Exception {
        return tpm.readPcrs(List.of(0, 7, TpmTao.HOST_PCR));
    }

    /** PCR 16 (debug, resettable), so the Tao's PCRs stay as they are. */
    @Benchmark
    public void pcrExtend() throws Exception {
        tpm.extendPcr(16, digest);
    }

    @Benchmark
    public void createAttestationKey() throws Exception {
        byte[] unique = new byte[32];
        unique[0] = (byte) made;
        unique[1] = (byte) (made++ >>> 8);
        CreatePrimaryResponse k = tpm.run("TPM2_CreatePrimary", t -> t.CreatePrimary(TpmTao.endorsement(),
                new tss.tpm.TPMS_SENSITIVE_CREATE(), Templates.attestationKey(unique), new byte[0],
                new tss.tpm.TPMS_PCR_SELECTION[0]));
        tpm.flush(k.handle);
    }

    @Benchmark
    public long nvCounterIncrement() throws Exception {
        return counter.increment();
    }

    @Benchmark
    public byte[] tpmRandom32() throws Exception {
        return tpm.random(32);
    }

    @Benchmark
    public byte[] hostedSeal1KiBOnTpmHost() throws Exception {
        return onTpmHost.seal(data, CoreTao.SEAL_POLICY_SELF);
    }

    @Benchmark
    public byte[] hostedSeal1KiBOnSoftHost() throws Exception {
        return onSoftHost.seal(data, CoreTao.SEAL_POLICY_SELF);
    }

    @Benchmark
    public Attestation hostedAttestOnTpmHost() throws Exception {
        return onTpmHost.attest(HELLO);
    }

    @Benchmark
    public Attestation hostedAttestOnSoftHost() throws Exception {
        return onSoftHost.attest(HELLO);
    }

    /** The program's attestation with the host's delegation, a quote: two signatures and the quote checks. */
    @Benchmark
    public VerifiedStatement verifyTpmHostAttestation() throws Exception {
        return verifier.verify(tpmHostAttestation);
    }

    @Benchmark
    public VerifiedStatement verifySoftHostAttestation() throws Exception {
        return verifier.verify(softHostAttestation);
    }

    @Benchmark
    public AkCertifier.Response akCertifyByService() throws Exception {
        return certifier.certify(akRequest);
    }

    @Benchmark
    public Object akActivateCredential() throws Exception {
        return tao.activateAkCertificate(akResponse);
    }
}
