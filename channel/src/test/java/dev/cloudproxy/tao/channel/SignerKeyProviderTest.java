package dev.cloudproxy.tao.channel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.cloudproxy.tao.keys.Signer;
import java.io.ByteArrayOutputStream;
import java.io.NotSerializableException;
import java.io.ObjectOutputStream;
import java.security.KeyPairGenerator;
import java.security.Provider;
import java.security.Security;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import org.junit.jupiter.api.Test;

class SignerKeyProviderTest {
    private static final byte[] MESSAGE = "TLS 1.3, server CertificateVerify".getBytes(java.nio.charset.StandardCharsets.UTF_8);

    @Test
    void signature_withASignerKey_isMadeByTheChannelProviderAndVerifies() throws Exception {
        SignerKeyProvider.install();
        try (Signer signer = Signer.generate()) {
            Signature s = Signature.getInstance("SHA256withECDSA");
            s.initSign(new SignerKey(signer));
            s.update(MESSAGE);
            byte[] signature = s.sign();

            assertThat(s.getProvider().getName()).isEqualTo(SignerKeyProvider.NAME);
            signer.verifier().verify(MESSAGE, signature);
        }
    }

    @Test
    void signature_withAJdkKey_isStillTheJdksOwn() throws Exception {
        SignerKeyProvider.install();
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        Signature s = Signature.getInstance("SHA256withECDSA");
        s.initSign(g.generateKeyPair().getPrivate());

        assertThat(s.getProvider().getName()).isNotEqualTo(SignerKeyProvider.NAME);
    }

    @Test
    void install_twice_registersOnceAtTheEnd() {
        SignerKeyProvider.install();
        SignerKeyProvider.install();

        Provider[] providers = Security.getProviders();
        assertThat(providers[providers.length - 1].getName()).isEqualTo(SignerKeyProvider.NAME);
        assertThat(java.util.Arrays.stream(providers).filter(p -> p.getName().equals(SignerKeyProvider.NAME))).hasSize(1);
    }

    @Test
    void signature_afterTheSignerIsClosed_fails() throws Exception {
        SignerKeyProvider.install();
        Signer signer = Signer.generate();
        Signature s = Signature.getInstance("SHA256withECDSA");
        s.initSign(new SignerKey(signer));
        signer.close();
        s.update(MESSAGE);

        assertThrows(java.security.SignatureException.class, s::sign);
    }

    @Test
    void signerKey_isOpaqueRedactedAndNotSerializable() {
        try (Signer signer = Signer.generate()) {
            SignerKey key = new SignerKey(signer);

            assertThat(key.getEncoded()).isNull();
            assertThat(key.getFormat()).isNull();
            assertThat(key).isNotInstanceOf(java.security.interfaces.ECPrivateKey.class);
            assertThat(key.toString()).isEqualTo("SignerKey[redacted]");
            assertThrows(NotSerializableException.class,
                    () -> new ObjectOutputStream(new ByteArrayOutputStream()).writeObject(key));
        }
    }
}
