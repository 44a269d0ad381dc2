package dev.cloudproxy.tao.tpm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cloudproxy.tao.CoreTao;
import dev.cloudproxy.tao.TaoException;
import dev.cloudproxy.tao.UnsealException;
import dev.cloudproxy.tao.Unsealed;
import dev.cloudproxy.tao.VerificationException;
import dev.cloudproxy.tao.attestation.Attestation;
import dev.cloudproxy.tao.attestation.AttestationVerifier;
import dev.cloudproxy.tao.attestation.Tpm2Quote;
import dev.cloudproxy.tao.attestation.VerifiedStatement;
import dev.cloudproxy.tao.auth.Pred;
import dev.cloudproxy.tao.auth.Prin;
import dev.cloudproxy.tao.auth.Speaksfor;
import dev.cloudproxy.tao.auth.Str;
import dev.cloudproxy.tao.keys.Signer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tss.tpm.GetCapabilityResponse;
import tss.tpm.StartAuthSessionResponse;
import tss.tpm.TPML_HANDLE;
import tss.tpm.TPMT_SYM_DEF;
import tss.tpm.TPM_ALG_ID;
import tss.tpm.TPM_CAP;
import tss.tpm.TPM_HANDLE;
import tss.tpm.TPM_RH;
import tss.tpm.TPM_SE;

/** TPM-specific behaviour of {@link TpmTao}, {@link TpmConnection} and {@link NvCounter} on swtpm. */
class TpmTaoTest {
    /** Resettable at locality 0, so each test can put it back. */
    private static final int TEST_PCR = 16;
    private static final List<Integer> PCRS = List.of(0, TEST_PCR, TpmTao.HOST_PCR);
    private static final byte[] SECRET = "attack at dawn".getBytes(StandardCharsets.UTF_8);
    private static Swtpm swtpm;
    private static TpmConnection tpm;
    @TempDir
    Path dir;

    @BeforeAll
    static void startTpm() throws Exception {
        swtpm = Swtpm.start();
        tpm = swtpm.connect();
    }

    @AfterAll
    static void stopTpm() throws Exception {
        try {
            if (tpm != null) {
                tpm.close();
            }
        } finally {
            swtpm.close();
        }
    }

    @AfterEach
    void resetPcrs() throws Exception {
        for (int pcr : new int[] {TEST_PCR, TpmTao.HOST_PCR}) {
            tpm.run("TPM2_PCR_Reset", t -> {
                t.PCR_Reset(TPM_HANDLE.pcr(pcr));
                return null;
            });
        }
    }

    private static byte[] sha256(String s) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void name_isTheAkPrincipalWithThePcrs_andParsesBack() throws Exception {
        try (TpmTao tao = TpmTao.create(tpm, dir, PCRS)) {
            Prin name = tao.getTaoName();
            assertThat(name.toString()).startsWith("tpm2([").contains(".PCRs(\"0,16,23\", \"");
            assertThat(Prin.parse(name.toString())).isEqualTo(name);
            assertThat(name.root()).isEqualTo(Tpm2Quote.akPrincipal(tao.attestationKey()));
            assertThat(tao.pcrs().indices()).isEqualTo(PCRS);
        }
    }

