package dev.cloudproxy.tao.launch;

import dev.cloudproxy.tao.VerificationException;
import dev.cloudproxy.tao.auth.AuthBinary;
import dev.cloudproxy.tao.auth.AuthFormatException;
import dev.cloudproxy.tao.auth.Bytes;
import dev.cloudproxy.tao.auth.Pred;

/**
 * What a client keeps of a launch to verify it later, or to show to others: the record, the host
 * certificate (DER) and the nonce the client sent. Stored as the auth language's binary form of
 * {@code LaunchEvidence([record], [host certificate], [nonce])}, at most {@value #MAX_BYTES}
 * bytes. Nothing in it is secret, and nothing in it is trusted: {@link LaunchRecordVerifier}
 * decides. (A third party checks the nonce it gave the client, not the one stored here.)
 */
public record LaunchEvidence(byte[] record, byte[] hostCertificate, byte[] nonce) {
    public static final int MAX_BYTES = 2 << 20;

    public LaunchEvidence {
        record = record.clone();
        hostCertificate = hostCertificate.clone();
        nonce = nonce.clone();
    }

    @Override
    public byte[] record() {
        return record.clone();
    }

    @Override
    public byte[] hostCertificate() {
        return hostCertificate.clone();
    }

    @Override
    public byte[] nonce() {
        return nonce.clone();
    }

    public byte[] encode() {
        return AuthBinary.encode(Pred.of("LaunchEvidence", new Bytes(record), new Bytes(hostCertificate),
                new Bytes(nonce)));
    }

    /** @throws VerificationException if {@code bytes} is not launch evidence */
    public static LaunchEvidence parse(byte[] bytes) throws VerificationException {
        if (bytes.length > MAX_BYTES) {
            throw new VerificationException("launch evidence is larger than " + MAX_BYTES + " bytes");
        }
        try {
            if (AuthBinary.decodeForm(bytes) instanceof Pred p && p.name().equals("LaunchEvidence")
                    && p.args().size() == 3 && p.args().get(0) instanceof Bytes rec
                    && p.args().get(1) instanceof Bytes cert && p.args().get(2) instanceof Bytes nonce) {
                return new LaunchEvidence(rec.value(), cert.value(), nonce.value());
            }
        } catch (AuthFormatException e) {
            throw new VerificationException("not launch evidence: " + e.getMessage());
        }
        throw new VerificationException("not launch evidence");
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LaunchEvidence e && java.util.Arrays.equals(encode(), e.encode());
    }

    @Override
    public int hashCode() {
        return java.util.Arrays.hashCode(encode());
    }

    @Override
    public String toString() {
        return "LaunchEvidence[" + record.length + " bytes of record]";
    }
}
