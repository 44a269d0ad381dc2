package dev.cloudproxy.tao.domainservice;

import static dev.cloudproxy.tao.domainservice.ServiceFixture.HASH;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cloudproxy.tao.DecryptionException;
import dev.cloudproxy.tao.StaleStateException;
import dev.cloudproxy.tao.CoreTao;
import dev.cloudproxy.tao.TaoException;
import dev.cloudproxy.tao.Unsealed;
import dev.cloudproxy.tao.auth.Bytes;
import dev.cloudproxy.tao.auth.PrinExt;
import dev.cloudproxy.tao.auth.SubPrin;
import dev.cloudproxy.tao.domain.CertificateRefusedException;
import dev.cloudproxy.tao.domain.DomainServiceProtocol;
import dev.cloudproxy.tao.domain.ProgramCertificate;
import dev.cloudproxy.tao.keys.Crypter;
import dev.cloudproxy.tao.keys.Signer;
import dev.cloudproxy.tao.paradigm.TaoParadigm;
import dev.cloudproxy.tao.soft.SoftTao;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Tao paradigm against a real domain service, with soft Taos standing for hosted programs. */
class TaoParadigmTest {
    @TempDir
    Path tmp;

    private ServiceFixture f;
    private Path state;

    @BeforeEach
    void setUp() throws Exception {
        f = new ServiceFixture(tmp, true, "", b -> b.lifetime(Duration.ofDays(30)));
        state = tmp.resolve("state");
    }

    @AfterEach
    void tearDown() throws Exception {
        f.close();
    }

    private TaoParadigm open(SoftTao program) throws Exception {
        return open(program, Clock.systemUTC());
    }

    private TaoParadigm open(SoftTao program, Clock clock) throws Exception {
        return TaoParadigm.builder(program, state)
                .policyCertificate(f.domain.policyCertificate())
                .domainService(f.service.address())
                .timeout(Duration.ofSeconds(20))
                .clock(clock)
                .open();
    }

    private long issuedCount() throws Exception {
        return f.auditLines().stream().filter(l -> l.contains("\tissued\t")).count();
    }