    @Test
    void stateFile_isOwnerOnly() throws Exception {
        try (TpmTao tao = TpmTao.create(tpm, dir, PCRS)) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve(TpmTao.STATE_FILE))))
                    .isEqualTo("rw-------");
            assertThat(TpmTao.exists(dir)).isTrue();
        }
    }

    @Test
    void pcrPolicy_computedInSoftware_isTheTpmsOwn() throws Exception {
        try (TpmTao tao = TpmTao.create(tpm, dir, PCRS)) {
            StartAuthSessionResponse trial = tpm.run("TPM2_StartAuthSession", t -> t.StartAuthSession(
                    TPM_HANDLE.from(TPM_RH.NULL), TPM_HANDLE.from(TPM_RH.NULL), new byte[16], new byte[0],
                    TPM_SE.TRIAL, new TPMT_SYM_DEF(TPM_ALG_ID.NULL, 0, TPM_ALG_ID.NULL), TPM_ALG_ID.SHA256));
            try {
                tpm.run("TPM2_PolicyPCR", t -> {
                    t.PolicyPCR(trial.handle, new byte[0], TpmConnection.selection(PCRS));
                    return null;
                });
                byte[] digest = tpm.run("TPM2_PolicyGetDigest", t -> t.PolicyGetDigest(trial.handle));
                assertThat(TpmTao.pcrPolicy(tao.pcrs())).isEqualTo(digest);
            } finally {
                tpm.flush(trial.handle);
            }
        }
    }

    @Test
    void unseal_afterAPcrChanged_fails_andOpeningTheTaoFails() throws Exception {
        try (TpmTao tao = TpmTao.create(tpm, dir, PCRS)) {
            byte[] blob = tao.seal(SECRET, CoreTao.SEAL_POLICY_ANY);
            try (Unsealed u = tao.unseal(blob)) {
                assertThat(u.data()).isEqualTo(SECRET);
            }
            tpm.extendPcr(TEST_PCR, sha256("something else"));
            assertThat(assertThrows(UnsealException.class, () -> tao.unseal(blob)).getMessage()).isEqualTo("unseal failed");
            assertThat(assertThrows(TaoException.class, () -> TpmTao.open(tpm, dir)).getMessage())
                    .contains("cannot unseal this TPM Tao's deriving key");
        }
    }

    @Test
    void attest_afterAPcrChanged_fails() throws Exception {
        try (TpmTao tao = TpmTao.create(tpm, dir, PCRS)) {
            tao.attest(Pred.of("Ok"));
            tpm.extendPcr(TEST_PCR, sha256("something else"));
            assertThat(assertThrows(TaoException.class, () -> tao.attest(Pred.of("Ok"))).getMessage())
                    .contains("changed since this TPM Tao was opened");
        }
    }

    @Test
    void quote_everyBitFlip_failsVerification() throws Exception {
        try (TpmTao tao = TpmTao.create(tpm, dir, PCRS)) {
            byte[] good = tao.attest(Pred.of("Hello", new Str("tpm"))).serialize();
            AttestationVerifier verifier = AttestationVerifier.create();
            VerifiedStatement v = verifier.verify(good);
            assertThat(v.signer()).isEqualTo(Tpm2Quote.akPrincipal(tao.attestationKey()));
            for (int i = 0; i < good.length; i++) {
                for (int bit = 0; bit < 8; bit++) {
                    byte[] bad = good.clone();
                    bad[i] ^= (byte) (1 << bit);
                    assertThrows(VerificationException.class, () -> verifier.verify(bad), "byte " + i + " bit " + bit);
                }
            }
        }
    }

    @Test
    void hostKey_delegatedByAQuote_speaksForTheTpmName() throws Exception {
        try (TpmTao tao = TpmTao.create(tpm, dir, PCRS); Signer host = Signer.generate()) {
            Attestation delegation = tao.attest(new Speaksfor(host.principal(), tao.getTaoName()));
            VerifiedStatement d = AttestationVerifier.create().verify(delegation);
            assertThat(d.delegation()).isPresent();
        }
    }

    @Test
    void extendPcrOnce_extendsAZeroPcr_acceptsItsOwnValue_refusesAnother() throws Exception {
        byte[] host = sha256("host code");
        assertThat(tpm.extendPcrOnce(TpmTao.HOST_PCR, host)).isTrue();
        assertThat(tpm.extendPcrOnce(TpmTao.HOST_PCR, host)).isFalse();
        byte[] value = tpm.readPcrs(List.of(TpmTao.HOST_PCR)).value(0);
        assertThat(value).isEqualTo(TpmConnection.extended(new byte[32], host));
        assertThrows(TaoException.class, () -> tpm.extendPcrOnce(TpmTao.HOST_PCR, sha256("other code")));
        tpm.extendPcr(TpmTao.HOST_PCR, sha256("intruder"));
        assertThrows(TaoException.class, () -> tpm.extendPcrOnce(TpmTao.HOST_PCR, host));
    }

    @Test
    void sealedHostKeys_openAfterRestart_untilTheHostPcrIsExtendedBySomethingElse() throws Exception {
        byte[] host = sha256("host code");
        tpm.extendPcrOnce(TpmTao.HOST_PCR, host);
        byte[] blob;
        try (TpmTao tao = TpmTao.create(tpm, dir, PCRS)) {
            blob = tao.seal(SECRET, CoreTao.SEAL_POLICY_ANY);
        }
        assertThat(tpm.extendPcrOnce(TpmTao.HOST_PCR, host)).isFalse(); // the host restarts
        try (TpmTao again = TpmTao.open(tpm, dir); Unsealed u = again.unseal(blob)) {
            assertThat(u.data()).isEqualTo(SECRET);
            tpm.extendPcr(TpmTao.HOST_PCR, sha256("something else"));
            assertThrows(UnsealException.class, () -> again.unseal(blob));
        }
    }

    @Test
    void connecting_flushesObjectsACrashedClientLeft() throws Exception {
        try (Swtpm own = Swtpm.start()) {
            TcpTpmDevice crashed = new TcpTpmDevice("127.0.0.1", own.port());
            crashed.open();
            tss.Tpm raw = new tss.Tpm();
            raw._setDevice(crashed);
            raw.CreatePrimary(TpmTao.owner(), new tss.tpm.TPMS_SENSITIVE_CREATE(), Templates.storageRootKey(),
                    new byte[0], new tss.tpm.TPMS_PCR_SELECTION[0]);
            crashed.close(); // without flushing: swtpm keeps the object
            try (TpmConnection c = own.connect()) {
                GetCapabilityResponse caps = c.run("TPM2_GetCapability",
                        t -> t.GetCapability(TPM_CAP.HANDLES, 0x80000000, 64));
                assertThat(((TPML_HANDLE) caps.capabilityData).handle).isEmpty();
            }
        }
    }

    @Test
    void extendedHostPcr_isWhatTpm2PcrreadShows() throws Exception {
        try (Swtpm own = Swtpm.start()) {
            byte[] host = sha256("host code");
            try (TpmConnection c = own.connect()) {
                c.extendPcrOnce(TpmTao.HOST_PCR, host);
            }
            String out = own.tpm2Tools("tpm2_pcrread", "sha256:" + TpmTao.HOST_PCR);
            String expected = java.util.HexFormat.of().withUpperCase().formatHex(TpmConnection.extended(new byte[32], host));
            assertThat(out).contains(TpmTao.HOST_PCR + ": 0x" + expected);
        }
    }

    @Test
    void simulatorSocket_hasNagleOff() throws Exception {
        try (Swtpm own = Swtpm.start()) {
            TcpTpmDevice d = new TcpTpmDevice("127.0.0.1", own.port());
            d.open();
            try {
                assertThat(d.noDelay()).isTrue();
            } finally {
                d.close();
            }
        }
    }

    @Test
    void nvCounter_onlyGoesUp_evenWhenRedefined() throws Exception {
        int index = NvCounter.FIRST_OWNER_INDEX + 0x10;
        NvCounter c = NvCounter.define(tpm, index);
        long first = c.read();
        assertThat(c.increment()).isEqualTo(first + 1);
        assertThat(NvCounter.open(tpm, index).read()).isEqualTo(first + 1);
        TpmCommandException dup = assertThrows(TpmCommandException.class, () -> NvCounter.define(tpm, index));
        assertThat(dup.responseCode()).isEqualTo("NV_DEFINED");
        c.undefine();
        assertThrows(TaoException.class, () -> NvCounter.open(tpm, index));
        NvCounter again = NvCounter.define(tpm, index);
        assertThat(again.read()).isGreaterThan(first + 1);
        again.undefine();
        assertThrows(IllegalArgumentException.class, () -> NvCounter.define(tpm, 0x01c00002));
    }
}
