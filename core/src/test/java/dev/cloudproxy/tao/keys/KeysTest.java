package dev.cloudproxy.tao.keys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KeysTest {
    /** Far below the floor, so the suite stays fast; only reachable through package-private calls. */
    private static final Argon2Params CHEAP = new Argon2Params(64, 1, 1);

    // Offsets in a version 1 file with a 16-byte salt and a P-256 key.
    private static final int SALT_AT = 20;
    private static final int PUBLIC_KEY_AT = 38;
    private static final int SEALED_AT = 131;

    @TempDir Path dir;

    @Test
    void saveThenLoad_roundTrip_keysWorkTheSame() throws Exception {
        try (Keys keys = Keys.generate()) {
            byte[] ciphertext = keys.crypter().encrypt(bytes("data"), bytes("aad"));
            byte[] derived = keys.deriver().derive(bytes("salt"), bytes("purpose"), 32);
            keys.save(dir, password("correct horse"), CHEAP, CHEAP);

            try (Keys loaded = Keys.load(dir, password("correct horse"), CHEAP)) {
                assertThat(loaded.principal()).isEqualTo(keys.principal());
                assertThat(loaded.verifier()).isEqualTo(keys.verifier());
                keys.verifier().verify(bytes("m"), loaded.signer().sign(bytes("m")));
                assertThat(loaded.crypter().decrypt(ciphertext, bytes("aad"))).isEqualTo(bytes("data"));
                assertThat(loaded.deriver().derive(bytes("salt"), bytes("purpose"), 32)).isEqualTo(derived);
            }
        }
    }

    @Test
    void saveThenLoad_defaultParametersThroughPublicApi_roundTrips() throws Exception {
        try (Keys keys = Keys.generate()) {
            keys.save(dir, password("pässwörd ✓"));

            try (Keys loaded = Keys.load(dir, password("pässwörd ✓"))) {
                assertThat(loaded.principal()).isEqualTo(keys.principal());
            }
            assertThat(readParams()).isEqualTo(Argon2Params.DEFAULT);
        }
    }

    @Test
    void load_wrongPassword_throwsWrongPasswordWithoutHints() throws Exception {
        try (Keys keys = Keys.generate()) {
            keys.save(dir, password("right"), CHEAP, CHEAP);

            WrongPasswordException e = assertThrows(WrongPasswordException.class,
                    () -> Keys.load(dir, password("wrong"), CHEAP));
            assertThat(e).hasMessage("wrong password, or the key set was altered").hasNoCause();
            assertThrows(WrongPasswordException.class, () -> Keys.load(dir, password("righ"), CHEAP));
            assertThrows(WrongPasswordException.class, () -> Keys.load(dir, password(""), CHEAP));
        }
    }

    @Test
    void save_writesOwnerOnlyFilesAndLeavesNoTemporaryFile() throws Exception {
        Path keyDir = dir.resolve("new").resolve("keys");
        try (Keys keys = Keys.generate()) {
            keys.save(keyDir, password("pw"), CHEAP, CHEAP);
            keys.save(keyDir, password("pw"), CHEAP, CHEAP); // replacing also leaves nothing behind

            assertThat(Files.getPosixFilePermissions(keyDir.resolve(Keys.KEY_SET_FILE)))
                    .isEqualTo(PosixFilePermissions.fromString("rw-------"));
            assertThat(Files.getPosixFilePermissions(keyDir))
                    .isEqualTo(PosixFilePermissions.fromString("rwx------"));
            try (Stream<Path> files = Files.list(keyDir)) {
                assertThat(files.map(p -> p.getFileName().toString()).sorted())
                        .containsExactly(Keys.KEY_SET_FILE, Keys.PUBLIC_KEY_FILE);
            }
        }
    }

    @Test
    void save_publicKeyPemAndReadVerifier_needNoPassword() throws Exception {
        try (Keys keys = Keys.generate()) {
            keys.save(dir, password("pw"), CHEAP, CHEAP);

            String pem = Files.readString(dir.resolve(Keys.PUBLIC_KEY_FILE), StandardCharsets.US_ASCII);
            assertThat(Verifier.fromPem(pem)).isEqualTo(keys.verifier());
            assertThat(Keys.readVerifier(dir).principal()).isEqualTo(keys.principal());
            assertThat(Keys.exists(dir)).isTrue();
            assertThat(Keys.exists(dir.resolve("elsewhere"))).isFalse();
        }
    }

    @Test
    void save_again_replacesKeySetAndPassword() throws Exception {
        try (Keys first = Keys.generate(); Keys second = Keys.generate()) {
            first.save(dir, password("one"), CHEAP, CHEAP);
            second.save(dir, password("two"), CHEAP, CHEAP);

            assertThrows(WrongPasswordException.class, () -> Keys.load(dir, password("one"), CHEAP));
            try (Keys loaded = Keys.load(dir, password("two"), CHEAP)) {
                assertThat(loaded.principal()).isEqualTo(second.principal());
            }
        }
    }

    @Test
    void load_everyByteFlipped_throwsInvalidKeySet() throws Exception {
        byte[] file = savedFile();
        for (int i = 0; i < file.length; i++) {
            byte[] tampered = file.clone();
            tampered[i] ^= 0x01;
            write(tampered);
            assertThrows(InvalidKeySetException.class, () -> Keys.load(dir, password("pw"), CHEAP),
                    "byte " + i);
            assertThrows(InvalidKeySetException.class, () -> Keys.readVerifier(dir), "byte " + i);
        }
    }

    @Test
    void load_alteredWithRecomputedChecksum_throwsTypedErrors() throws Exception {
        byte[] file = savedFile();
        int[] authenticatedOffsets = {
            SALT_AT, SALT_AT + 15, SEALED_AT, SEALED_AT + 1, SEALED_AT + 20, file.length - 33,
        };
        for (int i : authenticatedOffsets) {
            byte[] tampered = file.clone();
            tampered[i] ^= 0x01;
            write(withChecksum(tampered));
            assertThrows(WrongPasswordException.class, () -> Keys.load(dir, password("pw"), CHEAP),
                    "byte " + i);
        }
        // Every byte: never anything but one of the two typed errors.
        for (int i = 0; i < file.length - 32; i++) {
            byte[] tampered = file.clone();
            tampered[i] ^= 0x40;
            write(withChecksum(tampered));
            Exception e = assertThrows(Exception.class, () -> Keys.load(dir, password("pw"), CHEAP));
            assertThat(e).as("byte " + i).isInstanceOfAny(WrongPasswordException.class,
                    InvalidKeySetException.class);
        }
    }

    @Test
    void load_otherPublicKeyWithRecomputedChecksum_throws() throws Exception {
        byte[] file = savedFile();
        byte[] other = Signer.generate().verifier().pkix();
        System.arraycopy(other, 0, file, PUBLIC_KEY_AT, other.length);
        write(withChecksum(file));

        // The public key is associated data of the sealed keys: swapping it breaks decryption.
        assertThrows(WrongPasswordException.class, () -> Keys.load(dir, password("pw"), CHEAP));
    }

    @Test
    void load_everyTruncation_throwsInvalidKeySet() throws Exception {
        byte[] file = savedFile();
        for (int length = 0; length < file.length; length++) {
            write(Arrays.copyOf(file, length));
            assertThrows(InvalidKeySetException.class, () -> Keys.load(dir, password("pw"), CHEAP),
                    "length " + length);
        }
    }

    @Test
    void load_trailingOrOversizedContent_throwsInvalidKeySet() throws Exception {
        byte[] file = savedFile();
        write(Arrays.copyOf(file, file.length + 1));
        assertThrows(InvalidKeySetException.class, () -> Keys.load(dir, password("pw"), CHEAP));

        write(withChecksum(Arrays.copyOf(file, file.length + 1))); // a byte between sealed and checksum
        assertThrows(InvalidKeySetException.class, () -> Keys.load(dir, password("pw"), CHEAP));

        write(Arrays.copyOf(file, Keys.MAX_FILE_BYTES + 1));
        InvalidKeySetException e = assertThrows(InvalidKeySetException.class,
                () -> Keys.load(dir, password("pw"), CHEAP));
        assertThat(e).hasMessageContaining("larger than");

        write(new byte[64 << 20]); // 64 MiB: read only up to the limit
        assertThrows(InvalidKeySetException.class, () -> Keys.load(dir, password("pw"), CHEAP));
    }

    @Test
    void load_notAKeySetFile_throwsInvalidKeySet() throws Exception {
        write(new byte[0]);
        assertThrows(InvalidKeySetException.class, () -> Keys.load(dir, password("pw")));
        write(bytes("-----BEGIN PUBLIC KEY-----\n"));
        assertThrows(InvalidKeySetException.class, () -> Keys.load(dir, password("pw")));
        byte[] newerVersion = savedFile();
        newerVersion[8] = 2;
        write(withChecksum(newerVersion));
        InvalidKeySetException e = assertThrows(InvalidKeySetException.class, () -> Keys.readVerifier(dir));
        assertThat(e).hasMessageContaining("version 2");
        byte[] otherProtection = savedFile();
        otherProtection[9] = 2;
        write(withChecksum(otherProtection));
        assertThrows(InvalidKeySetException.class, () -> Keys.readVerifier(dir));
    }

    @Test
    void load_missingFile_throwsIOException() {
        assertThrows(NoSuchFileException.class, () -> Keys.load(dir.resolve("none"), password("pw")));
    }

    @Test
    void load_parametersBelowFloor_refusedByPublicLoad() throws Exception {
        try (Keys keys = Keys.generate()) {
            keys.save(dir, password("pw"), CHEAP, CHEAP);

            InvalidKeySetException e = assertThrows(InvalidKeySetException.class,
                    () -> Keys.load(dir, password("pw")));
            assertThat(e).hasMessageContaining("weaker than the minimum");
        }
    }

    @Test
    void load_parametersJustBelowFloor_refused() throws Exception {
        byte[] file = savedFile();
        for (Argon2Params weak : List.of(
                new Argon2Params(Argon2Params.FLOOR.memoryKiB() - 1, 3, 1),
                new Argon2Params(Argon2Params.DEFAULT.memoryKiB(), Argon2Params.FLOOR.iterations() - 1, 1))) {
            write(withChecksum(withParams(file, weak)));
            assertThrows(InvalidKeySetException.class, () -> Keys.load(dir, password("pw")), weak.toString());
        }
    }

    @Test
    void loadAndSave_parametersAtFloor_accepted() throws Exception {
        try (Keys keys = Keys.generate()) {
            keys.save(dir, password("pw"), Argon2Params.FLOOR);
            try (Keys loaded = Keys.load(dir, password("pw"))) {
                assertThat(loaded.principal()).isEqualTo(keys.principal());
            }
        }
    }

    @Test
    void load_parametersAboveCeiling_refusedBeforeAnyWork() throws Exception {
        byte[] file = savedFile();
        ByteBuffer.wrap(file).putInt(10, Integer.MAX_VALUE);
        write(withChecksum(file));
        assertThrows(InvalidKeySetException.class, () -> Keys.load(dir, password("pw")));

        ByteBuffer.wrap(file).putInt(10, -1); // 4 GiB - 1 KiB as unsigned
        write(withChecksum(file));
        assertThrows(InvalidKeySetException.class, () -> Keys.load(dir, password("pw")));

        byte[] slow = withParams(savedFile(), new Argon2Params(64 * 1024, 1000, 1));
        write(withChecksum(slow));
        assertThrows(InvalidKeySetException.class, () -> Keys.load(dir, password("pw")));

        byte[] noLanes = savedFile();
        noLanes[18] = 0;
        write(withChecksum(noLanes));
        assertThrows(InvalidKeySetException.class, () -> Keys.load(dir, password("pw")));
    }

    @Test
    void save_weakParametersOrEmptyPassword_rejected() {
        try (Keys keys = Keys.generate()) {
            assertThrows(IllegalArgumentException.class,
                    () -> keys.save(dir, password("pw"), new Argon2Params(19 * 1024 - 1, 2, 1)));
            assertThrows(IllegalArgumentException.class,
                    () -> keys.save(dir, password("pw"), new Argon2Params(64 * 1024, 1, 1)));
            assertThrows(IllegalArgumentException.class,
                    () -> keys.save(dir, password("pw"), new Argon2Params(64 * 1024, 17, 1)));
            assertThrows(IllegalArgumentException.class, () -> keys.save(dir, new char[0], CHEAP, CHEAP));
            assertThat(Keys.exists(dir)).isFalse();
        }
    }

    @Test
    void closedKeys_useThrowsButVerifierWorks() throws Exception {
        Keys keys = Keys.generate();
        byte[] signature = keys.signer().sign(bytes("m"));
        keys.close();

        assertThat(keys.isDestroyed()).isTrue();
        assertThrows(IllegalStateException.class, () -> keys.signer().sign(bytes("m")));
        assertThrows(IllegalStateException.class, () -> keys.crypter().encrypt(bytes("m")));
        assertThrows(IllegalStateException.class, () -> keys.deriver().derive(new byte[0], new byte[0], 1));
        assertThrows(IllegalStateException.class, () -> keys.save(dir, password("pw"), CHEAP, CHEAP));
        keys.verifier().verify(bytes("m"), signature);
    }

    @Test
    void toString_revealsNoSecret() {
        try (Keys keys = Keys.generate()) {
            String text = keys.toString();
            HexFormat hex = HexFormat.of();

            assertThat(text).contains(keys.principal().toString())
                    .doesNotContain(hex.formatHex(keys.signer().exportSecretKeyMaterial()))
                    .doesNotContain(hex.formatHex(keys.crypter().exportSecretKeyMaterial()))
                    .doesNotContain(hex.formatHex(keys.deriver().exportSecretKeyMaterial()));
        }
    }

    @Test
    void argon2Params_structurallyInvalid_rejected() {
        assertThrows(IllegalArgumentException.class, () -> new Argon2Params(64, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> new Argon2Params(64, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> new Argon2Params(15, 1, 2));
        assertThat(Argon2Params.DEFAULT.isAtLeast(Argon2Params.FLOOR)).isTrue();
        assertThat(Argon2Params.DEFAULT.isAtMost(Argon2Params.CEILING)).isTrue();
    }

    @Test
    void passwordUtf8_unpairedSurrogate_rejected() {
        assertThat(PasswordKdf.utf8("é✓".toCharArray())).isEqualTo("é✓".getBytes(StandardCharsets.UTF_8));
        assertThrows(IllegalArgumentException.class, () -> PasswordKdf.utf8(new char[] {'a', '\ud800'}));
    }

    private byte[] savedFile() throws IOException {
        try (Keys keys = Keys.generate()) {
            keys.save(dir, password("pw"), CHEAP, CHEAP);
        }
        return Files.readAllBytes(dir.resolve(Keys.KEY_SET_FILE));
    }

    private Argon2Params readParams() throws IOException {
        ByteBuffer in = ByteBuffer.wrap(Files.readAllBytes(dir.resolve(Keys.KEY_SET_FILE)));
        return new Argon2Params(in.getInt(10), in.getInt(14), in.get(18));
    }

    private void write(byte[] file) throws IOException {
        Files.write(dir.resolve(Keys.KEY_SET_FILE), file);
    }

    private static byte[] withParams(byte[] file, Argon2Params params) {
        byte[] out = file.clone();
        ByteBuffer.wrap(out).putInt(10, params.memoryKiB()).putInt(14, params.iterations())
                .put(18, (byte) params.parallelism());
        return out;
    }

    /** Replaces the trailing SHA-256, as an attacker editing the file on purpose would. */
    private static byte[] withChecksum(byte[] file) throws Exception {
        byte[] out = file.clone();
        byte[] sum = MessageDigest.getInstance("SHA-256").digest(Arrays.copyOf(out, out.length - 32));
        System.arraycopy(sum, 0, out, out.length - 32, 32);
        return out;
    }

    private static char[] password(String text) {
        return text.toCharArray();
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