    @Test
    void open_firstRun_createsSealedKeysAndGetsACertificateForTheExtendedName() throws Exception {
        SoftTao program = f.program(HASH);
        try (TaoParadigm p = open(program)) {
            assertThat(p.principal()).isEqualTo(f.programName(HASH)
                    .extend(DomainServiceProtocol.policyKeyExtension(f.domain.policyPrincipal())));
            assertThat(program.getTaoName()).isEqualTo(p.principal());
            assertThat(ProgramCertificate.verify(p.certificate(), f.domain.policyCertificate(), Instant.now()))
                    .isEqualTo(p.principal());
            assertThat(p.certificate().getPublicKey().getEncoded()).isEqualTo(p.signer().verifier().pkix());
            assertThat(p.certificateChain()).containsExactly(p.certificate());
        }
        for (String file : new String[] {TaoParadigm.KEYS_FILE, TaoParadigm.CERT_FILE}) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(state.resolve(file))))
                    .isEqualTo("rw-------");
        }
        assertThat(issuedCount()).isEqualTo(1);
    }

    @Test
    void open_withReplicasTheFirstOfWhichIsDown_getsItsCertificateFromTheNext() throws Exception {
        InetSocketAddress down;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            down = new InetSocketAddress(InetAddress.getLoopbackAddress(), s.getLocalPort());
        }
        try (TaoParadigm p = TaoParadigm.builder(f.program(HASH), state)
                .policyCertificate(f.domain.policyCertificate())
                .domainServices(List.of(down, f.service.address()))
                .timeout(Duration.ofSeconds(20))
                .open()) {
            assertThat(ProgramCertificate.verify(p.certificate(), f.domain.policyCertificate(), Instant.now()))
                    .isEqualTo(p.principal());
        }
        assertThat(issuedCount()).isEqualTo(1);
    }

    @Test
    void open_secondRun_reusesTheSealedStateWithoutANewCertificate() throws Exception {
        byte[] box;
        java.math.BigInteger serial;
        byte[] key;
        try (TaoParadigm first = open(f.program(HASH))) {
            box = first.protect("secret".getBytes(StandardCharsets.UTF_8));
            serial = first.certificate().getSerialNumber();
            key = first.signer().verifier().pkix();
        }

        try (TaoParadigm second = open(f.program(HASH))) {
            assertThat(second.certificate().getSerialNumber()).isEqualTo(serial);
            assertThat(second.signer().verifier().pkix()).isEqualTo(key);
            assertThat(new String(second.unprotect(box), StandardCharsets.UTF_8)).isEqualTo("secret");
        }
        assertThat(issuedCount()).isEqualTo(1);
    }

    @Test
    void open_olderKeyFilePutBack_isRefusedAsStale() throws Exception {
        Path keys = state.resolve(TaoParadigm.KEYS_FILE);
        open(f.program(HASH)).close();
        byte[] v1 = Files.readAllBytes(keys);
        Files.delete(keys);
        Files.delete(state.resolve(TaoParadigm.CERT_FILE));
        open(f.program(HASH)).close(); // new keys, the label's counter at 2
        Files.write(keys, v1);

        StaleStateException e = assertThrows(StaleStateException.class, () -> open(f.program(HASH)));

        assertThat(e).hasMessage("stale state: counter 1, expected 2");
        assertThat(Files.readAllBytes(keys)).isEqualTo(v1);
    }

    @Test
    void open_keyFileOfTheFormatBeforeRollbackProtection_isReadOnceAndRewrittenProtected() throws Exception {
        SoftTao program = f.program(HASH);
        program.extendTaoName(SubPrin.of(DomainServiceProtocol.policyKeyExtension(f.domain.policyPrincipal())));
        byte[] oldFormat;
        byte[] key;
        try (Signer signer = Signer.generate(); Crypter crypter = Crypter.generate()) {
            key = signer.verifier().pkix();
            byte[] s = signer.exportSecretKeyMaterial();
            byte[] c = crypter.exportSecretKeyMaterial();
            java.nio.ByteBuffer plain = java.nio.ByteBuffer.allocate(5 + 2 + s.length + 2 + c.length)
                    .put("TAOP".getBytes(StandardCharsets.US_ASCII)).put((byte) 1)
                    .putShort((short) s.length).put(s).putShort((short) c.length).put(c);
            oldFormat = program.seal(plain.array(), CoreTao.SEAL_POLICY_SELF);
        }
        Files.createDirectories(state);
        Path keys = state.resolve(TaoParadigm.KEYS_FILE);
        Files.write(keys, oldFormat);

        try (TaoParadigm p = open(program)) {
            assertThat(p.signer().verifier().pkix()).isEqualTo(key);
        }
        try (Unsealed u = program.rollbackProtectedUnseal(Files.readAllBytes(keys))) {
            assertThat(u.label()).contains(TaoParadigm.KEYS_LABEL);
        }
        // Once protected, the old-format copy put back is stale, not a way around the counter.
        Files.write(keys, oldFormat);
        StaleStateException e = assertThrows(StaleStateException.class, () -> open(f.program(HASH)));
        assertThat(e).hasMessage("stale state: counter 0, expected 1");
    }

    @Test
    void open_anotherProgramName_cannotUnsealTheState() throws Exception {
        open(f.program(HASH)).close();
        SoftTao other = f.program(HASH);
        other.extendTaoName(SubPrin.of(PrinExt.of("Other", new Bytes(new byte[] {1}))));

        TaoException e = assertThrows(TaoException.class, () -> open(other));

        assertThat(e).hasMessageContaining("does not unseal");
        assertThat(issuedCount()).isEqualTo(1);
    }

    @Test
    void open_programThePolicyDoesNotTrust_isRefusedAndLeavesNoCertificate() throws Exception {
        CertificateRefusedException e = assertThrows(CertificateRefusedException.class,
                () -> open(f.program(ServiceFixture.OTHER_HASH)));

        assertThat(e.reason()).contains("the guard does not authorize");
        assertThat(state.resolve(TaoParadigm.CERT_FILE)).doesNotExist();
    }

    @Test
    void open_certificateNearExpiry_isRenewedWithTheSameKey() throws Exception {
        java.math.BigInteger serial;
        byte[] key;
        try (TaoParadigm first = open(f.program(HASH))) {
            serial = first.certificate().getSerialNumber();
            key = first.signer().verifier().pkix();
        }
        // 25 of the 30 days have passed: less than a third is left.
        Clock later = Clock.fixed(Instant.now().plus(Duration.ofDays(25)), ZoneOffset.UTC);

        try (TaoParadigm second = open(f.program(HASH), later)) {
            assertThat(second.certificate().getSerialNumber()).isNotEqualTo(serial);
            assertThat(second.certificate().getPublicKey().getEncoded()).isEqualTo(key);
        }
        assertThat(issuedCount()).isEqualTo(2);
    }

    @Test
    void renewCertificate_storesTheNewCertificateForTheNextRun() throws Exception {
        java.math.BigInteger renewed;
        try (TaoParadigm p = open(f.program(HASH))) {
            renewed = p.renewCertificate().getSerialNumber();
            assertThat(p.certificate().getSerialNumber()).isEqualTo(renewed);
        }
        try (TaoParadigm again = open(f.program(HASH))) {
            assertThat(again.certificate().getSerialNumber()).isEqualTo(renewed);
        }
    }

    @Test
    void open_stateDirectoryWithATamperedKeyBlob_isRefused() throws Exception {
        open(f.program(HASH)).close();
        Path keys = state.resolve(TaoParadigm.KEYS_FILE);
        byte[] blob = Files.readAllBytes(keys);
        blob[blob.length / 2] ^= 1;
        Files.write(keys, blob);

        assertThrows(TaoException.class, () -> open(f.program(HASH)));
    }

    @Test
    void unprotect_everyFlippedBit_failsTheSameWay() throws Exception {
        try (TaoParadigm p = open(f.program(HASH))) {
            byte[] box = p.protect("attack at dawn".getBytes(StandardCharsets.UTF_8));
            for (int i = 0; i < box.length * 8; i++) {
                byte[] bad = box.clone();
                bad[i / 8] ^= (byte) (1 << (i % 8));
                DecryptionException e = assertThrows(DecryptionException.class, () -> p.unprotect(bad));
                assertThat(e).hasMessage("decryption failed");
            }
            assertThrows(DecryptionException.class, () -> p.unprotect(new byte[0]));
            assertThrows(DecryptionException.class, () -> p.unprotect(java.util.Arrays.copyOf(box, box.length - 1)));
            assertThat(p.unprotect(box)).isEqualTo("attack at dawn".getBytes(StandardCharsets.UTF_8));
            assertThat(p.toString()).doesNotContain("attack");
        }
    }

    @Test
    void unprotect_dataOfAnotherProgram_fails() throws Exception {
        byte[] box;
        try (TaoParadigm p = open(f.program(HASH))) {
            box = p.protect(new byte[] {1, 2, 3});
        }
        state = tmp.resolve("state-of-another-program");
        try (TaoParadigm other = open(f.program(HASH))) {
            assertThrows(DecryptionException.class, () -> other.unprotect(box));
        }
    }
}
