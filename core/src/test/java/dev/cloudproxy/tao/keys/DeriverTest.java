package dev.cloudproxy.tao.keys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class DeriverTest {
    private static final HexFormat HEX = HexFormat.of();

    // RFC 5869 appendix A.1 to A.3 (HKDF-SHA256).
    @Test
    void hkdf_rfc5869Case1_matchesPrkAndOkm() {
        byte[] ikm = HEX.parseHex("0b".repeat(22));
        byte[] salt = HEX.parseHex("000102030405060708090a0b0c");
        byte[] info = HEX.parseHex("f0f1f2f3f4f5f6f7f8f9");

        assertThat(Hkdf.extract(salt, ikm)).isEqualTo(HEX.parseHex(
                "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5"));
        assertThat(Hkdf.derive(ikm, salt, info, 42)).isEqualTo(HEX.parseHex(
                "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"));
    }

    @Test
    void hkdf_rfc5869Case2LongInputs_matchesPrkAndOkm() {
        byte[] ikm = ascending(0x00, 80);
        byte[] salt = ascending(0x60, 80);
        byte[] info = ascending(0xb0, 80);

        assertThat(Hkdf.extract(salt, ikm)).isEqualTo(HEX.parseHex(
                "06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244"));
        assertThat(Hkdf.derive(ikm, salt, info, 82)).isEqualTo(HEX.parseHex(
                "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
                        + "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
                        + "cc30c58179ec3e87c14c01d5c1f3434f1d87"));
    }

    @Test
    void hkdf_rfc5869Case3EmptySaltAndInfo_matchesPrkAndOkm() {
        byte[] ikm = HEX.parseHex("0b".repeat(22));

        assertThat(Hkdf.extract(new byte[0], ikm)).isEqualTo(HEX.parseHex(
                "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04"));
        assertThat(Hkdf.derive(ikm, new byte[0], new byte[0], 42)).isEqualTo(HEX.parseHex(
                "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"));
    }

    @Test
    void derive_sameInputs_sameOutput_otherInfo_otherOutput() {
        try (Deriver deriver = Deriver.generate()) {
            byte[] salt = "salt".getBytes(StandardCharsets.UTF_8);
            byte[] a = deriver.derive(salt, info("tao sealing v1"), 32);

            assertThat(deriver.derive(salt, info("tao sealing v1"), 32)).isEqualTo(a);
            assertThat(deriver.derive(salt, info("tao channel v1"), 32)).isNotEqualTo(a);
            assertThat(deriver.derive(new byte[0], info("tao sealing v1"), 32)).isNotEqualTo(a);
        }
    }

    @Test
    void derive_isHkdfOfTheSecret() {
        try (Deriver deriver = Deriver.generate()) {
            byte[] secret = deriver.exportSecretKeyMaterial();

            assertThat(deriver.derive(new byte[0], info("x"), 100))
                    .isEqualTo(Hkdf.derive(secret, new byte[0], info("x"), 100));
        }
    }

    @Test
    void derive_lengthLimits() {
        try (Deriver deriver = Deriver.generate()) {
            assertThat(deriver.derive(new byte[0], new byte[0], 1)).hasSize(1);
            assertThat(deriver.derive(new byte[0], new byte[0], Deriver.MAX_OUTPUT_BYTES)).hasSize(8160);
            assertThrows(IllegalArgumentException.class, () -> deriver.derive(new byte[0], new byte[0], 0));
            assertThrows(IllegalArgumentException.class,
                    () -> deriver.derive(new byte[0], new byte[0], Deriver.MAX_OUTPUT_BYTES + 1));
        }
    }

    @Test
    void fromSecretKeyMaterial_exportedSecret_derivesTheSame() {
        try (Deriver deriver = Deriver.generate();
                Deriver again = Deriver.fromSecretKeyMaterial(deriver.exportSecretKeyMaterial())) {
            assertThat(again.derive(new byte[0], info("x"), 32))
                    .isEqualTo(deriver.derive(new byte[0], info("x"), 32));
        }
        assertThrows(IllegalArgumentException.class, () -> Deriver.fromSecretKeyMaterial(new byte[31]));
    }

    @Test
    void closedDeriver_deriveAndExportThrow() {
        Deriver deriver = Deriver.generate();
        deriver.close();

        assertThat(deriver.isDestroyed()).isTrue();
        assertThrows(IllegalStateException.class, () -> deriver.derive(new byte[0], new byte[0], 32));
        assertThrows(IllegalStateException.class, deriver::exportSecretKeyMaterial);
    }

    @Test
    void toString_revealsNoKeyBytes() {
        try (Deriver deriver = Deriver.generate()) {
            String secretHex = HEX.formatHex(deriver.exportSecretKeyMaterial());

            assertThat(deriver.toString()).isEqualTo("Deriver[redacted]").doesNotContain(secretHex);
        }
    }

    private static byte[] ascending(int from, int count) {
        byte[] out = new byte[count];
        for (int i = 0; i < count; i++) {
            out[i] = (byte) (from + i);
        }
        return out;
    }

    private static byte[] info(String purpose) {
        return purpose.getBytes(StandardCharsets.UTF_8);
    }
}
