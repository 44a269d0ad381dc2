package dev.cloudproxy.tao.keys;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.util.Objects;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.operator.ContentSigner;

/**
 * BouncyCastle's signing hook for certificates and CRLs, over a {@link Signer}: ECDSA P-256 with
 * SHA-256, DER signatures, algorithm {@code ecdsa-with-SHA256} with absent parameters (RFC 5758).
 * One instance signs one structure; the key stays with its owner, who closes it.
 */
public final class X509ContentSigner implements ContentSigner {
    private final Signer key;
    private final ByteArrayOutputStream tbs = new ByteArrayOutputStream();

    public X509ContentSigner(Signer key) {
        this.key = Objects.requireNonNull(key, "key");
    }

    @Override
    public AlgorithmIdentifier getAlgorithmIdentifier() {
        return new AlgorithmIdentifier(X9ObjectIdentifiers.ecdsa_with_SHA256);
    }

    @Override
    public OutputStream getOutputStream() {
        return tbs;
    }

    @Override
    public byte[] getSignature() {
        return key.sign(tbs.toByteArray());
    }
}
