package dev.cloudproxy.tao.keys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cloudproxy.tao.VerificationException;
import dev.cloudproxy.tao.auth.Prin;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class SignerTest {
    private static final HexFormat HEX = HexFormat.of();
    private static final byte[] MESSAGE = "attest this".getBytes(StandardCharsets.UTF_8);

    // RFC 6979 appendix A.2.5: P-256, SHA-256.
    private static final String RFC6979_KEY =
            "c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721";
    private static final String RFC6979_X =
            "60fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6";
    private static final String RFC6979_Y =
            "7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299";

    @Test
    void sign_thenVerify_succeeds() throws Exception {
        try (Signer signer = Signer.generate()) {
            byte[] signature = signer.sign(MESSAGE);

            signer.verifier().verify(MESSAGE, signature);
            assertThat(signature.length).isBetween(8, 72);
        }
    }

    @Test
    void sign_emptyMessage_verifies() throws Exception {
        try (Signer signer = Signer.generate()) {
            signer.verifier().verify(new byte[0], signer.sign(new byte[0]));
        }
    }

    @Test
    void verify_otherKey_throws() {
        try (Signer signer = Signer.generate(); Signer other = Signer.generate()) {
            byte[] signature = signer.sign(MESSAGE);

            assertThrows(VerificationException.class, () -> other.verifier().verify(MESSAGE, signature));
        }
    }

    @Test
    void verify_otherMessage_throws() {
        try (Signer signer = Signer.generate()) {
            byte[] signature = signer.sign(MESSAGE);

            assertThrows(VerificationException.class,
                    () -> signer.verifier().verify("attest that".getBytes(StandardCharsets.UTF_8), signature));
        }
    }

    @Test
    void verify_everyBitFlipOfSignature_throws() {
        try (Signer signer = Signer.generate()) {
            byte[] signature = signer.sign(MESSAGE);
            for (int i = 0; i < signature.length; i++) {
                for (int bit = 0; bit < 8; bit++) {
                    byte[] flipped = signature.clone();
                    flipped[i] ^= (byte) (1 << bit);
                    assertThrows(VerificationException.class,
                            () -> signer.verifier().verify(MESSAGE, flipped),
                            "byte " + i + " bit " + bit);
                }
            }
        }
    }

    @Test
    void sign_sameMessageTwice_noncesAreHedged() throws Exception {
        try (Signer signer = Signer.generate()) {
            byte[] first = signer.sign(MESSAGE);
            byte[] second = signer.sign(MESSAGE);

            assertThat(first).isNotEqualTo(second);
            signer.verifier().verify(MESSAGE, first);
            signer.verifier().verify(MESSAGE, second);
        }
    }

    @Test
    void sign_fromManyThreads_allSignaturesVerify() throws Exception {
        try (Signer signer = Signer.generate()) {
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<byte[]>> results = new ArrayList<>();
                for (int i = 0; i < 64; i++) {
                    results.add(pool.submit(() -> signer.sign(MESSAGE)));
                }
                for (Future<byte[]> result : results) {
                    signer.verifier().verify(MESSAGE, result.get());
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void deterministicMode_rfc6979Vectors_matchKnownAnswers() throws Exception {
        try (Signer signer = Signer.deterministicForTesting(HEX.parseHex(RFC6979_KEY))) {
            assertThat(signer.verifier().pkix()).endsWith(HEX.parseHex("04" + RFC6979_X + RFC6979_Y));
            // Values with the top bit set take a zero byte in DER; "test" has an s without one.
            assertThat(signer.sign(ascii("sample"))).isEqualTo(der(
                    "00efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716",
                    "00f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8"));
            assertThat(signer.sign(ascii("test"))).isEqualTo(der(
                    "00f1abb023518351cd71d881567b1ea663ed3efcf6c5132b354f28d3b0b7d38367",
                    "019f4113742a2b14bd25926b49c649155f267e60d3814b4c0cc84250e46f0083"));
        }
    }

    @Test
    void jdkSignature_verifiesWithVerifier() throws Exception {
        KeyPair jdk = jdkKeyPair("secp256r1");
        Signature sha256WithEcdsa = Signature.getInstance("SHA256withECDSA");
        sha256WithEcdsa.initSign(jdk.getPrivate());
        sha256WithEcdsa.update(MESSAGE);
        byte[] signature = sha256WithEcdsa.sign();

        Verifier verifier = Verifier.fromPkix(jdk.getPublic().getEncoded());
        verifier.verify(MESSAGE, signature);
        assertThrows(VerificationException.class, () -> verifier.verify(ascii("other"), signature));
    }

    @Test
    void signerSignature_verifiesWithJdk() throws Exception {
        try (Signer signer = Signer.generate()) {
            for (int i = 0; i < 20; i++) { // a spread of r and s lengths
                byte[] message = ascii("message " + i);
                Signature sha256WithEcdsa = Signature.getInstance("SHA256withECDSA");
                sha256WithEcdsa.initVerify(signer.verifier().toJcaPublicKey());
                sha256WithEcdsa.update(message);

                assertThat(sha256WithEcdsa.verify(signer.sign(message))).isTrue();
            }
        }
    }

    @Test
    void pkix_roundTrip_givesEqualVerifierAndMatchesJdkEncoding() throws Exception {
        try (Signer signer = Signer.generate()) {
            byte[] pkix = signer.verifier().pkix();

            Verifier parsed = Verifier.fromPkix(pkix);
            assertThat(parsed).isEqualTo(signer.verifier());
            assertThat(parsed.hashCode()).isEqualTo(signer.verifier().hashCode());
            assertThat(pkix).hasSize(91);
            assertThat(signer.verifier().toJcaPublicKey().getEncoded()).isEqualTo(pkix);
        }
    }

    @Test
    void pem_roundTrip_givesEqualVerifier() throws Exception {
        try (Signer signer = Signer.generate()) {
            String pem = signer.verifier().toPem();

            assertThat(pem).startsWith("-----BEGIN PUBLIC KEY-----\n").endsWith("-----END PUBLIC KEY-----\n");
            assertThat(Verifier.fromPem(pem)).isEqualTo(signer.verifier());
            assertThat(Verifier.fromPem(pem.replace("\n", "\r\n"))).isEqualTo(signer.verifier());
        }
    }

    @Test
    void fromPem_garbage_throws() {
        assertThrows(VerificationException.class, () -> Verifier.fromPem("not pem"));
        assertThrows(VerificationException.class,
                () -> Verifier.fromPem("-----BEGIN PUBLIC KEY-----\n!!!!\n-----END PUBLIC KEY-----"));
        assertThrows(VerificationException.class,
                () -> Verifier.fromPem("-----BEGIN PUBLIC KEY-----" + "A".repeat(5000) + "-----END PUBLIC KEY-----"));
    }

    @Test
    void principal_isKeyOfSha256OfPkix() throws Exception {
        try (Signer signer = Signer.generate()) {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(signer.verifier().pkix());

            assertThat(signer.principal()).isEqualTo(Prin.key(hash));
            assertThat(signer.principal().toString()).isEqualTo("key([" + HEX.formatHex(hash) + "])");
        }
    }

    @Test
    void fromSecretKeyMaterial_exportedScalar_givesSameKey() throws Exception {
        try (Signer signer = Signer.generate()) {
            byte[] scalar = signer.exportSecretKeyMaterial();
            try (Signer again = Signer.fromSecretKeyMaterial(scalar)) {
                assertThat(again.verifier()).isEqualTo(signer.verifier());
                signer.verifier().verify(MESSAGE, again.sign(MESSAGE));
            }
        }
    }

    @Test
    void fromSecretKeyMaterial_outOfRange_throws() {
        byte[] order = P256.N.toByteArray(); // 33 bytes with a sign byte
        byte[] n = new byte[32];
        System.arraycopy(order, order.length - 32, n, 0, 32);

        assertThrows(IllegalArgumentException.class, () -> Signer.fromSecretKeyMaterial(new byte[32]));
        assertThrows(IllegalArgumentException.class, () -> Signer.fromSecretKeyMaterial(n));
        assertThrows(IllegalArgumentException.class, () -> Signer.fromSecretKeyMaterial(new byte[31]));
    }

    @Test
    void closedSigner_signAndExportThrow_verifierStillWorks() throws Exception {
        Signer signer = Signer.generate();
        byte[] signature = signer.sign(MESSAGE);
        signer.close();
        signer.close(); // idempotent

        assertThat(signer.isDestroyed()).isTrue();
        assertThrows(IllegalStateException.class, () -> signer.sign(MESSAGE));
        assertThrows(IllegalStateException.class, signer::exportSecretKeyMaterial);
        signer.verifier().verify(MESSAGE, signature);
    }

    @Test
    void toString_revealsNoKeyBytes() {
        try (Signer signer = Signer.generate()) {
            String scalarHex = HEX.formatHex(signer.exportSecretKeyMaterial());

            assertThat(signer.toString()).isEqualTo("Signer[redacted]");
            assertThat(signer.toString()).doesNotContain(scalarHex);
            assertThat(signer.verifier().toString()).doesNotContain(scalarHex)
                    .contains(signer.principal().toString());
        }
    }

    // --- hostile signatures ---------------------------------------------------------------

    @Test
    void verify_nonCanonicalDer_throws() throws Exception {
        try (Signer signer = Signer.deterministicForTesting(HEX.parseHex(RFC6979_KEY))) {
            byte[] good = signer.sign(ascii("test"));
            Verifier verifier = signer.verifier();
            verifier.verify(ascii("test"), good);
            String r = "00f1abb023518351cd71d881567b1ea663ed3efcf6c5132b354f28d3b0b7d38367";
            String s = "019f4113742a2b14bd25926b49c649155f267e60d3814b4c0cc84250e46f0083";
            assertThat(der(r, s)).isEqualTo(good);

            byte[][] hostile = {
                new byte[0],
                HEX.parseHex(r.substring(2) + s), // raw r || s (IEEE P1363), not DER
                append(good, (byte) 0), // trailing byte
                HEX.parseHex("308144" + HEX.formatHex(good, 2, good.length)), // long-form length
                HEX.parseHex("3080" + HEX.formatHex(good, 2, good.length) + "0000"), // BER indefinite
                der("00" + r, s), // r needs one zero byte, not two
                der(r, "00" + s), // s needs none
                der(r.substring(2), s), // r without its zero byte reads as negative
                HEX.parseHex("3145" + HEX.formatHex(good, 2, good.length)), // SET, not SEQUENCE
                HEX.parseHex("3045" + "03" + HEX.formatHex(good, 3, good.length)), // BIT STRING r
            };
            for (byte[] signature : hostile) {
                assertThrows(VerificationException.class, () -> verifier.verify(ascii("test"), signature),
                        HEX.formatHex(signature));
            }
        }
    }

    @Test
    void verify_valuesOutOfRange_throws() throws Exception {
        try (Signer signer = Signer.generate()) {
            Verifier verifier = signer.verifier();
            BigInteger[] rs = P256.decodeSignature(signer.sign(MESSAGE));
            BigInteger n = P256.N;

            BigInteger[][] hostile = {
                {BigInteger.ZERO, rs[1]}, {rs[0], BigInteger.ZERO},
                {n, rs[1]}, {rs[0], n},
                {rs[0].add(n), rs[1]}, {rs[0], rs[1].add(n)},
                {BigInteger.ONE, BigInteger.ONE},
            };
            for (BigInteger[] pair : hostile) {
                byte[] signature = P256.encodeSignature(pair[0], pair[1]);
                assertThrows(VerificationException.class, () -> verifier.verify(MESSAGE, signature));
            }
            // ECDSA itself accepts (r, n - s), as Go and the JDK do; signatures are not identifiers.
            verifier.verify(MESSAGE, P256.encodeSignature(rs[0], n.subtract(rs[1])));
        }
    }

    // --- hostile public keys --------------------------------------------------------------

    @Test
    void fromPkix_jdkKey_acceptedWithJdkEncodingAsPrincipal() throws Exception {
        KeyPair jdk = jdkKeyPair("secp256r1");
        byte[] encoded = jdk.getPublic().getEncoded();

        Verifier verifier = Verifier.fromPkix(encoded);
        assertThat(verifier.pkix()).isEqualTo(encoded);
        assertThat(verifier.principal())
                .isEqualTo(Prin.key(MessageDigest.getInstance("SHA-256").digest(encoded)));
    }

    @Test
    void fromPkix_pointNotOnCurve_throws() throws Exception {
        byte[] pkix = Signer.generate().verifier().pkix();
        pkix[pkix.length - 1] ^= 1;

        assertThrows(VerificationException.class, () -> Verifier.fromPkix(pkix));
    }

    @Test
    void fromPkix_otherCurvesAndAlgorithms_throw() throws Exception {
        byte[] p384 = jdkKeyPair("secp384r1").getPublic().getEncoded();
        KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
        rsa.initialize(2048);
        byte[] rsaKey = rsa.generateKeyPair().getPublic().getEncoded();

        assertThrows(VerificationException.class, () -> Verifier.fromPkix(p384));
        assertThrows(VerificationException.class, () -> Verifier.fromPkix(rsaKey));
    }

    @Test
    void fromPkix_compressedOrMalformedEncodings_throw() throws Exception {
        byte[] pkix = Signer.generate().verifier().pkix();
        String prefix = HEX.formatHex(pkix, 0, 26);
        String x = HEX.formatHex(pkix, 27, 59);
        String p = "ffffffff00000001000000000000000000000000ffffffffffffffffffffffff";

        byte[][] hostile = {
            new byte[0],
            Arrays.copyOf(pkix, 90), // truncated
            append(pkix, (byte) 0), // trailing byte
            HEX.parseHex("3039301306072a8648ce3d020106082a8648ce3d030107032200" + "02" + x), // compressed
            HEX.parseHex(prefix + "04" + p + HEX.formatHex(pkix, 59, 91)), // x = p, not reduced
            HEX.parseHex(prefix + "00" + x + HEX.formatHex(pkix, 59, 91)), // not an uncompressed point
            HEX.parseHex(prefix + "04" + "00".repeat(64)), // (0, 0) is not on the curve
        };
        for (byte[] key : hostile) {
            assertThrows(VerificationException.class, () -> Verifier.fromPkix(key), HEX.formatHex(key));
        }
    }

    private static KeyPair jdkKeyPair(String curve) throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec(curve));
        return generator.generateKeyPair();
    }

    /** DER SEQUENCE of two INTEGERs with exactly the given content octets (hex). */
    private static byte[] der(String rHex, String sHex) {
        byte[] r = HEX.parseHex(rHex);
        byte[] s = HEX.parseHex(sHex);
        int body = 2 + r.length + 2 + s.length;
        return HEX.parseHex("30" + String.format("%02x", body)
                + "02" + String.format("%02x", r.length) + rHex
                + "02" + String.format("%02x", s.length) + sHex);
    }

    private static byte[] append(byte[] bytes, byte extra) {
        byte[] out = Arrays.copyOf(bytes, bytes.length + 1);
        out[bytes.length] = extra;
        return out;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void toJcaPrivateKey_signsWithTheJdkProvider_verifiesWithOurVerifier() throws Exception {
        try (Signer key = Signer.generate()) {
            byte[] message = "jca".getBytes(StandardCharsets.UTF_8);
            Signature jdk = Signature.getInstance("SHA256withECDSA");
            jdk.initSign(key.toJcaPrivateKey());
            jdk.update(message);

            key.verifier().verify(message, jdk.sign());
        }
    }

    @Test
    void toJcaPrivateKey_afterClose_throws() {
        Signer key = Signer.generate();
        key.close();

        assertThrows(IllegalStateException.class, key::toJcaPrivateKey);
    }
}
