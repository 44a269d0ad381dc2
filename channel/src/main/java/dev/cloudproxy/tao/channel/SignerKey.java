package dev.cloudproxy.tao.channel;

import dev.cloudproxy.tao.keys.Signer;
import java.io.NotSerializableException;
import java.io.ObjectOutputStream;
import java.security.PrivateKey;
import java.util.Objects;

/**
 * A {@link Signer} dressed as a JCA {@link PrivateKey}, so that JSSE signs TLS 1.3
 * {@code CertificateVerify} messages with it.
 *
 * <p>It is deliberately opaque: not an {@link java.security.interfaces.ECPrivateKey}, no encoding,
 * so no JCA provider but {@link SignerKeyProvider} accepts it and the scalar never leaves the
 * {@code Signer}. JSSE takes the curve from the certificate's public key when the private key is
 * not extractable (as it does for hardware keys). It does not own the signer: closing the signer
 * makes further handshakes with this key fail.
 */
final class SignerKey implements PrivateKey {
    private static final long serialVersionUID = 1L;

    private final transient Signer signer;

    SignerKey(Signer signer) {
        this.signer = Objects.requireNonNull(signer, "signer");
    }

    Signer signer() {
        return signer;
    }

    @Override
    public String getAlgorithm() {
        return "EC";
    }

    /** None: the key is not extractable. */
    @Override
    public String getFormat() {
        return null;
    }

    /** None: the key is not extractable. */
    @Override
    public byte[] getEncoded() {
        return null;
    }

    @Override
    public String toString() {
        return "SignerKey[redacted]";
    }

    private void writeObject(ObjectOutputStream out) throws NotSerializableException {
        throw new NotSerializableException("a SignerKey is not serializable");
    }
}
