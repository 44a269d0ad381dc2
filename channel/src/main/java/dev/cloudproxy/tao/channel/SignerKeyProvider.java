package dev.cloudproxy.tao.channel;

import java.io.ByteArrayOutputStream;
import java.security.InvalidKeyException;
import java.security.InvalidParameterException;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.Security;
import java.security.SignatureException;
import java.security.SignatureSpi;
import java.security.spec.AlgorithmParameterSpec;
import java.util.List;
import java.util.Map;

/**
 * The JCA provider through which JSSE signs with a {@link SignerKey}: {@code SHA256withECDSA}
 * (TLS 1.3's {@code ecdsa_secp256r1_sha256}) over BouncyCastle, which signs P-256 several times
 * faster than the JDK's provider on JDK 17 (see docs/performance.md).
 *
 * <p>JSSE asks for {@code Signature.getInstance("SHA256withECDSA")} without naming a provider, so
 * the JCA picks, for the key at hand, the first registered provider that accepts it. This provider
 * is therefore registered, once, at the end of the list, and it accepts keys of the class
 * {@link SignerKey} and nothing else (its service declares {@code SupportedKeyClasses}); the JDK's
 * providers do not accept that class. No other key, algorithm or provider choice changes.
 */
final class SignerKeyProvider extends Provider {
    private static final long serialVersionUID = 1L;
    static final String NAME = "TaoChannelSigner";

    private SignerKeyProvider() {
        super(NAME, "1.0", "Signs TLS handshakes with a Tao channel's program key (SignerKey only)");
        putService(new Service(this, "Signature", "SHA256withECDSA", SignerSignature.class.getName(),
                List.of(), Map.of("SupportedKeyClasses", SignerKey.class.getName())) {
            @Override
            public Object newInstance(Object constructorParameter) {
                return new SignerSignature();
            }
        });
    }

    /** Registers the provider if it is not registered yet. Idempotent and thread-safe. */
    static void install() {
        Holder.ensure();
    }

    private static final class Holder {
        static {
            synchronized (Security.class) {
                if (Security.getProvider(NAME) == null) {
                    Security.addProvider(new SignerKeyProvider());
                }
            }
        }

        static void ensure() {
            // class initialization above runs once
        }
    }

    /** Sign-only: verification always goes to the JDK's providers. */
    static final class SignerSignature extends SignatureSpi {
        private final ByteArrayOutputStream data = new ByteArrayOutputStream(256);
        private SignerKey key;

        @Override
        protected void engineInitVerify(PublicKey publicKey) throws InvalidKeyException {
            throw new InvalidKeyException("this provider only signs with a SignerKey");
        }

        @Override
        protected void engineInitSign(PrivateKey privateKey) throws InvalidKeyException {
            if (!(privateKey instanceof SignerKey k)) {
                throw new InvalidKeyException("not a SignerKey");
            }
            key = k;
            data.reset();
        }

        @Override
        protected void engineUpdate(byte b) {
            data.write(b);
        }

        @Override
        protected void engineUpdate(byte[] b, int off, int len) {
            data.write(b, off, len);
        }

        @Override
        protected byte[] engineSign() throws SignatureException {
            if (key == null) {
                throw new SignatureException("not initialized for signing");
            }
            try {
                return key.signer().sign(data.toByteArray());
            } catch (IllegalStateException e) {
                throw new SignatureException("the program key was closed", e);
            } finally {
                data.reset();
            }
        }

        @Override
        protected boolean engineVerify(byte[] sigBytes) throws SignatureException {
            throw new SignatureException("this provider only signs");
        }

        @Override
        protected void engineSetParameter(AlgorithmParameterSpec params) throws java.security.InvalidAlgorithmParameterException {
            if (params != null) {
                throw new java.security.InvalidAlgorithmParameterException("SHA256withECDSA takes no parameters");
            }
        }

        @Override
        @Deprecated
        protected void engineSetParameter(String param, Object value) {
            throw new InvalidParameterException("SHA256withECDSA takes no parameters");
        }

        @Override
        @Deprecated
        protected Object engineGetParameter(String param) {
            throw new InvalidParameterException("SHA256withECDSA takes no parameters");
        }
    }
}
